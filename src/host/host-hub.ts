// The socket.io side of a host: its typed socket.io server (event maps in events.ts), the
// admission of each socket (EngineDoor/HandshakeGate in admission.ts, once per handshake), and
// the hand-off to the per-kind handlers (browser-sockets.ts, peer-sockets.ts), which ask the
// routing rules (routing/host-routing.ts) and carry out the answer through BrowserDelivery and
// PeerRooms. It owns no port: the listener hands its door requests and upgrades. Connected
// sockets live in socket.io's own list and rooms (every browser in ALL_BROWSERS and its roomId's
// room, every peer in ALL_PEERS), their facts in `socket.data`. What the host's own parent must
// hear goes to the hub's owner (HostRole) by direct calls.
import type { Server as EngineServer } from 'engine.io';
import { Server as IoServer } from 'socket.io';
import type { HubFacts } from '../contracts/hub-facts';
import {
  type HostServer,
  ROOM_CLOSE_EVENT,
  ROOM_CONNECTION_EVENT,
  ROOM_FREE_EVENT,
  ROOM_UNKNOWN_EVENT,
} from '../contracts/socket-events';
import type { RoomStats } from '../diagnostics/room-stats';
import type { SessionLookup } from '../os-session';
import { SOCKET_IO_PATH } from '../policy/request-policy';
import { ALL_BROWSERS, type RoutingSnapshot, routeParentSend, sendTargets } from '../routing/host-routing';
import { HOST_INSTANCE } from '../routing/session-pairing';
import { type HubCounters, listenerTotal } from '../util/debug-counters';
import type { Logger } from '../util/log';
import { EngineDoor, type HandshakeGate } from './admission';
import { BrowserDelivery } from './browser-delivery';
import { wireBrowser } from './browser-sockets';
import { ALL_PEERS, type HubContext, type HubOwner } from './hub-context';
import { type HostSocket, PeerRooms } from './peer-rooms';
import { wirePeer } from './peer-sockets';
import { type PairingCounts, SessionPairings } from './session-pairings';

export type { HubOwner } from './hub-context';

export interface HostHubOptions {
  logger: Logger;
  /** Extra allowed origins (read on every handshake, so `open` options can extend them). */
  allowedOrigins: () => readonly string[];
  /** This host's own roomId (from its parent). */
  ownRoomId: () => string | undefined;
  /** True when this instance has been part of a cloud before (it was a peer): rooms decide routing. */
  everCloud?: boolean;
  /**
   * Rooms whose browser was connected when the previous host was lost (this instance's own
   * room, when it was a peer): their messages are held for the reconnecting tab, as if this
   * host had seen that browser leave at start-up.
   */
  reconnectingRooms?: readonly { roomId: string; leftAt: number }[];
  /** Per-room counters for the diagnostics page; undefined counts nothing. */
  stats?: RoomStats;
  /**
   * Looks up the OS session of each connection's far end and this host's own, so a tab
   * no Entry HW named is paired with the one instance of its session. Undefined: no pairing.
   */
  sessions?: SessionLookup;
}

/**
 * socket.io server of the host instance.
 *
 * @example
 * const hub = new HostHub({ logger, allowedOrigins: () => [], ownRoomId: () => undefined }, {
 *   data: (value) => parent.send({ key: 'data', value }),
 *   connection: (info) => parent.send({ key: 'connection', value: info }),
 *   close: (info) => parent.send({ key: 'close', value: info.roomId }),
 *   peerCountChanged: () => {},
 *   roomUnknown: () => {},
 * });
 * new HostListener({ hub: hub.door, ... }); // requests and upgrades under /socket.io/
 * hub.deliverFromParent({ company: 1, model: 1, a0: 512 });
 */
export class HostHub {
  readonly io: HostServer;
  readonly engine: EngineServer;
  /** The listener's way in: engine.io and the handshake check (admission.ts). */
  readonly door: EngineDoor;
  private readonly gate: HandshakeGate;
  private readonly rooms: PeerRooms;
  private readonly pairings: SessionPairings;
  private readonly delivery: BrowserDelivery;
  /** Set once this host is part of a cloud; routing stays room-based after that. */
  private everCloud: boolean;
  /** The roomId this host's parent last gave (its sends held for reconnecting tabs were for it). */
  private parentRoomId: string | undefined;
  /** What the per-socket handlers use (browser-sockets.ts, peer-sockets.ts). */
  private readonly context: HubContext;

  constructor(
    private readonly options: HostHubOptions,
    private readonly owner: HubOwner,
  ) {
    this.everCloud = options.everCloud ?? false;
    this.parentRoomId = options.ownRoomId();
    this.rooms = new PeerRooms(options.logger, options.ownRoomId, {
      browsersIn: (roomId) => this.io.sockets.adapter.rooms.get(roomId)?.size ?? 0,
      roomFreed: (roomId) => this.roomFreed(roomId),
    });
    this.door = new EngineDoor(options.logger, options.allowedOrigins);
    this.engine = this.door.engine;
    this.gate = this.door.gate;
    this.io = new IoServer({ serveClient: false, path: SOCKET_IO_PATH });
    this.io.bind(this.engine);
    this.delivery = new BrowserDelivery(this.io, options.stats);
    this.pairings = new SessionPairings(options.sessions, {
      logger: options.logger,
      sockets: () => [...this.io.sockets.sockets.values()].filter((s) => s.data.kind !== undefined),
      holderOf: (roomId) => this.rooms.holderOf(roomId),
      ownRoomId: options.ownRoomId,
      cloud: () => this.snapshot().cloud,
      paired: (roomId, instance) => this.tellPairing(roomId, instance, true),
      unpaired: (roomId, instance) => this.tellPairing(roomId, instance, false),
      roomUnknown: (instance) => {
        if (instance === HOST_INSTANCE) this.owner.roomUnknown();
        else this.io.sockets.sockets.get(instance)?.emit(ROOM_UNKNOWN_EVENT);
      },
    });
    this.context = {
      io: this.io,
      rooms: this.rooms,
      pairings: this.pairings,
      delivery: this.delivery,
      logger: options.logger,
      stats: options.stats,
      owner,
      snapshot: () => this.snapshot(),
      guard: (what, run) => this.guard(what, run),
      becameCloud: () => this.becameCloud(),
      peerCount: () => this.peerCount,
      inRoom: (roomId) => this.io.sockets.adapter.rooms.get(roomId)?.size ?? 0,
    };
    this.io.on('connection', (socket) => this.guard('connection', () => this.onConnection(socket)));
    for (const { roomId, leftAt } of options.reconnectingRooms ?? []) this.delivery.roomLeft(roomId, leftAt);
  }

  get browserCount(): number {
    return this.io.sockets.adapter.rooms.get(ALL_BROWSERS)?.size ?? 0;
  }

  get peerCount(): number {
    return this.io.sockets.adapter.rooms.get(ALL_PEERS)?.size ?? 0;
  }

  /**
   * Delivers a value from this host's parent, as `{ data: value }`, to the browsers it serves.
   * `queuedMs`: how long it waited before (queued while this instance had no host).
   *
   * @example
   * hub.deliverFromParent('disconnectHardware');
   */
  deliverFromParent(value: unknown, queuedMs = 0): void {
    const route = routeParentSend(this.snapshot());
    if (route.to === 'nobody') {
      this.options.stats?.dropped(undefined, 'instance-without-room');
      this.options.logger.warnOnce('drop:host-send', `dropping a send of this Entry HW: ${route.reason}`);
      return;
    }
    this.delivery.deliver(sendTargets(route), { data: value }, queuedMs);
  }

  /**
   * The host's parent set (or changed) the host's own roomId: a peer holding that room loses it,
   * and when the room's browsers are already here the parent hears `connection`, as for a browser
   * that connects (its Entry HW re-announces the device to them).
   *
   * @example
   * hub.ownRoomIdChanged('0a1b2c3d4e');
   */
  ownRoomIdChanged(roomId: string): void {
    const previous = this.parentRoomId;
    this.parentRoomId = roomId;
    if (previous !== roomId) this.dropParentsHeld(previous, roomId);
    const pairedBefore = this.pairings.pairedTo(roomId) === HOST_INSTANCE;
    this.rooms.hostRoomChanged(roomId, (id) => this.io.sockets.sockets.get(id));
    // A room already paired with this host by its session is announced already.
    if (this.context.inRoom(roomId) > 0 && !pairedBefore) this.owner.connection({ kind: 'browser', roomId });
    this.pairings.refresh(roomId);
  }

  /** Whether rooms decide routing (a peer is connected, or this host has been part of a cloud). */
  get routesByRoom(): boolean {
    return this.snapshot().cloud;
  }

  /** Read-only facts for the diagnostics page (src/diagnostics/snapshot.ts). */
  diagnosticsFacts(): HubFacts {
    const sockets = [...this.io.sockets.sockets.values()].filter((s) => s.data.kind !== undefined);
    return {
      cloud: this.snapshot().cloud,
      ownRoomId: this.options.ownRoomId(),
      browsers: sockets.filter((s) => s.data.kind === 'browser').map((s) => s.data.roomId),
      peers: sockets
        .filter((s) => s.data.kind === 'peer')
        .map((s) => ({
          roomId: s.data.roomId,
          askedRoomId: s.data.askedRoomId,
          report: s.data.report,
          pairedRooms: this.pairings.roomsOf(s.id),
        })),
      hostPairedRooms: this.pairings.roomsOf(HOST_INSTANCE),
      held: (roomId) => this.delivery.held(roomId),
      pairing: (roomId) => this.pairings.pairingOf(roomId),
    };
  }

  /** Rooms with tabs now, by how they are served (GET /status). */
  pairingCounts(): PairingCounts {
    return this.pairings.counts();
  }

  /** Leak counters for GET /status's `debug` field. */
  debugCounters(): HubCounters {
    const mailbox = this.delivery.mailboxStats();
    let listeners = listenerTotal(this.io) + listenerTotal(this.engine);
    for (const socket of this.io.sockets.sockets.values()) listeners += listenerTotal(socket);
    return {
      members: this.browserCount + this.peerCount,
      engineClients: this.engine.clientsCount,
      sockets: this.io.sockets.sockets.size,
      claimedRooms: this.rooms.size,
      rememberedPairings: this.pairings.remembered,
      listeners,
      mailboxKeys: mailbox.keys,
      heldMessages: mailbox.messages,
      staleHeldMessages: mailbox.stale,
    };
  }

  /** Disconnects everyone and stops the socket.io server. */
  async close(): Promise<void> {
    this.delivery.clear();
    this.pairings.clear();
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    this.rooms.clear();
  }

  /**
   * A peer joined: rooms decide routing from now on. What the host held for reconnecting tabs came
   * from its own parent while it was a single server, so only its own room's stays: the other
   * rooms are not its student's (docs/PROTOCOL.md §4, held messages). A host without a roomId then
   * serves no browser any more, so its parent hears `close` for each room it served, as if those
   * browsers had left: its Entry HW resets the device and shows it disconnected.
   */
  private becameCloud(): void {
    if (this.everCloud) return;
    this.everCloud = true;
    // Told after the cloud mode changed (the caller refreshes the pairings then).
    const ownRoomId = this.options.ownRoomId();
    const dropped = this.delivery.dropHeldExcept(ownRoomId);
    if (dropped > 0)
      this.options.logger.info(
        `dropped ${dropped} messages held for reconnecting tabs: another Entry HW joined, and they were not for this one's room`,
      );
    if (ownRoomId !== undefined) return;
    const rooms = new Set<string>();
    for (const socket of this.io.sockets.sockets.values())
      if (socket.data.kind === 'browser' && socket.data.roomId !== undefined) rooms.add(socket.data.roomId);
    // Rooms paired with this host by its session stay its own.
    for (const roomId of rooms)
      if (this.pairings.pairedTo(roomId) !== HOST_INSTANCE) this.owner.close({ kind: 'browser', roomId });
  }

  /**
   * A room with browsers became (or stopped being) an instance's by OS session: its parent hears
   * `connection` (or `close`) as for a browser that connects (or leaves), a peer's through
   * `roomConnection` / `roomClose`, which carry the roomId (docs/PROTOCOL.md §4).
   */
  private tellPairing(roomId: string, instance: string, paired: boolean): void {
    if (instance === HOST_INSTANCE) {
      this.owner[paired ? 'connection' : 'close']({ kind: 'browser', roomId });
      return;
    }
    const peer = this.io.sockets.sockets.get(instance);
    if (paired) peer?.emit(ROOM_CONNECTION_EVENT, roomId, this.context.inRoom(roomId));
    else peer?.emit(ROOM_CLOSE_EVENT, roomId, 0);
  }

  /**
   * The parent's roomId changed: what it sent before and is held for reconnecting tabs was for
   * the rooms it served then, which it no longer serves (docs/PROTOCOL.md §4, held messages; §5).
   * A single server held only its parent's sends, so everything but the new room's goes; in a
   * cloud the other rooms' holds are their peers' sends, so only the previous room's goes.
   */
  private dropParentsHeld(previous: string | undefined, roomId: string): void {
    const dropped = !this.everCloud
      ? this.delivery.dropHeldExcept(roomId)
      : previous === undefined
        ? 0
        : this.delivery.dropHeld(previous);
    if (dropped > 0)
      this.options.logger.info(
        `dropped ${dropped} messages held for reconnecting tabs: this Entry HW's roomId changed, and they were for its previous room`,
      );
  }

  /**
   * A room became free: every peer that asked for it and was refused is told, so it claims it
   * again (a duplicate instance of the same student, or a real one a squatter beat,
   * serves the room once the first claimant has gone, without restarting Entry HW).
   */
  private roomFreed(roomId: string): void {
    if (roomId === this.options.ownRoomId()) return;
    for (const socket of this.io.sockets.sockets.values())
      if (
        socket.data.kind === 'peer' &&
        socket.data.roomId === undefined &&
        socket.data.askedRoomId === roomId
      )
        socket.emit(ROOM_FREE_EVENT, roomId);
  }

  /** What the routing rules need, read once per message. */
  private snapshot(): RoutingSnapshot {
    return {
      ownRoomId: this.options.ownRoomId(),
      cloud: this.peerCount > 0 || this.everCloud,
      peerForRoom: (roomId) => this.rooms.holderOf(roomId),
      pairedTo: (roomId) => this.pairings.pairedTo(roomId),
      hostPairedRooms: () => this.pairings.roomsOf(HOST_INSTANCE),
    };
  }

  /** Runs a handler so that a bug in it costs one message, never the process. */
  private guard(what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.options.logger.error(`${what} handler failed: ${(error as Error).stack ?? error}`);
    }
  }

  private onConnection(socket: HostSocket): void {
    const decision = this.gate.decisionFor(socket.request);
    if (!decision.admit) {
      socket.disconnect(true);
      return;
    }
    if (decision.kind === 'peer') wirePeer(this.context, socket);
    else wireBrowser(this.context, socket, decision.roomId, decision.note);
  }
}
