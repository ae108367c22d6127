// EntryServer: the whole server as an in-process object, with the original's library API
// (docs/PROTOCOL.md §8). It drives the host election, owns the host's listener and socket.io hub or
// the peer's link to the host, queues parent sends while between hosts, and reports modes.
// main.ts adapts it to IPC; entry-offline can construct it directly.
import { EventEmitter } from 'node:events';
import { CertificateWatch } from './certificate-watch';
import {
  type ElectionAction,
  type ElectionEvent,
  type ElectionState,
  electHost,
  INITIAL_ELECTION,
} from './cloud/elect-host';
import { probePortHolder } from './cloud/host-probe';
import { DEFAULT_PORT, LISTEN_HOST } from './config';
import { Diagnostics } from './diagnostics/diagnostics';
import { recordProblems } from './diagnostics/problems';
import type { DiagnosticsSource, ServerFacts } from './diagnostics/snapshot';
import type { EntryServerEvents, EntryServerOptions } from './entry-server-options';
import {
  CloudMode,
  type CloudModeValue,
  isValidRoomId,
  type OpenOptions,
  RunningMode,
  type RunningModeValue,
  type ServerErrorInfo,
} from './ipc/messages';
import type { ParentCommandTarget } from './ipc/parent-commands';
import type { LoadedCertificate } from './listener/certificates';
import type { StatusBody } from './listener/http-routes';
import { ModeReport } from './mode-report';
import { normalizeOpenArguments } from './open-options';
import type { HostRoleOptions } from './roles/host-role';
import type { PeerRole } from './roles/peer-role';
import type { Role, RoleEvents } from './roles/role';
import { startHost, startPeer } from './roles/start-role';
import { RECONNECT_WINDOW_MS } from './routing/held-messages';
import { PeerOutbox } from './routing/peer-outbox';
import { ServerActivity } from './server-activity';
import { activeResourceCounts, listenerTotal } from './util/debug-counters';
import { createLogger, type Logger } from './util/log';
import { VERSION } from './version';

export type { EntryServerEvents, EntryServerOptions } from './entry-server-options';

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
export class EntryServer
  extends EventEmitter<EntryServerEvents>
  implements DiagnosticsSource, ParentCommandTarget
{
  private readonly port: number;
  private readonly logger: Logger;
  private readonly certificate: LoadedCertificate | undefined;
  private readonly certificates: CertificateWatch;
  /** Parent values kept while this instance has no role (between hosts), delivered to the next. */
  private readonly outbox: PeerOutbox<unknown>;
  private readonly diagnostics: Diagnostics;
  private extraOrigins: string[];
  private election: ElectionState = INITIAL_ELECTION;
  /** The host or peer role this instance has now; none while electing, binding or joining. */
  private role: (Role & EventEmitter<RoleEvents>) | undefined;
  /** A peer role still connecting (election phase `joining`). */
  private joining: PeerRole | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private ownRoomId: string | undefined;
  private readonly activity: ServerActivity;
  private opened: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly modes = new ModeReport({
    runningModeChanged: (mode) => this.emit('runningModeChanged', mode),
    cloudModeChanged: (mode) => this.emit('cloudModeChanged', mode),
  });
  private tlsActive = false;
  /** True once this instance has been part of a cloud (a peer): as a later host it keeps routing by room. */
  private everCloud = false;
  /**
   * When the host was lost while this instance's room had a browser connected to it: the next
   * host (this instance, or the one it joins) holds the room's messages for the reconnecting tab,
   * until 5 s after that moment (not after the new host appeared).
   */
  private browserLeftAt: number | undefined;
  /** The last roomId whose claim a host refused, so ROOM_CLAIMED is reported once. */
  private refusedRoom: string | undefined;

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
    this.certificates = new CertificateWatch({
      certificate: this.certificate,
      plainOnlyByOption: options.http === true,
      logger: this.logger,
      report: (info) => this.report(info),
      tlsActive: () => this.tlsActive,
      checkMs: options.certificateCheckMs,
    });
    this.activity = new ServerActivity(this.diagnostics, this.logger);
    this.outbox = new PeerOutbox(options.peerQueueLimit ?? 1000);
    this.extraOrigins = [...(options.allowedOrigins ?? [])];
  }

  /** Current role, once `open` has settled. */
  get mode(): { runningMode: RunningModeValue | undefined; cloudMode: CloudModeValue | undefined } {
    return { runningMode: this.modes.runningMode, cloudMode: this.modes.cloudMode };
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
    this.activity.startUsage(options);
    this.certificates.start();
    this.opened = this.modes.opened();
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
    // What this instance knew of its room's browser was about the previous room.
    if (roomId !== this.ownRoomId) this.browserLeftAt = undefined;
    this.ownRoomId = roomId;
    this.role?.addRoomId(roomId);
  }

  /**
   * Sends a value to the browser(s) this instance serves, wrapped as `{ data: value }`: the role
   * delivers it, else (between hosts) the outbox keeps it for the next role.
   *
   * @example
   * server.sendToClient({ company: 1, model: 1, a0: 512 });
   */
  sendToClient(value: unknown): void {
    if (!this.role?.deliver(value)) {
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
    this.role?.shareDeviceReport(
      this.activity.deviceConnected(String(hardwareId), this.modes.cloudMode === CloudMode.cloud),
    );
  }

  /** Telemetry: a device failed to connect (`connectHardwareFailed`). */
  reportDeviceFailed(): void {
    this.role?.shareDeviceReport(this.activity.deviceFailed(this.modes.cloudMode === CloudMode.cloud));
  }

  /** What the diagnostics page needs from the server (src/diagnostics/snapshot.ts). */
  diagnosticsFacts(): ServerFacts {
    return {
      version: VERSION,
      port: this.port,
      runningMode: this.modes.runningMode,
      cloudMode: this.modes.cloudMode,
      tlsActive: this.tlsActive,
      certificateNotAfter: this.certificate?.notAfter,
      plainOnlyByOption: this.options.http === true,
      hub: this.role?.hubFacts(),
    };
  }

  /** What `GET /status` answers. */
  status(): StatusBody {
    const role = this.role?.status();
    return {
      name: 'entry-hw-server',
      version: VERSION,
      runningMode: this.modes.runningMode ?? null,
      cloudMode: this.modes.cloudMode ?? null,
      browsers: role?.browsers ?? 0,
      peers: role?.peers ?? 0,
      tls: {
        enabled: this.tlsActive,
        notAfter: this.tlsActive && this.certificate ? this.certificate.notAfter.toISOString() : null,
      },
      debug: {
        resources: activeResourceCounts(),
        peerQueue: this.outbox.length,
        listeners: listenerTotal(this) + (role?.listeners ?? 0),
        hub: role?.hub ?? null,
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
      this.modes.close();
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
      case 'becomePeer':
        return this.settleRole();
      case 'retryAfter':
        this.retryTimer = setTimeout(() => this.dispatch({ type: 'retryDue' }), action.ms);
        return;
      case 'report':
        return this.report({ code: action.code, message: action.message });
      case 'shutdown':
        return; // the work is in shutdown(), started by close()
    }
  }

  private tryListen(): void {
    startHost(
      () => this.hostOptions(),
      () => this.election.phase === 'binding',
      this.port,
      LISTEN_HOST,
    ).then(
      (role) => {
        if (!role) return;
        if (this.election.phase !== 'binding') return void role.close();
        this.tlsActive = role.tlsEnabled;
        this.takeRole(role);
        this.browserLeftAt = undefined;
        const tls = this.tlsActive ? 'https/wss and http/ws' : 'http/ws only';
        this.logger.info(`host on ${LISTEN_HOST}:${this.port} (${tls})`);
        this.dispatch({ type: 'bound' });
      },
      (error: NodeJS.ErrnoException) =>
        this.dispatch({ type: 'bindFailed', code: error.code, message: error.message }),
    );
  }

  private hostOptions(): HostRoleOptions {
    return {
      ...this.options,
      port: this.port,
      host: LISTEN_HOST,
      logger: this.logger,
      allowedOrigins: () => this.extraOrigins,
      ownRoomId: () => this.ownRoomId,
      everCloud: this.everCloud,
      reconnectingRooms:
        this.browserLeftAt !== undefined && this.ownRoomId !== undefined
          ? [{ roomId: this.ownRoomId, leftAt: this.browserLeftAt }]
          : [],
      stats: this.diagnostics.stats,
      certificate: this.certificates.usable(),
      status: () => this.status(),
      diagnostics: (req, res, pathname) => this.diagnostics.handle(req, res, pathname),
    };
  }

  private tryJoin(): void {
    const { role, joined } = startPeer(this.port, () =>
      this.ownRoomId === undefined ? undefined : { roomId: this.ownRoomId, ...this.hostLossClaim() },
    );
    this.joining = role;
    joined.then(
      () => {
        if (this.joining === role) this.joining = undefined;
        if (this.election.phase !== 'joining') return void role.close();
        this.browserLeftAt = undefined;
        role.once('lost', (reason) => {
          this.logger.info(`lost the host (${reason}); electing a new one`);
          this.browserLeftAt = role.ownRoomHasBrowser ? Date.now() : undefined;
          void role.close();
          if (this.role === role) this.role = undefined;
          this.dispatch({ type: 'hostLost' });
        });
        this.takeRole(role);
        this.everCloud = true;
        this.logger.info(`peer of the host on ${LISTEN_HOST}:${this.port}`);
        this.dispatch({ type: 'joined' });
      },
      (error: Error) => {
        if (this.joining === role) this.joining = undefined;
        this.dispatch({ type: 'joinFailed', message: `cannot join the host: ${error.message}` });
      },
    );
  }

  /** Listens to a role's events and makes it the current one. */
  private takeRole(role: Role & EventEmitter<RoleEvents>): void {
    role.on('data', (value) => this.emit('data', value));
    role.on('connection', (info) => {
      this.activity.connected(info, this.modes.cloudMode === CloudMode.cloud);
      this.emit('connection', info);
    });
    role.on('close', (info) => {
      this.activity.closed(info, this.modes.cloudMode === CloudMode.cloud);
      this.emit('close', info.roomId);
    });
    role.on('cloudModeChanged', (mode) => this.modes.set(this.runningModeOf(role), mode));
    role.on('problem', (info, roomId) => {
      if (roomId === this.refusedRoom) return;
      this.refusedRoom = roomId;
      this.report(info);
    });
    this.role = role;
  }

  private runningModeOf(role: Role): RunningModeValue {
    return role.kind === 'host' ? RunningMode.server : RunningMode.client;
  }

  /** The election settled on a role (`becomeHost` / `becomePeer`): report it, hand it the outbox. */
  private settleRole(): void {
    const role = this.role;
    if (!role) return;
    this.modes.set(this.runningModeOf(role), role.cloudMode);
    role.shareDeviceReport(this.activity.deviceReport());
    const { fresh, expired } = this.outbox.drain(Date.now());
    if (expired > 0)
      this.logger.warn(
        `dropped ${expired} sends queued while there was no host: older than ${RECONNECT_WINDOW_MS / 1000} s`,
      );
    for (const { value, queuedMs } of fresh) role.deliver(value, queuedMs);
  }

  /** What a matchTarget adds when this room's browser was cut off by the host loss, within the window. */
  private hostLossClaim(): { browserConnectedAtHostLoss?: true; msSinceHostLoss?: number } {
    if (this.browserLeftAt === undefined) return {};
    const msSinceHostLoss = Math.max(0, Date.now() - this.browserLeftAt);
    if (msSinceHostLoss >= RECONNECT_WINDOW_MS) return {};
    return { browserConnectedAtHostLoss: true, msSinceHostLoss };
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.certificates.stop();
    const roles = [this.role, this.joining];
    this.role = undefined;
    this.joining = undefined;
    await Promise.allSettled(roles.map((role) => role?.close()));
    this.modes.settleOpen();
  }
}
