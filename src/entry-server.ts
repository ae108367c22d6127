// EntryServer: the whole server as an in-process object, with the original's library API
// (PROTOCOL.md §8). It drives the host election, owns the host's listener and socket.io hub or
// the peer's link to the host, queues parent sends while between hosts, and reports modes.
// main.ts adapts it to IPC; entry-offline can construct it directly.
import { EventEmitter } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import {
  type ElectionAction,
  type ElectionEvent,
  type ElectionState,
  electHost,
  INITIAL_ELECTION,
} from './cloud/elect-host';
import { probePortHolder } from './cloud/host-probe';
import { PeerLink } from './cloud/peer-link';
import { DEFAULT_PORT, LISTEN_HOST } from './config';
import { Diagnostics } from './diagnostics/diagnostics';
import { type ProblemLog, recordProblems } from './diagnostics/problems';
import type { DiagnosticsSource, ServerFacts } from './diagnostics/snapshot';
import {
  CloudMode,
  type CloudModeValue,
  type ConnectionInfo,
  isValidRoomId,
  type OpenOptions,
  RunningMode,
  type RunningModeValue,
  type ServerErrorInfo,
  type ServerToParentKey,
  type ServerToParentMessages,
} from './ipc/messages';
import { type CertificateHealth, certificateHealth, type LoadedCertificate } from './listener/certificates';
import type { HostListener } from './listener/host-listener';
import type { ModuleHandlers, StatusBody } from './listener/http-routes';
import { normalizeOpenArguments } from './open-options';
import { RECONNECT_WINDOW_MS } from './routing/held-messages';
import { PeerOutbox } from './routing/peer-outbox';
import type { HostHub } from './socket/host-hub';
import type { UsageLog } from './telemetry/usage-log';
import { activeResourceCounts, listenerTotal } from './util/debug-counters';
import { createLogger, type Logger } from './util/log';
import { VERSION } from './version';

/** How often a running server re-checks its certificate's expiry. */
const CERTIFICATE_CHECK_MS = 60 * 60 * 1000;

/** Events of the server object: the server → parent messages except the cipher replies. */
export type EntryServerEvents = {
  [K in Exclude<ServerToParentKey, 'encrypt' | 'decrypt'>]: [value: ServerToParentMessages[K]];
};

export interface EntryServerOptions extends ModuleHandlers {
  /** Compat with the original: `true` serves plain http/ws only, even when a certificate is given. */
  http?: boolean;
  /** Port to listen on or join. Default 23518. */
  port?: number;
  /** Certificate for https/wss on the same port. */
  certificate?: LoadedCertificate;
  /** Extra allowed browser origins (added to the defaults). */
  allowedOrigins?: string[];
  logger?: Logger;
  /**
   * Most parent sends held while a peer is between hosts (oldest dropped beyond). Default 1000.
   * Sends older than 5 s when a host is found, and all of them when the roomId changes, are
   * dropped (src/routing/peer-outbox.ts).
   */
  peerQueueLimit?: number;
  /** How often a running server re-checks its certificate's expiry. Default one hour. */
  certificateCheckMs?: number;
  /** Count per-room traffic for the diagnostics page. Default true (off only to measure its cost). */
  roomStats?: boolean;
  /** A problem log `logger` already feeds (src/diagnostics/problems.ts); default: one of its own. */
  problems?: ProblemLog;
}

/**
 * The Entry HW server.
 *
 * @example
 * const server = new EntryServer({ http: true, handleModuleListRequest: () => modules });
 * server.on('runningModeChanged', (mode) => console.log(mode === RunningMode.server ? 'host' : 'peer'));
 * server.on('data', (value) => device.write(value));
 * await server.open();
 * server.sendToClient({ company: 1, model: 1, a0: 512 });
 */
export class EntryServer extends EventEmitter<EntryServerEvents> implements DiagnosticsSource {
  private readonly port: number;
  private readonly logger: Logger;
  private readonly certificate: LoadedCertificate | undefined;
  private readonly outbox: PeerOutbox<unknown>;
  private extraOrigins: string[];
  private election: ElectionState = INITIAL_ELECTION;
  private hub: HostHub | undefined;
  private listener: HostListener | undefined;
  private link: PeerLink | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private ownRoomId: string | undefined;
  private usage: UsageLog | undefined;
  private opened: Promise<void> | undefined;
  private settle: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private runningMode: RunningModeValue | undefined;
  private cloudMode: CloudModeValue | undefined;
  private tlsActive = false;
  private certificateState: CertificateHealth['state'] | undefined;
  private certificateTimer: NodeJS.Timeout | undefined;
  /** True once this instance has been a peer: after a failover it keeps routing by room. */
  private wasPeer = false;
  /** As a peer: browsers of this instance's room connected to the host (from the host's events). */
  private ownRoomBrowsers = 0;
  /**
   * When the host was lost while this instance's room had a browser connected to it: the next
   * host (this instance, or the one it joins) holds the room's messages for the reconnecting tab,
   * until 5 s after that moment (not after the new host appeared).
   */
  private browserLeftAt: number | undefined;
  /** The last roomId whose claim the host refused, so ROOM_CLAIMED is reported once. */
  private refusedRoom: string | undefined;
  private readonly diagnostics: Diagnostics;

  constructor(private readonly options: EntryServerOptions = {}) {
    super();
    this.port = options.port ?? DEFAULT_PORT;
    this.diagnostics = new Diagnostics({
      source: this,
      countRooms: options.roomStats,
      problems: options.problems,
    });
    const logger = options.logger ?? createLogger();
    this.logger = options.problems ? logger : recordProblems(logger, this.diagnostics.problems);
    this.certificate = options.http ? undefined : options.certificate;
    this.outbox = new PeerOutbox(options.peerQueueLimit ?? 1000);
    this.extraOrigins = [...(options.allowedOrigins ?? [])];
  }

  /** Current role, once `open` has settled. */
  get mode(): { runningMode: RunningModeValue | undefined; cloudMode: CloudModeValue | undefined } {
    return { runningMode: this.runningMode, cloudMode: this.cloudMode };
  }

  /**
   * Starts the server: listens as host or joins the host as a peer. Resolves when the role is
   * settled. A second call returns the first call's promise.
   *
   * @example
   * await server.open('production');
   * await server.open('2.1.0', 'https://example.org/count'); // entry-offline: version and telemetry URL
   * await server.open({ allowedOrigins: ['https://school.example'] });
   */
  open(modeOrOptions?: string | OpenOptions, telemetryUrl?: string): Promise<void> {
    if (this.opened) {
      this.logger.info('open: already open, nothing to do');
      return this.opened;
    }
    const options = normalizeOpenArguments(modeOrOptions, telemetryUrl);
    if (options.allowedOrigins) this.extraOrigins.push(...options.allowedOrigins);
    if (options.telemetryUrl) {
      // Loaded here, not at start: only an instance given an endpoint needs it (docs/BENCHMARKS.md).
      const { UsageLog } = require('./telemetry/usage-log') as typeof import('./telemetry/usage-log');
      this.usage = new UsageLog({
        endpoint: options.telemetryUrl,
        offlineVersion: options.offlineVersion,
        onError: (message) => this.logger.warnOnce(`usage:${message}`, message),
      });
      this.usage.record('start_app', false);
    }
    this.reportCertificateHealth();
    this.opened = new Promise((resolve) => {
      this.settle = resolve;
    });
    this.dispatch({ type: 'open' });
    return this.opened;
  }

  /**
   * Sets this instance's roomId (cloud PC mode). As a peer, tells the host at once.
   *
   * @example
   * server.addRoomId('0a1b2c3d4e');
   */
  addRoomId(roomId: string): void {
    if (!isValidRoomId(roomId)) {
      this.logger.warn('addRoomId: ignoring an empty, too long or non-string roomId');
      return;
    }
    if (roomId !== this.ownRoomId && this.outbox.length > 0) {
      // Queued sends were for the previous room's tab; never deliver them to the new room's.
      const dropped = this.outbox.roomChanged();
      this.logger.warn(
        `addRoomId: the roomId changed; dropped ${dropped} sends queued for the previous room`,
      );
    }
    if (roomId !== this.ownRoomId) {
      // What this instance knew of its room's browsers was about the previous room.
      this.ownRoomBrowsers = 0;
      this.browserLeftAt = undefined;
    }
    this.ownRoomId = roomId;
    if (this.election.phase === 'peer') this.link?.matchRoom(roomId);
    if (this.election.phase === 'host') this.hub?.ownRoomIdChanged(roomId);
  }

  /**
   * Sends a value to the browser(s) this instance serves, wrapped as `{ data: value }`.
   * While a peer is between hosts the value is queued and delivered after the rematch.
   *
   * @example
   * server.sendToClient({ company: 1, model: 1, a0: 512 });
   */
  sendToClient(value: unknown): void {
    if (this.election.phase === 'host' && this.hub) {
      this.hub.sendFromParent(value);
    } else if (this.election.phase === 'peer' && this.link?.connected) {
      this.link.send({ data: value });
    } else {
      this.outbox.push(value, Date.now());
      if (this.outbox.dropped === 1) {
        this.logger.warn(`no host yet: keeping the last ${this.outbox.capacity} sends, dropping older ones`);
      }
    }
  }

  /** Tells the browser the device went away (the legacy string the workspace understands). */
  disconnectHardware(): void {
    this.sendToClient('disconnectHardware');
  }

  /** Telemetry: a device connected (`connectHardwareSuccess`). */
  reportDeviceConnected(hardwareId: string): void {
    this.usage?.deviceConnected(String(hardwareId), this.cloudMode === CloudMode.cloud);
    this.diagnostics.deviceReported('connected', String(hardwareId));
    this.link?.report(this.diagnostics.peerReport(VERSION));
  }

  /** Telemetry: a device failed to connect (`connectHardwareFailed`). */
  reportDeviceFailed(): void {
    this.usage?.deviceFailed(this.cloudMode === CloudMode.cloud);
    this.diagnostics.deviceReported('failed');
    this.link?.report(this.diagnostics.peerReport(VERSION));
  }

  /** What the diagnostics page needs from the server (src/diagnostics/snapshot.ts). */
  diagnosticsFacts(): ServerFacts {
    return {
      version: VERSION,
      port: this.port,
      runningMode: this.runningMode,
      cloudMode: this.cloudMode,
      tlsActive: this.tlsActive,
      certificateNotAfter: this.certificate?.notAfter,
      plainOnlyByOption: this.options.http === true,
      hub: this.election.phase === 'host' ? this.hub?.diagnosticsFacts() : undefined,
    };
  }

  /** What `GET /status` answers. */
  status(): StatusBody {
    return {
      name: 'entry-hw-server',
      version: VERSION,
      runningMode: this.runningMode ?? null,
      cloudMode: this.cloudMode ?? null,
      browsers: this.hub?.browserCount ?? 0,
      peers: this.hub?.peerCount ?? 0,
      tls: {
        enabled: this.tlsActive,
        notAfter: this.tlsActive && this.certificate ? this.certificate.notAfter.toISOString() : null,
      },
      debug: {
        resources: activeResourceCounts(),
        peerQueue: this.outbox.length,
        listeners: listenerTotal(this) + (this.link ? listenerTotal(this.link) : 0),
        hub: this.hub?.debugCounters() ?? null,
      },
    };
  }

  /**
   * Closes every socket and the listener (or the link to the host). Safe to call twice.
   *
   * @example
   * process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = this.shutdown();
      this.dispatch({ type: 'close' });
    }
    return this.closing;
  }

  /** Emits `error` only when someone listens: an unheard 'error' event would crash an embedder. */
  private report(info: ServerErrorInfo): void {
    this.logger.warn(`${info.code}: ${info.message}`);
    this.diagnostics.errorReported(info);
    if (this.listenerCount('error') > 0) this.emit('error', info);
  }

  /**
   * Reports the certificate's expiry state to the parent when it changes: at `open`, then on an
   * hourly check, so a server left running for days still warns before and at expiry.
   */
  private reportCertificateHealth(): void {
    if (!this.certificate) {
      this.logger.info(
        this.options.http
          ? 'serving plain http/ws only (http option)'
          : 'no certificate: serving plain http/ws only',
      );
      return;
    }
    const health = certificateHealth(this.certificate.notAfter);
    if (health.state === this.certificateState) return;
    this.certificateState = health.state;
    const until = this.certificate.notAfter.toISOString();
    if (health.state === 'expired') {
      const effect = this.tlsActive
        ? 'browsers now fall back to ws://127.0.0.1 on the same port'
        : 'serving plain http/ws only';
      this.report({ code: 'CERT_EXPIRED', message: `the certificate expired on ${until}; ${effect}` });
    } else if (health.state === 'expiring-soon') {
      this.report({
        code: 'CERT_EXPIRING_SOON',
        message: `the certificate expires on ${until} (${health.daysLeft} days left)`,
      });
    }
    if (!this.certificateTimer && health.state !== 'expired') {
      this.certificateTimer = setInterval(
        () => this.reportCertificateHealth(),
        this.options.certificateCheckMs ?? CERTIFICATE_CHECK_MS,
      );
      this.certificateTimer.unref();
    }
  }

  private usableCertificate(): LoadedCertificate | undefined {
    if (!this.certificate || certificateHealth(this.certificate.notAfter).state === 'expired')
      return undefined;
    return this.certificate;
  }

  private dispatch(event: ElectionEvent): void {
    const step = electHost(this.election, event);
    this.election = step.state;
    for (const action of step.actions) this.perform(action);
  }

  private perform(action: ElectionAction): void {
    switch (action.type) {
      case 'listen':
        return this.tryListen();
      case 'probe':
        probePortHolder(this.port).then((holder) =>
          this.dispatch(
            holder.kind === 'foreign' || holder.kind === 'older-entry-hw-server'
              ? { type: 'probed', holder: holder.kind, detail: holder.detail }
              : { type: 'probed', holder: holder.kind },
          ),
        );
        return;
      case 'join':
        return this.tryJoin();
      case 'becomeHost':
        return this.becomeHost();
      case 'becomePeer':
        return this.becomePeer();
      case 'retryAfter':
        this.retryTimer = setTimeout(() => this.dispatch({ type: 'retryDue' }), action.ms);
        return;
      case 'report':
        return this.report({ code: action.code, message: action.message });
      case 'shutdown':
        return; // the work is in shutdown(), started by close()
    }
  }

  /**
   * Binds a bare TCP server first and frees it at once: an instance that finds the port taken
   * becomes a peer without ever loading the host's machinery (socket.io server, TLS, routing,
   * mailbox), 2.4 MB of every peer's memory (docs/BENCHMARKS.md, memory per seat). Losing the
   * port between this check and the real bind is the usual `bindFailed`.
   */
  private tryListen(): void {
    const probe = createNetServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      this.dispatch({ type: 'bindFailed', code: error.code, message: error.message }),
    );
    probe.listen({ port: this.port, host: LISTEN_HOST, exclusive: true }, () =>
      probe.close(() => {
        if (this.election.phase === 'binding') this.listenAsHost();
      }),
    );
  }

  private listenAsHost(): void {
    // Loaded on the first election this instance wins (esbuild evaluates them on this require).
    const { HostHub } = require('./socket/host-hub') as typeof import('./socket/host-hub');
    const { HostListener } = require('./listener/host-listener') as typeof import('./listener/host-listener');
    const hub = new HostHub({
      logger: this.logger,
      allowedOrigins: () => this.extraOrigins,
      ownRoomId: () => this.ownRoomId,
      startedInCloud: this.wasPeer,
      reconnectingRooms:
        this.browserLeftAt !== undefined && this.ownRoomId !== undefined
          ? [{ roomId: this.ownRoomId, leftAt: this.browserLeftAt }]
          : [],
      stats: this.diagnostics.stats,
    });
    const certificate = this.usableCertificate();
    const listener = new HostListener({
      hub,
      logger: this.logger,
      certificate,
      status: () => this.status(),
      handleModuleListRequest: this.options.handleModuleListRequest,
      handleModuleFileRequest: this.options.handleModuleFileRequest,
      diagnostics: (req, res, pathname) => this.diagnostics.handle(req, res, pathname),
    });
    listener.listen(this.port, LISTEN_HOST).then(
      () => {
        if (this.election.phase !== 'binding') {
          void listener.close();
          void hub.close();
          return;
        }
        this.hub = hub;
        this.listener = listener;
        this.tlsActive = listener.tlsEnabled;
        this.dispatch({ type: 'bound' });
      },
      (error: NodeJS.ErrnoException) => {
        void hub.close();
        this.dispatch({ type: 'bindFailed', code: error.code, message: error.message });
      },
    );
  }

  private tryJoin(): void {
    const link = new PeerLink(this.port);
    this.link = link;
    link.on('data', (value) => this.emit('data', value));
    link.on('browserConnected', (roomId, browsers) => {
      this.ownRoomBrowsers = browsers ?? this.ownRoomBrowsers + 1;
      this.announceConnection({ kind: 'browser', roomId });
    });
    link.on('browserClosed', (roomId, browsers) => {
      this.ownRoomBrowsers = browsers ?? Math.max(0, this.ownRoomBrowsers - 1);
      this.announceClose({ kind: 'browser', roomId });
    });
    link.on('claimRefused', (refusal) => {
      this.ownRoomBrowsers = 0; // the host no longer reports this room's browsers to us
      if (refusal.roomId === this.refusedRoom) return;
      this.refusedRoom = refusal.roomId;
      this.report({ code: 'ROOM_CLAIMED', message: refusal.message });
    });
    this.ownRoomBrowsers = 0;
    link
      .connect(() =>
        this.ownRoomId === undefined
          ? undefined
          : {
              roomId: this.ownRoomId,
              ...this.hostLossClaim(),
            },
      )
      .then(
        () => {
          if (this.election.phase !== 'joining') {
            link.close();
            return;
          }
          this.browserLeftAt = undefined;
          link.once('lost', (reason) => {
            this.logger.info(`lost the host (${reason}); electing a new one`);
            this.browserLeftAt = this.ownRoomBrowsers > 0 ? Date.now() : undefined;
            this.ownRoomBrowsers = 0;
            link.close();
            if (this.link === link) this.link = undefined;
            this.dispatch({ type: 'hostLost' });
          });
          this.dispatch({ type: 'joined' });
        },
        (error: Error) => {
          link.close();
          if (this.link === link) this.link = undefined;
          this.dispatch({ type: 'joinFailed', message: `cannot join the host: ${error.message}` });
        },
      );
  }

  /** What a matchTarget adds when this room's browser was cut off by the host loss, within the window. */
  private hostLossClaim(): { browserConnectedAtHostLoss?: true; msSinceHostLoss?: number } {
    if (this.browserLeftAt === undefined) return {};
    const msSinceHostLoss = Math.max(0, Date.now() - this.browserLeftAt);
    if (msSinceHostLoss >= RECONNECT_WINDOW_MS) return {};
    return { browserConnectedAtHostLoss: true, msSinceHostLoss };
  }

  private becomeHost(): void {
    const hub = this.hub as HostHub;
    this.browserLeftAt = undefined;
    hub.on('data', (value) => this.emit('data', value));
    hub.on('connection', (info) => this.announceConnection(info));
    hub.on('close', (info) => this.announceClose(info));
    hub.on('peerCountChanged', (count) =>
      this.setModes(RunningMode.server, count > 0 ? CloudMode.cloud : CloudMode.singleServer),
    );
    this.logger.info(
      `host on ${LISTEN_HOST}:${this.port} (${this.tlsActive ? 'https/wss and http/ws' : 'http/ws only'})`,
    );
    this.setModes(RunningMode.server, hub.peerCount > 0 ? CloudMode.cloud : CloudMode.singleServer);
    for (const { value, queuedMs } of this.drainOutbox()) hub.sendFromParent(value, queuedMs);
  }

  /** The queued sends still young enough for a browser; the stale ones are dropped, with a count. */
  private drainOutbox(): { value: unknown; queuedMs: number }[] {
    const { fresh, expired } = this.outbox.drain(Date.now());
    if (expired > 0)
      this.logger.warn(
        `dropped ${expired} sends queued while there was no host: older than ${RECONNECT_WINDOW_MS / 1000} s`,
      );
    return fresh;
  }

  /** A socket reached the host (for a peer: its own room's browser did): telemetry and `connection`. */
  private announceConnection(info: ConnectionInfo): void {
    if (info.kind === 'browser') this.usage?.browserConnected(this.cloudMode === CloudMode.cloud);
    if (info.kind === 'browser') this.diagnostics.stats?.browserJoined(info.roomId);
    this.emit('connection', info);
  }

  /** A socket left the host (for a peer: its own room's browser did): telemetry and `close`. */
  private announceClose(info: ConnectionInfo): void {
    if (info.kind === 'browser') this.usage?.browserDisconnected(this.cloudMode === CloudMode.cloud);
    if (info.kind === 'browser') this.diagnostics.stats?.browserLeft(info.roomId);
    this.emit('close', info.roomId);
  }

  private becomePeer(): void {
    this.wasPeer = true;
    this.logger.info(`peer of the host on ${LISTEN_HOST}:${this.port}`);
    this.setModes(RunningMode.client, CloudMode.cloud);
    this.link?.report(this.diagnostics.peerReport(VERSION));
    for (const { value, queuedMs } of this.drainOutbox()) this.link?.send({ data: value }, queuedMs);
  }

  /** Settles `open` on the first role and reports each mode when it changes. */
  private setModes(running: RunningModeValue, cloud: CloudModeValue): void {
    if (this.closing) return;
    const first = this.settle !== undefined;
    if (first || running !== this.runningMode) {
      this.runningMode = running;
      this.emit('runningModeChanged', running);
    }
    if (first || cloud !== this.cloudMode) {
      this.cloudMode = cloud;
      this.emit('cloudModeChanged', cloud);
    }
    this.settle?.();
    this.settle = undefined;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.retryTimer);
    clearInterval(this.certificateTimer);
    this.link?.close();
    this.link = undefined;
    const hub = this.hub;
    const listener = this.listener;
    this.hub = undefined;
    this.listener = undefined;
    await Promise.allSettled([hub?.close(), listener?.close()]);
    this.settle?.();
  }
}
