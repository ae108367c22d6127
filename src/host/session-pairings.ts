// The host's pairings by OS session (docs/PROTOCOL.md §4 "Pairing by OS session"): looks
// up, once per connection and off the hot path, the session of every browser and every peer (from
// their own connection: what a peer says of itself is only a cross-check), keeps each room's
// pairing (routing/session-pairing.ts decides it) and an index by instance for the hot path, and
// tells instances when a room becomes theirs or stops being theirs, and when a tab no one serves
// may be theirs (`ROOM_UNKNOWN`). With no lookup (pairing off) nothing is paired and each instance
// tells its own parent ROOM_UNKNOWN, as before pairing existed.
import {
  describeAnswer,
  describeSession,
  type SessionAnswer,
  type SessionIdentity,
  sameSession,
} from '../os-session';
import type { SessionLookup } from '../os-session/session-lookup';
import {
  decideRoomPairing,
  HOST_INSTANCE,
  mayBeMine,
  type PairingInstance,
  PairingMemory,
  type RoomPairing,
  type TabSession,
} from '../routing/session-pairing';
import type { Logger } from '../util/log';
import type { HostSocket } from './peer-rooms';

/** How pairings reach the instances (the hub carries them out). */
export interface PairingsContext {
  logger: Logger;
  /** Connected browser and peer sockets. */
  sockets: () => Iterable<HostSocket>;
  /** The peer holding a room by claim, if any. */
  holderOf: (roomId: string) => string | undefined;
  ownRoomId: () => string | undefined;
  /** Whether rooms decide routing (a host never in a cloud serves everyone: nobody to tell). */
  cloud: () => boolean;
  /** A room with browsers became an instance's by session, or stopped being so. */
  paired: (roomId: string, instance: string) => void;
  unpaired: (roomId: string, instance: string) => void;
  /** An instance without a room may be the one a tab no instance serves is looking for. */
  roomUnknown: (instance: string) => void;
  now?: () => number;
}

/** Rooms with tabs now, by how they are served (GET /status). */
export interface PairingCounts {
  claimed: number;
  session: number;
  none: number;
}

/**
 * The pairing table of one hosting turn.
 *
 * @example
 * const pairings = new SessionPairings(createSessionLookup(), context);
 * pairings.browserArrived(socket); // looks its session up, then pairs its room
 * pairings.pairedTo('0a1b2c3d4e'); // HOST_INSTANCE, a peer's socket id, or undefined
 */
export class SessionPairings {
  private readonly memory = new PairingMemory();
  /** roomId → its pairing, for rooms with a tab connected. */
  private rooms = new Map<
    string,
    { pairing: RoomPairing; instance: string | undefined; tabs: TabSession[] }
  >();
  /** instance → rooms paired with it by session (the hot path's index). */
  private byInstance = new Map<string, string[]>();
  private hostSession: SessionAnswer | undefined;
  private hostToldUnknown = false;
  private closed = false;

  constructor(
    private readonly lookup: SessionLookup | undefined,
    private readonly context: PairingsContext,
  ) {
    lookup?.own().then((answer) => {
      this.hostSession = answer;
      if (!answer.known)
        context.logger.warn(
          `this host's own OS session is ${describeAnswer(answer)}: it pairs no tab by session`,
        );
      this.refresh();
    });
  }

  /** The instance a room is paired with by session (HOST_INSTANCE or a peer socket id). */
  pairedTo(roomId: string): string | undefined {
    const room = this.rooms.get(roomId);
    return room?.pairing.kind === 'session' ? room.instance : undefined;
  }

  /** The rooms paired with an instance by session. */
  roomsOf(instance: string): readonly string[] {
    return this.byInstance.get(instance) ?? NONE;
  }

  /** How a room with tabs is served, for the diagnostics page. */
  pairingOf(roomId: string): RoomPairing | undefined {
    return this.rooms.get(roomId)?.pairing;
  }

  counts(): PairingCounts {
    const counts = { claimed: 0, session: 0, none: 0 };
    for (const { pairing } of this.rooms.values()) counts[pairing.kind] += 1;
    return counts;
  }

  /** Rooms remembered as paired (a bounded memory; GET /status debug). */
  get remembered(): number {
    return this.memory.size;
  }

  /**
   * A browser was admitted: its session is pending until the lookup of its own connection ends.
   * The caller announces it (`connection`) after this, by the routing this leaves in place.
   */
  browserArrived(socket: HostSocket): void {
    socket.data.session = this.lookup ? 'pending' : 'unknown';
    this.refresh(socket.data.roomId);
    if (!this.lookup) return;
    void this.lookup.ofClient(socket.request.socket).then((answer) => {
      if (this.closed || !socket.connected) return;
      socket.data.session = answer.known ? answer.session : 'unknown';
      this.refresh();
    });
  }

  /** A browser left (the caller already told who served it). */
  browserLeft(): void {
    this.refresh();
  }

  /** A peer was admitted: its session is looked up from its own connection. */
  peerArrived(socket: HostSocket): void {
    this.refresh();
    if (!this.lookup) return;
    void this.lookup.ofClient(socket.request.socket).then((answer) => {
      if (this.closed || !socket.connected) return;
      socket.data.lookedUp = answer;
      this.crossCheck(socket);
      this.refresh();
    });
  }

  /** What a peer says of its own session (its report): a cross-check of the lookup, never trusted alone. */
  peerReported(socket: HostSocket, session: SessionIdentity | undefined): void {
    if (session === undefined) return;
    socket.data.reportedSession = session;
    if (this.crossCheck(socket)) this.refresh();
  }

  /**
   * Re-decides every room with tabs and tells the instances what changed. `arriving`: the room of
   * a browser being admitted, whose new instance hears `connection` from the caller instead.
   */
  refresh(arriving?: string): void {
    if (this.closed) return;
    const now = this.context.now?.() ?? Date.now();
    const tabsByRoom = new Map<string, TabSession[]>();
    const instances: PairingInstance[] = [{ id: HOST_INSTANCE, session: this.ownSession() }];
    const peers: HostSocket[] = [];
    for (const socket of this.context.sockets()) {
      if (socket.data.kind === 'peer') {
        peers.push(socket);
        instances.push({ id: socket.id, session: peerSession(socket) });
      } else if (socket.data.roomId !== undefined) {
        const tabs = tabsByRoom.get(socket.data.roomId) ?? [];
        tabs.push(socket.data.session ?? 'unknown');
        tabsByRoom.set(socket.data.roomId, tabs);
      }
    }
    this.memory.sweep(
      now,
      (roomId) => tabsByRoom.has(roomId),
      (session) => instances.some((i) => sameSession(i.session, session)),
    );
    const ownRoomId = this.context.ownRoomId();
    // A single server (no roomId, never in a cloud) serves every tab already: pairing such a room
    // with it changes nothing, and its parent must not hear `connection` twice for one tab.
    const singleServer = ownRoomId === undefined && !this.context.cloud();
    const next = new Map<
      string,
      { pairing: RoomPairing; instance: string | undefined; tabs: TabSession[] }
    >();
    for (const [roomId, tabs] of tabsByRoom) {
      const holder = this.context.holderOf(roomId);
      const claimedBy = holder ?? (roomId === ownRoomId ? HOST_INSTANCE : undefined);
      let pairing = decideRoomPairing({
        claimed: claimedBy !== undefined,
        tabs,
        remembered: this.lookup ? this.memory.sessionOf(roomId) : undefined,
        instances: this.lookup ? instances : [],
      });
      if (pairing.kind === 'session' && !this.memory.remember(roomId, pairing.session, now)) {
        pairing = { kind: 'none', gap: 'memory-full' };
        this.context.logger.warnOnce('pairing:memory-full', `not pairing room by OS session: ${MEMORY_FULL}`);
      }
      const instance =
        pairing.kind === 'session'
          ? pairing.instance
          : (claimedBy ?? (singleServer ? HOST_INSTANCE : undefined));
      next.set(roomId, { pairing, instance, tabs });
    }
    const previous = this.rooms;
    this.rooms = next;
    this.byInstance = new Map();
    for (const [roomId, { pairing }] of next)
      if (pairing.kind === 'session') {
        const list = this.byInstance.get(pairing.instance) ?? [];
        list.push(roomId);
        this.byInstance.set(pairing.instance, list);
      }
    const connected = new Set(instances.map((i) => i.id));
    for (const [roomId, now] of next) {
      const before = previous.get(roomId);
      if (before?.instance === now.instance) continue;
      if (
        before?.instance !== undefined &&
        before.pairing.kind === 'session' &&
        connected.has(before.instance)
      )
        this.context.unpaired(roomId, before.instance);
      if (now.instance !== undefined && now.pairing.kind === 'session' && roomId !== arriving) {
        this.context.logger.info(
          `room paired by OS session (${describeSession(now.pairing.session)}) with ${now.instance === HOST_INSTANCE ? 'this host' : 'a peer'}`,
        );
        this.context.paired(roomId, now.instance);
      }
    }
    this.tellRoomUnknown(peers, instances);
  }

  clear(): void {
    this.closed = true;
    this.rooms.clear();
    this.byInstance.clear();
    this.memory.clear();
  }

  private ownSession(): SessionIdentity | undefined {
    return this.hostSession?.known ? this.hostSession.session : undefined;
  }

  /** Logs a peer whose report contradicts its lookup (once); true when its session changed. */
  private crossCheck(socket: HostSocket): boolean {
    const looked = socket.data.lookedUp;
    const reported = socket.data.reportedSession;
    if (!looked?.known || reported === undefined || sameSession(looked.session, reported))
      return looked !== undefined;
    this.context.logger.warnOnce(
      `pairing:peer-mismatch:${socket.id}`,
      `a peer says it runs in ${describeSession(reported)} but its connection is ${describeSession(looked.session)}: its session counts as unknown`,
    );
    return true;
  }

  /** Tells each roomless, unpaired instance once when a tab no one serves may be its student's. */
  private tellRoomUnknown(peers: HostSocket[], instances: PairingInstance[]): void {
    // Without pairing, each instance tells its own parent at once (EntryServer).
    if (!this.lookup) return;
    const mine = (instance: PairingInstance): boolean => {
      for (const { pairing, tabs } of this.rooms.values())
        if (mayBeMine(instance.session, pairing, tabs)) return true;
      return false;
    };
    const hostInstance = instances[0] as PairingInstance;
    // An instance whose own lookup is still running is not told yet: its session may well be the
    // unpaired tab's, or not (the next refresh, when it ends, decides).
    if (
      !this.hostToldUnknown &&
      this.hostSession !== undefined &&
      this.context.cloud() &&
      this.context.ownRoomId() === undefined &&
      this.roomsOf(HOST_INSTANCE).length === 0 &&
      mine(hostInstance)
    ) {
      this.hostToldUnknown = true;
      this.context.roomUnknown(HOST_INSTANCE);
    }
    for (const peer of peers) {
      if (
        peer.data.roomUnknownTold ||
        peer.data.lookedUp === undefined ||
        peer.data.roomId !== undefined ||
        this.roomsOf(peer.id).length > 0
      )
        continue;
      if (mine({ id: peer.id, session: peerSession(peer) })) {
        peer.data.roomUnknownTold = true;
        this.context.roomUnknown(peer.id);
      }
    }
  }
}

const NONE: readonly string[] = [];

const MEMORY_FULL = 'the host remembers as many paired rooms in use as it can';

/** A peer's session: its lookup's answer, unless what it reports contradicts it (then unknown). */
function peerSession(socket: HostSocket): SessionIdentity | undefined {
  const looked = socket.data.lookedUp;
  if (!looked?.known) return undefined;
  const reported = socket.data.reportedSession;
  if (reported !== undefined && !sameSession(reported, looked.session)) return undefined;
  return looked.session;
}
