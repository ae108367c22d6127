// Runs the host election of one instance. The rules are electHost (pure, elect-host.ts); this
// module carries out its actions: bind the port, ask who holds it, join that host as a peer,
// retry later. It holds the role the election settled on (a HostRole or a PeerRole, never
// both) and what one hosting turn hands the next: the host-loss record and whether this
// instance was ever part of a cloud. EntryServer owns everything else (parent values, modes,
// diagnostics): it is every role's owner (RoleOwner, given to each role when it is created) and
// hears through `settled` which role the election settled on.
import { LISTEN_HOST } from '../config';
import type { Role, RoleOwner } from '../contracts/role';
import type { HostRoleOptions } from '../host/host-role';
import type { ServerErrorInfo } from '../ipc/messages';
import type { PeerRole } from '../peer/peer-role';
import type { Logger } from '../util/log';
import {
  type ElectionAction,
  type ElectionEvent,
  type ElectionState,
  electHost,
  INITIAL_ELECTION,
} from './elect-host';
import { HostLossRecord, type ReconnectingRoom } from './host-loss';
import { probePortHolder } from './host-probe';
import { startHost, startPeer } from './start-role';

/** What one hosting turn needs from the election; the rest of HostRoleOptions is EntryServer's. */
export interface HostTurn {
  /** This instance was a peer before: as the host it keeps routing by room. */
  everCloud: boolean;
  /** Its own room's tab was cut off by the host loss: hold for it. */
  reconnectingRooms: ReconnectingRoom[];
}

export interface ElectionRunnerOptions {
  port: number;
  logger: Logger;
  /** The host role's options for a turn (its owner is added: `owner`). */
  hostOptions: (turn: HostTurn) => Omit<HostRoleOptions, 'owner'>;
  /** Hears what every role reports, from the moment the role is created. */
  owner: RoleOwner;
  /** This instance's roomId now (a peer claims it when joining). */
  roomId: () => string | undefined;
  /** The election settled on a role (becomeHost / becomePeer). */
  settled: (role: Role) => void;
  /** A problem the parent must hear about (PORT_HELD_BY_OTHER_PROGRAM, ...). */
  report: (info: ServerErrorInfo) => void;
}

/**
 * The election, running.
 *
 * @example
 * const election = new ElectionRunner({ port: 23518, logger, hostOptions, owner, roomId: () => roomId, settled, report });
 * election.start();                 // binds, or joins the instance on the port
 * election.role?.deliver({ a0: 1 }); // undefined between hosts
 * await election.close();
 */
export class ElectionRunner {
  private state: ElectionState = INITIAL_ELECTION;
  private current: Role | undefined;
  /** A peer role still connecting (phase `joining`). */
  private joining: PeerRole | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private everCloud = false;
  private readonly hostLoss = new HostLossRecord();
  private tls = false;

  constructor(private readonly options: ElectionRunnerOptions) {}

  /** The role this instance has now; undefined while electing, binding or joining. */
  get role(): Role | undefined {
    return this.current;
  }

  /** Whether this instance is the host and serves https/wss. */
  get tlsActive(): boolean {
    return this.tls;
  }

  start(): void {
    this.dispatch({ type: 'open' });
  }

  /** The parent set another roomId: what the last host loss said of the old room no longer applies. */
  roomChanged(): void {
    this.hostLoss.forget();
  }

  /** Ends the election and closes whatever role it holds or is bringing up. */
  async close(): Promise<void> {
    this.dispatch({ type: 'close' });
    clearTimeout(this.retryTimer);
    const roles = [this.current, this.joining];
    this.current = undefined;
    this.joining = undefined;
    await Promise.allSettled(roles.map((role) => role?.close()));
  }

  private dispatch(event: ElectionEvent): void {
    const step = electHost(this.state, event);
    this.state = step.state;
    for (const action of step.actions) this.perform(action);
  }

  private perform(action: ElectionAction): void {
    switch (action.type) {
      case 'listen':
        return this.listen();
      case 'probe':
        probePortHolder(this.options.port).then((holder) =>
          this.dispatch(
            holder.kind === 'foreign' || holder.kind === 'older-entry-hw-server'
              ? { type: 'probed', holder: holder.kind, detail: holder.detail }
              : { type: 'probed', holder: holder.kind },
          ),
        );
        return;
      case 'join':
        return this.join();
      case 'becomeHost':
      case 'becomePeer':
        if (this.current) this.options.settled(this.current);
        return;
      case 'retryAfter':
        this.retryTimer = setTimeout(() => this.dispatch({ type: 'retryDue' }), action.ms);
        return;
      case 'report':
        return this.options.report({ code: action.code, message: action.message });
      case 'shutdown':
        return; // close() does the work
    }
  }

  private listen(): void {
    const { port, logger } = this.options;
    const turn = (): HostTurn => ({
      everCloud: this.everCloud,
      reconnectingRooms: this.hostLoss.reconnectingRooms(this.options.roomId()),
    });
    startHost(
      () => ({ ...this.options.hostOptions(turn()), owner: this.options.owner }),
      () => this.state.phase === 'binding',
      port,
      LISTEN_HOST,
    ).then(
      (role) => {
        if (!role) return;
        if (this.state.phase !== 'binding') return void role.close();
        this.tls = role.tlsEnabled;
        this.current = role;
        this.hostLoss.forget();
        logger.info(
          `host on ${LISTEN_HOST}:${port} (${this.tls ? 'https/wss and http/ws' : 'http/ws only'})`,
        );
        this.dispatch({ type: 'bound' });
      },
      (error: NodeJS.ErrnoException) =>
        this.dispatch({ type: 'bindFailed', code: error.code, message: error.message }),
    );
  }

  private join(): void {
    const { port, logger } = this.options;
    const { role, joined } = startPeer(
      port,
      () => {
        const roomId = this.options.roomId();
        return roomId === undefined ? undefined : { roomId, ...this.hostLoss.claimFields() };
      },
      this.options.owner,
      (reason) => {
        // Heard only for the role the election took (a peer it dropped is closed, and says nothing).
        if (this.current !== role) return;
        logger.info(`lost the host (${reason}); electing a new one`);
        this.hostLoss.lost(role.ownRoomHasBrowser);
        void role.close();
        this.current = undefined;
        this.dispatch({ type: 'hostLost' });
      },
    );
    this.joining = role;
    joined.then(
      () => {
        if (this.joining === role) this.joining = undefined;
        if (this.state.phase !== 'joining') return void role.close();
        this.hostLoss.forget();
        this.tls = false;
        this.current = role;
        this.everCloud = true;
        logger.info(`peer of the host on ${LISTEN_HOST}:${port}`);
        this.dispatch({ type: 'joined' });
      },
      (error: Error) => {
        if (this.joining === role) this.joining = undefined;
        this.dispatch({ type: 'joinFailed', message: `cannot join the host: ${error.message}` });
      },
    );
  }
}
