// The plain HTTP routes served beside socket.io (docs/PROTOCOL.md §3, §8): `/` (compat greeting),
// `/status` (identifies the program; peers use it to recognise a host), `/modules` for
// in-process embedders. Every request gets exactly one response.
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DebugCounters } from '../../util/debug-counters';

/** Body of `GET /status`. */
export interface StatusBody {
  name: 'entry-hw-server';
  version: string;
  runningMode: number | null;
  cloudMode: number | null;
  browsers: number;
  peers: number;
  tls: { enabled: boolean; notAfter: string | null };
  /**
   * The host's rooms with a tab connected, by how they are served: `claimed` (an Entry
   * HW gave the roomId), `session` (paired by OS session), `none`. Null on a peer or while starting.
   */
  pairings: { claimed: number; session: number; none: number } | null;
  /**
   * The log file: its path with the home folder as `~` and the user name masked, and
   * why it is not written now (null when it is). Null when the server writes none.
   */
  logFile: { path: string | null; problem: string | null } | null;
  /** Leak counters (the soak reads them): open resources, queues and listeners. Not part of the contract. */
  debug?: DebugCounters;
}

/** Hooks entry-offline passes to serve hardware modules (the original's in-process API). */
export interface ModuleHandlers {
  /** Returns the module list, sent as JSON. */
  handleModuleListRequest?: () => unknown;
  /** Returns the path of the file to stream for a module name and file type, or undefined. */
  handleModuleFileRequest?: (name: string, type: string) => string | undefined | Promise<string | undefined>;
}

export interface HttpRoutesOptions extends ModuleHandlers {
  status: () => StatusBody;
  /** Origin check for CORS on these routes (the same policy as socket.io handshakes). */
  isOriginAllowed: (origin: string | undefined) => boolean;
  onWarning?: (message: string) => void;
  /**
   * `/diagnostics` and `/diagnostics.json` (src/diagnostics): answers and returns true for its
   * paths, before any CORS header is set (they never get one).
   */
  diagnostics?: (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean;
}

/**
 * True for a module name or file type that cannot escape its folder: non-empty, at most 200
 * characters, no slashes, no backslashes, no `..`, no NUL or other control characters.
 *
 * @example
 * isSafePathSegment('microbit2')  // true
 * isSafePathSegment('../secret')  // false
 */
export function isSafePathSegment(segment: string): boolean {
  if (segment.length === 0 || segment.length > 200) return false;
  if (segment.includes('/') || segment.includes('\\') || segment.includes('..')) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  return !/[\u0000-\u001f]/.test(segment);
}

function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

async function serveModuleFile(
  res: ServerResponse,
  handler: NonNullable<ModuleHandlers['handleModuleFileRequest']>,
  name: string,
  type: string,
): Promise<void> {
  const path = await handler(name, type);
  if (typeof path !== 'string' || path === '') return sendText(res, 404, 'not found');
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return sendText(res, 404, 'not found');
    size = stat.size;
  } catch {
    return sendText(res, 404, 'not found');
  }
  const stream = createReadStream(path);
  stream.once('open', () => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    stream.pipe(res);
  });
  stream.once('error', () => sendText(res, 404, 'not found'));
  res.once('close', () => stream.destroy());
}

/**
 * CORS headers for an allowed browser origin, including Chrome's Private Network Access grant
 * (a public https page reaching 127.0.0.1 asks for it in the preflight). Nothing for others.
 */
function corsHeaders(req: IncomingMessage, options: HttpRoutesOptions): Record<string, string> {
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !options.isOriginAllowed(origin)) return {};
  const headers: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
  if (req.method === 'OPTIONS') {
    headers['access-control-allow-methods'] = 'GET, HEAD, OPTIONS';
    const requested = req.headers['access-control-request-headers'];
    if (typeof requested === 'string') headers['access-control-allow-headers'] = requested;
    if (req.headers['access-control-request-private-network'] === 'true') {
      headers['access-control-allow-private-network'] = 'true';
    }
    headers['access-control-max-age'] = '600';
  }
  return headers;
}

/**
 * `/status` as a requester may read it: the `debug` block (open resources, queue and
 * listener counts, the times tabs opened and reloaded, as far as they show) only for a request
 * without an Origin, which no web page's cross-origin read can be. A page on any localhost port is
 * an allowed origin and reads `/status` through CORS, but not those.
 *
 * @example
 * statusFor(req, server.status()); // without `debug` when req carries an Origin
 */
export function statusFor(req: IncomingMessage, status: StatusBody): StatusBody {
  if (req.headers.origin === undefined) return status;
  const { debug: _debug, ...visible } = status;
  return visible;
}

/**
 * Answers one HTTP request that is not for socket.io.
 *
 * @example
 * httpServer.on('request', (req, res) => handleHttpRequest(req, res, { status: () => hub.status() }));
 */
export function handleHttpRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpRoutesOptions,
): void {
  const method = req.method ?? 'GET';
  let pathname: string;
  try {
    pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    return sendText(res, 400, 'bad request');
  }
  if (options.diagnostics?.(req, res, pathname)) return;
  for (const [name, value] of Object.entries(corsHeaders(req, options))) res.setHeader(name, value);
  if (method === 'OPTIONS') {
    res.writeHead(res.hasHeader('access-control-allow-origin') ? 204 : 403);
    return void res.end();
  }
  if (method !== 'GET' && method !== 'HEAD') return sendText(res, 405, 'method not allowed');

  if (pathname === '/') return sendText(res, 200, 'hello entry');
  if (pathname === '/status') return sendJson(res, 200, statusFor(req, options.status()));

  const parts = pathname.split('/').slice(1);
  if (parts[0] === 'modules') {
    if (parts.length === 1 || (parts.length === 2 && parts[1] === '')) {
      if (!options.handleModuleListRequest) return sendText(res, 404, 'not found');
      Promise.resolve()
        .then(() => options.handleModuleListRequest?.())
        .then(
          (list) => sendJson(res, 200, list ?? []),
          (error: Error) => {
            options.onWarning?.(`module list handler failed: ${error.message}`);
            sendText(res, 500, 'module list unavailable');
          },
        );
      return;
    }
    if (parts.length === 4 && parts[2] === 'files' && options.handleModuleFileRequest) {
      const name = decodeSegment(parts[1] as string);
      const type = decodeSegment(parts[3] as string);
      if (name === undefined || type === undefined || !isSafePathSegment(name) || !isSafePathSegment(type)) {
        return sendText(res, 400, 'bad module name');
      }
      serveModuleFile(res, options.handleModuleFileRequest, name, type).catch((error: Error) => {
        options.onWarning?.(`module file handler failed: ${error.message}`);
        sendText(res, 500, 'module file unavailable');
      });
      return;
    }
  }
  sendText(res, 404, 'not found');
}
