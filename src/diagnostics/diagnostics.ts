// The diagnostics of one server instance: owns the room counters, the recent problems,
// the DNS checker and what this instance's Entry HW reported about its device, and answers
// `GET /diagnostics` (the page) and `GET /diagnostics.json` (the support bundle).
// Who may read them: only a request whose Host is a loopback name or one of the certificate's
// names (against DNS rebinding), never a cross-site or same-site request (but a top-level
// navigation to the page), never with a CORS grant.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeviceReport, PeerReport } from '../contracts/peer-report';
import { isHostAllowed } from '../policy/request-policy';
import type { LogFileView } from '../util/log-file';
import { DnsChecker, type Resolver } from './checks';
import { localPrivateFacts, scrubText, truncate } from './mask';
import { renderPage } from './page';
import { ProblemLog } from './problems';
import { RoomStats } from './room-stats';
import {
  buildSnapshot,
  type DiagnosticsSnapshot,
  type DiagnosticsSource,
  type LogFileSection,
} from './snapshot';
import { pickLanguage } from './texts';

/** Path of the page. */
export const DIAGNOSTICS_PATH = '/diagnostics';
/** Path of the support bundle. */
export const DIAGNOSTICS_JSON_PATH = '/diagnostics.json';
/** How many of the log file's last lines the bundle carries. */
const BUNDLE_LOG_LINES = 200;

/** Headers every diagnostics response carries, whatever its status. */
function baseHeaders(contentType: string, csp: string): Record<string, string> {
  return {
    'content-type': contentType,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'content-security-policy': csp,
    vary: 'Accept-Language',
  };
}

const LOCKED_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface DiagnosticsOptions {
  source: DiagnosticsSource;
  /** Count per-room traffic (default true); off only to measure what counting costs. */
  countRooms?: boolean;
  /** A log the program's logger already feeds (main.ts); else the server wraps its logger itself. */
  problems?: ProblemLog;
  /** DNS resolver for the checks (tests inject one). */
  resolve?: Resolver;
  /** The program's log file, shown (scrubbed) on the page and in the bundle. */
  logFile?: LogFileView;
}

/**
 * Diagnostics of one EntryServer.
 *
 * @example
 * const diagnostics = new Diagnostics({ source: server });
 * diagnostics.stats?.fromBrowser(roomId);                    // on each routed message (HostHub)
 * http.on('request', (req, res) => diagnostics.handle(req, res, new URL(req.url, 'http://x').pathname));
 */
export class Diagnostics {
  readonly stats: RoomStats | undefined;
  readonly problems: ProblemLog;
  readonly dns: DnsChecker;
  private readonly startedAtMs = Date.now();
  private device: DeviceReport | undefined;
  private lastForeignHolder: { at: string; message: string } | undefined;
  private readonly privateFacts = localPrivateFacts();

  constructor(private readonly options: DiagnosticsOptions) {
    this.stats = options.countRooms === false ? undefined : new RoomStats();
    this.problems = options.problems ?? new ProblemLog();
    this.problems.setScrubber((text) => this.scrub(text));
    this.dns = new DnsChecker({ resolve: options.resolve });
  }

  /** Removes personal facts (and roomIds this host knows) from a line of text. */
  scrub(text: string): string {
    return scrubText(text, { ...this.privateFacts, roomIds: this.stats?.roomIds() ?? [] });
  }

  /** The log file's path and state, scrubbed (/status and the page); null without a file. */
  logFileFacts(): { path: string | null; problem: string | null } | null {
    const file = this.options.logFile;
    if (!file) return null;
    const path = file.path;
    const problem = file.problem;
    return {
      path: path === undefined ? null : this.scrub(path),
      problem: problem === undefined ? null : truncate(this.scrub(problem)),
    };
  }

  /** The log file's last lines for the bundle, each scrubbed like the problems and capped. */
  private logFileSection(): LogFileSection | null {
    const facts = this.logFileFacts();
    if (!facts || !this.options.logFile) return null;
    const lines = this.options.logFile.tail(BUNDLE_LOG_LINES).map((line) => truncate(this.scrub(line)));
    return { ...facts, lastLines: lines };
  }

  /** This instance's parent reported its device (`connectHardwareSuccess` / `connectHardwareFailed`). */
  deviceReported(state: DeviceReport['state'], moduleId?: string): void {
    const id = typeof moduleId === 'string' && /^[\w.-]{1,40}$/.test(moduleId) ? moduleId : undefined;
    this.device = { state, ...(id ? { moduleId: id } : {}), at: new Date().toISOString() };
  }

  /** The server reported an `error` to its parent; the port check keeps the last foreign holder. */
  errorReported(info: { code: string; message: string }): void {
    if (info.code === 'PORT_HELD_BY_OTHER_PROGRAM') {
      this.lastForeignHolder = {
        at: new Date().toISOString(),
        message: this.scrub(info.message).slice(0, 300),
      };
    }
  }

  /** What a peer tells its host about itself. */
  peerReport(version: string): PeerReport {
    return { version, device: this.device };
  }

  /** The bundle, with the DNS checks at most 1.5 s old… or as fresh as the timeout allows. */
  async snapshot(): Promise<DiagnosticsSnapshot> {
    await this.dns.refresh();
    return buildSnapshot({
      source: this.options.source,
      dns: this.dns,
      stats: this.stats,
      problems: this.problems.list(),
      refusals: this.problems.refusals(),
      startedAtMs: this.startedAtMs,
      device: this.device,
      lastForeignHolder: this.lastForeignHolder,
      logFile: this.logFileSection(),
    });
  }

  /**
   * Answers the two diagnostics paths; returns false for any other path (the caller routes it).
   * No CORS header is ever set here.
   */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    if (pathname !== DIAGNOSTICS_PATH && pathname !== DIAGNOSTICS_JSON_PATH) return false;
    const refuse = (status: number, text: string): true => {
      res.writeHead(status, baseHeaders('text/plain; charset=utf-8', LOCKED_CSP));
      res.end(text);
      return true;
    };
    // The listener's request policy has already refused any other Host; asked again for embedders
    // that serve these routes themselves (docs/PROTOCOL.md §9).
    if (!isHostAllowed(req.headers.host)) return refuse(403, 'forbidden host');
    // A page of another site (even playentry.org) may not read or even trigger these, with one
    // exception: a top-level navigation to the page, so that a link on playentry.org or
    // a help desk's page opens it. The page holds no facts itself (it reads /diagnostics.json, a
    // same-origin request), cannot be framed, and a window that opened it cannot read it.
    const site = req.headers['sec-fetch-site'];
    const topLevelNavigation =
      pathname === DIAGNOSTICS_PATH &&
      req.headers['sec-fetch-mode'] === 'navigate' &&
      req.headers['sec-fetch-dest'] === 'document';
    if ((site === 'cross-site' || site === 'same-site') && !topLevelNavigation)
      return refuse(403, 'forbidden');
    const origin = req.headers.origin;
    if (typeof origin === 'string' && !this.isOwnOrigin(origin, req.headers.host as string)) {
      return refuse(403, 'forbidden origin');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return refuse(405, 'method not allowed');
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (pathname === DIAGNOSTICS_PATH) {
      const nonce = randomBytes(16).toString('base64');
      const port = this.options.source.diagnosticsFacts().port;
      const lang = pickLanguage(req.headers['accept-language'], url.searchParams.get('lang'));
      const csp = [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        `connect-src 'self' wss://hw.playentry.org:${port} ws://127.0.0.1:${port}`,
        "img-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; ');
      const body = renderPage({ lang, nonce, port });
      res.writeHead(200, {
        ...baseHeaders('text/html; charset=utf-8', csp),
        'content-length': Buffer.byteLength(body),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    this.snapshot().then(
      (bundle) => {
        if (res.headersSent || res.destroyed) return;
        const body = JSON.stringify(bundle, null, 2);
        const headers: Record<string, string | number> = {
          ...baseHeaders('application/json; charset=utf-8', LOCKED_CSP),
          'content-length': Buffer.byteLength(body),
        };
        if (url.searchParams.has('download')) {
          const stamp = bundle.generatedAt.slice(0, 19).replace(/:/g, '-').replace('T', '_');
          headers['content-disposition'] = `attachment; filename="entry-hw-diagnostics-${stamp}.json"`;
        }
        res.writeHead(200, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: Error) => {
        if (!res.headersSent) refuse(500, `diagnostics unavailable: ${error.message.slice(0, 200)}`);
      },
    );
    return true;
  }

  /** The page's own origin: http or https on the same Host. */
  private isOwnOrigin(origin: string, host: string): boolean {
    const lower = origin.toLowerCase();
    const want = host.toLowerCase();
    return lower === `http://${want}` || lower === `https://${want}`;
  }
}
