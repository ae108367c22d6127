// EntryServer: the whole server as an in-process object, with the original's library API
// (docs/PROTOCOL.md §8). It takes the parent's commands, hands parent values to the role the
// election settled on (election/election-runner.ts) or queues them while between hosts, is the owner
// every role reports to by direct calls (RoleOwner) and turns those reports into its own public
// events, and reports modes, status and diagnostics. main.ts adapts it to IPC;
// entry-offline can construct it directly.
import { EventEmitter } from 'node:events';
import { DEFAULT_PORT, LISTEN_HOST } from '../config';
import type { Role, RoleOwner } from '../contracts/role';
import type { LoadedCertificate } from '../crypto/certificates';
import { Diagnostics } from '../diagnostics/diagnostics';
import { recordProblems } from '../diagnostics/problems';
import type { DiagnosticsSource, ServerFacts } from '../diagnostics/snapshot';
import { ElectionRunner, type HostTurn } from '../election/election-runner';
import type { HostRoleOptions } from '../host/host-role';
import type { StatusBody } from '../host/listener/http-routes';
import {
  CloudMode,
  type CloudModeValue,
  isValidRoomId,
  type OpenOptions,
  RunningMode,
  type RunningModeValue,
  type ServerErrorInfo,
} from '../ipc/messages';
import type { ParentCommandTarget } from '../ipc/parent-commands';
import { createSessionLookup, type SessionIdentity, type SessionLookup } from '../os-session';
import { withoutRoom } from '../routing/host-routing';
import { activeResourceCounts, listenerTotal } from '../util/debug-counters';
import { createLogger, type Logger } from '../util/log';
import { periodicCollectionStats } from '../util/periodic-collection';
import { VERSION } from '../version';
import { CertificateWatch } from './certificate-watch';
import type { EntryServerEvents, EntryServerOptions } from './entry-server-options';
import { ModeReport } from './mode-report';
import { normalizeOpenArguments } from './open-options';
import { ParentOutbox } from './parent-outbox';
import { ServerActivity } from './server-activity';

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
  private readonly outbox: ParentOutbox;
  private readonly diagnostics: Diagnostics;
  private extraOrigins: string[];
  private readonly election: ElectionRunner;
  private ownRoomId: string | undefined;
  private readonly activity: ServerActivity;
  private opened: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly modes = new ModeReport({
    runningModeChanged: (mode) => this.emit('runningModeChanged', mode),
    cloudModeChanged: (mode) => this.emit('cloudModeChanged', mode),
  });
  /** The role `refusedRoom` and `roomUnknownTold` are about: a new role starts them afresh. */
  private reportingRole: Role | undefined;
  /** The last roomId whose claim the current host refused, so ROOM_CLAIMED is reported once per role. */
  private refusedRoom: string | undefined;
  /** ROOM_UNKNOWN was told for the current role. */
  private roomUnknownTold = false;
  /** What every role reports to (given to each role when it is created, through the election). */
  private readonly roleOwner: RoleOwner = {
    data: (value) => this.emit('data', value),
    connection: (info) => {
      this.activity.connected(this.modes.cloudMode === CloudMode.cloud);
      this.emit('connection', info);
    },
    close: (info) => {
      this.activity.closed(this.modes.cloudMode === CloudMode.cloud);
      this.emit('close', info.roomId);
    },
    cloudModeChanged: (role) => {
      this.modes.set(this.runningModeOf(role), role.cloudMode);
      this.tellIfRoomUnknown(role);
    },
    // With pairing by OS session, the host tells an instance without a room when a tab no one
    // serves may be its student's (no alarm while its tab is about to be paired).
    roomUnknown: (role) => {
      if (this.sessions !== undefined && this.ownRoomId === undefined) this.tellRoomUnknown(role);
    },
    problem: (role, info, roomId) => {
      this.reportsOf(role);
      if (roomId === this.refusedRoom) return;
      this.refusedRoom = roomId;
      this.report(info);
    },
  };
  /** The OS-session lookup when tabs are paired by session (docs/PROTOCOL.md §4), else undefined. */
  private readonly sessions: SessionLookup | undefined;
  /** This instance's own OS session, once known (sent by a peer with its reports). */
  private ownSession: SessionIdentity | undefined;

  constructor(private readonly options: EntryServerOptions = {}) {
    super();
    this.port = options.port ?? DEFAULT_PORT;
    this.sessions =
      options.sessionPairing === false ? undefined : (options.sessionLookup ?? createSessionLookup());
    this.diagnostics = new Diagnostics({
      source: this,
      countRooms: options.roomStats,
      problems: options.problems,
      logFile: options.logFile,
    });
    const logger = options.logger ?? createLogger();
    this.logger = options.problems ? logger : recordProblems(logger, this.diagnostics.problems);
    this.certificate = options.http ? undefined : options.certificate;
    this.certificates = new CertificateWatch({
      certificate: this.certificate,
      plainOnlyByOption: options.http === true,
      logger: this.logger,
      report: (info) => this.report(info),
      tlsActive: () => this.election.tlsActive,
      checkMs: options.certificateCheckMs,
    });
    this.activity = new ServerActivity(this.diagnostics, this.logger);
    this.outbox = new ParentOutbox(options.peerQueueLimit ?? 1000, this.logger);
    this.extraOrigins = [...(options.allowedOrigins ?? [])];
    this.election = new ElectionRunner({
      port: this.port,
      logger: this.logger,
      hostOptions: (turn) => this.hostOptions(turn),
      roomId: () => this.ownRoomId,
      owner: this.roleOwner,
      settled: (role) => this.settleRole(role),
      report: (info) => this.report(info),
    });
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
    void this.sessions?.own().then((answer) => {
      if (answer.known) this.ownSession = answer.session;
    });
    this.election.start();
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
    if (roomId !== this.ownRoomId) {
      // Queued sends were for the previous room's tab, and what this instance knew of its room's
      // browser was about the previous room.
      this.outbox.roomChanged();
      this.election.roomChanged();
    }
    this.ownRoomId = roomId;
    this.election.role?.addRoomId(roomId);
  }

  /**
   * Sends a value to the browser(s) this instance serves, wrapped as `{ data: value }`: the role
   * delivers it, else (between hosts) the outbox keeps it for the next role.
   *
   * @example
   * server.sendToClient({ company: 1, model: 1, a0: 512 });
   */
  sendToClient(value: unknown): void {
    if (!this.election.role?.deliver(value)) this.outbox.keep(value);
  }

  /** Tells the browser the device went away (the legacy string the workspace understands). */
  disconnectHardware(): void {
    this.sendToClient('disconnectHardware');
  }

  /** Telemetry: a device connected (`connectHardwareSuccess`). */
  reportDeviceConnected(hardwareId: string): void {
    this.election.role?.shareDeviceReport(
      this.activity.deviceConnected(String(hardwareId), this.modes.cloudMode === CloudMode.cloud),
    );
  }

  /** Telemetry: a device failed to connect (`connectHardwareFailed`). */
  reportDeviceFailed(): void {
    this.election.role?.shareDeviceReport(
      this.activity.deviceFailed(this.modes.cloudMode === CloudMode.cloud),
    );
  }

  /** What the diagnostics page needs from the server (src/diagnostics/snapshot.ts). */
  diagnosticsFacts(): ServerFacts {
    return {
      version: VERSION,
      port: this.port,
      runningMode: this.modes.runningMode,
      cloudMode: this.modes.cloudMode,
      tlsActive: this.election.tlsActive,
      certificateNotAfter: this.certificate?.notAfter,
      plainOnlyByOption: this.options.http === true,
      hub: this.election.role?.hubFacts(),
    };
  }

  /** What `GET /status` answers. */
  status(): StatusBody {
    const role = this.election.role?.status();
    return {
      name: 'entry-hw-server',
      version: VERSION,
      runningMode: this.modes.runningMode ?? null,
      cloudMode: this.modes.cloudMode ?? null,
      browsers: role?.browsers ?? 0,
      peers: role?.peers ?? 0,
      pairings: role?.pairings ?? null,
      logFile: this.diagnostics.logFileFacts(),
      tls: {
        enabled: this.election.tlsActive,
        notAfter:
          this.election.tlsActive && this.certificate ? this.certificate.notAfter.toISOString() : null,
      },
      debug: {
        resources: activeResourceCounts(),
        peerQueue: this.outbox.length,
        listeners: listenerTotal(this) + (role?.listeners ?? 0),
        hub: role?.hub ?? null,
        gc: periodicCollectionStats(),
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
    }
    return this.closing;
  }

  /** Emits `error` only when someone listens: an unheard 'error' event would crash an embedder. */
  private report(info: ServerErrorInfo): void {
    this.logger.warn(`${info.code}: ${info.message}`);
    this.diagnostics.errorReported(info);
    if (this.listenerCount('error') > 0) this.emit('error', info);
  }

  /** Everything a hosting turn needs; the election adds what one turn hands the next. */
  private hostOptions(turn: HostTurn): Omit<HostRoleOptions, 'owner'> {
    return {
      ...this.options,
      ...turn,
      port: this.port,
      host: LISTEN_HOST,
      logger: this.logger,
      allowedOrigins: () => this.extraOrigins,
      ownRoomId: () => this.ownRoomId,
      sessions: this.sessions,
      stats: this.diagnostics.stats,
      certificate: this.certificates.usable(),
      limits: this.options.listenerLimits,
      status: () => this.status(),
      diagnostics: (req, res, pathname) => this.diagnostics.handle(req, res, pathname),
    };
  }

  /**
   * ROOM_CLAIMED is told once per room and role, ROOM_UNKNOWN once per role: a new host decides
   * the claims anew, so what was told for the previous role is forgotten when another role reports.
   */
  private reportsOf(role: Role): void {
    if (role === this.reportingRole) return;
    this.reportingRole = role;
    this.refusedRoom = undefined;
    this.roomUnknownTold = false;
  }

  /**
   * Without pairing by OS session: tells the parent, once per role, that this instance serves no
   * browser because rooms decide routing and its parent never sent a roomId (the real Entry HW
   * sends none on a first launch; docs/PROTOCOL.md §4, "Which room is mine"). With pairing, the
   * host decides when (the role calls `roomUnknown`).
   */
  private tellIfRoomUnknown(role: Role): void {
    if (this.sessions !== undefined || !withoutRoom(this.ownRoomId, role.routesByRoom)) return;
    this.tellRoomUnknown(role);
  }

  private tellRoomUnknown(role: Role): void {
    this.reportsOf(role);
    if (this.roomUnknownTold) return;
    this.roomUnknownTold = true;
    this.report({
      code: 'ROOM_UNKNOWN',
      message:
        'other Entry HW programs run on this PC and this one has not been told its room number, so it serves no Entry page; press the hardware-connect button on the Entry page again (that sends Entry HW the room number)',
    });
  }

  private runningModeOf(role: Role): RunningModeValue {
    return role.kind === 'host' ? RunningMode.server : RunningMode.client;
  }

  /** The election settled on a role (`becomeHost` / `becomePeer`): report it, hand it the outbox. */
  private settleRole(role: Role): void {
    role.shareOwnSession(this.ownSession);
    this.modes.set(this.runningModeOf(role), role.cloudMode);
    this.tellIfRoomUnknown(role);
    role.shareDeviceReport(this.activity.deviceReport());
    this.outbox.handTo(role);
  }

  private async shutdown(): Promise<void> {
    this.certificates.stop();
    await this.election.close();
    this.modes.settleOpen();
  }
}
