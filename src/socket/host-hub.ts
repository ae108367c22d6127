// The socket.io side of a host: its typed socket.io server, the wiring of each admitted socket
// (a browser or a peer, told apart once by the HandshakeGate and kept in `socket.data`), and the
// hand-over of every message to the routing rules (routing/host-routing.ts), whose answer it
// carries out through BrowserDelivery or PeerRooms. It owns no port: the listener hands it
// requests and upgrades. Connected sockets live in socket.io's own list and rooms: every browser
// is in ALL_BROWSERS and its roomId's room, every peer in ALL_PEERS.
import { EventEmitter } from 'node:events';
import type { Server as EngineServer } from 'engine.io';
import { Server as IoServer } from 'socket.io';
import type { RoomStats } from '../diagnostics/room-stats';
import type { HubFacts } from '../diagnostics/snapshot';
import type { ConnectionInfo } from '../ipc/messages';
import { SOCKET_IO_PATH } from '../policy/request-policy';
import {
  ALL_BROWSERS,
  ackValue,
  browserLeftMsAgo,
  parentSendTargets,
  type RoutingSnapshot,
  roomTargets,
  routeBrowserMessage,
  routePeerMessage,
} from '../routing/host-routing';
import { queuedMsOf } from '../routing/peer-outbox';
import { type HubCounters, listenerTotal } from '../util/debug-counters';
import type { Logger } from '../util/log';
import { EngineDoor, type HandshakeGate } from './admission';
import { BrowserDelivery } from './browser-delivery';
import {
  DIAGNOSTICS_REPORT_EVENT,
  type HostEmitEvents,
  type HostListenEvents,
  MATCH_TARGET_EVENT,
  ROOM_CLOSE_EVENT,
  ROOM_CONNECTION_EVENT,
  type SocketData,
} from './events';
import { type HostSocket, PeerRooms } from './peer-rooms';

/** socket.io room every peer joins. Not a valid roomId. */
const ALL_PEERS = '\u0000peers';

export interface HostHubEvents {
  /** A browser message for this host's own parent. */
  data: [value: unknown];
  connection: [info: ConnectionInfo];
  close: [info: ConnectionInfo];
  peerCountChanged: [count: number];
}

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
}

/**
 * socket.io server of the host instance.
 *
 * @example
 * const hub = new HostHub({ logger, allowedOrigins: () => [], ownRoomId: () => undefined });
 * new HostListener({ hub: hub.door, ... }); // requests and upgrades under /socket.io/
 * hub.on('data', (value) => parent.send({ key: 'data', value }));
 * hub.deliverFromParent({ company: 1, model: 1, a0: 512 });
 */
export class HostHub extends EventEmitter<HostHubEvents> {
  readonly io: IoServer<HostListenEvents, HostEmitEvents, Record<string, never>, SocketData>;
  readonly engine: EngineServer;
  /** The listener's way in: engine.io and the handshake check (socket/admission.ts). */
  readonly door: EngineDoor;
  private readonly gate: HandshakeGate;
  private readonly rooms: PeerRooms;
  private readonly delivery: BrowserDelivery;
  /** Set once this host is part of a cloud; routing stays room-based after that. */
  private everCloud: boolean;

  constructor(private readonly options: HostHubOptions) {
    super();
    this.everCloud = options.everCloud ?? false;
    this.rooms = new PeerRooms(options.logger, options.ownRoomId);
    this.door = new EngineDoor(options.logger, options.allowedOrigins);
    this.engine = this.door.engine;
    this.gate = this.door.gate;
    this.io = new IoServer({ serveClient: false, path: SOCKET_IO_PATH });
    this.io.bind(this.engine);
    this.delivery = new BrowserDelivery(this.io, options.stats);
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
    this.delivery.deliver(parentSendTargets(this.snapshot()), { data: value }, queuedMs);
  }

  /**
   * The host's parent set (or changed) the host's own roomId: a peer holding that room loses it.
   *
   * @example
   * hub.ownRoomIdChanged('0a1b2c3d4e');
   */
  ownRoomIdChanged(roomId: string): void {
    this.rooms.hostRoomChanged(roomId, (id) => this.io.sockets.sockets.get(id));
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
        .map((s) => ({ roomId: s.data.roomId, report: s.data.report })),
      held: (roomId) => this.delivery.held(roomId),
    };
  }

  /** Leak counters for GET /status's `debug` field. */
  debugCounters(): HubCounters {
    const mailbox = this.delivery.mailboxStats();
    let listeners = listenerTotal(this) + listenerTotal(this.io) + listenerTotal(this.engine);
    for (const socket of this.io.sockets.sockets.values()) listeners += listenerTotal(socket);
    return {
      members: this.browserCount + this.peerCount,
      engineClients: this.engine.clientsCount,
      sockets: this.io.sockets.sockets.size,
      claimedRooms: this.rooms.size,
      listeners,
      mailboxKeys: mailbox.keys,
      heldMessages: mailbox.messages,
      staleHeldMessages: mailbox.stale,
    };
  }

  /** Disconnects everyone and stops the socket.io server. */
  async close(): Promise<void> {
    this.delivery.clear();
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    this.rooms.clear();
  }

  /** What the routing rules need, read once per message. */
  private snapshot(): RoutingSnapshot {
    return {
      ownRoomId: this.options.ownRoomId(),
      cloud: this.peerCount > 0 || this.everCloud,
      peerForRoom: (roomId) => this.rooms.holderOf(roomId),
      claimedBefore: (roomId) => this.rooms.claimedBefore(roomId),
      matchedRooms: () => this.rooms.matchedRooms(),
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
    if (decision.kind === 'peer') this.addPeer(socket);
    else this.addBrowser(socket, decision.roomId, decision.note);
  }

  private addBrowser(socket: HostSocket, roomId: string | undefined, note: string | undefined): void {
    if (note) this.options.logger.warnOnce(`note:${note}`, `browser handshake: ${note}`);
    socket.data = { kind: 'browser', roomId };
    socket.join(ALL_BROWSERS);
    if (roomId !== undefined) socket.join(roomId);
    socket.on('message', (message, ack) =>
      this.guard('browser message', () => {
        this.routeFromBrowser(roomId, message);
        if (typeof ack === 'function') ack(ackValue(message));
      }),
    );
    socket.onAny((event: string) => {
      if (event !== 'message')
        this.options.logger.warnOnce(`event:${event}`, `ignoring unknown event "${event}" from a browser`);
    });
    socket.once('disconnect', () => this.guard('browser disconnect', () => this.browserLeft(socket)));
    this.delivery.browserArrived(socket);
    this.emit('connection', { kind: 'browser', roomId });
    if (roomId !== undefined)
      this.peerOfRoom(roomId)?.emit(ROOM_CONNECTION_EVENT, roomId, this.inRoom(roomId));
  }

  private addPeer(socket: HostSocket): void {
    socket.data = { kind: 'peer', roomId: undefined };
    socket.join(ALL_PEERS);
    this.everCloud = true;
    socket.on(MATCH_TARGET_EVENT, (value) => this.guard('matchTarget', () => this.matchPeer(socket, value)));
    socket.on(DIAGNOSTICS_REPORT_EVENT, (report) => {
      socket.data.report = report;
    });
    socket.on('message', (message, meta) =>
      this.guard('peer message', () => {
        const route = routePeerMessage(socket.data.roomId);
        if (route.to === 'room') this.delivery.deliver(roomTargets(route.roomId), message, queuedMsOf(meta));
        else
          this.options.logger.warnOnce(`peer-drop:${socket.id}`, `dropping a peer message: ${route.reason}`);
      }),
    );
    socket.onAny((event: string) => {
      if (event !== 'message' && event !== MATCH_TARGET_EVENT && event !== DIAGNOSTICS_REPORT_EVENT) {
        this.options.logger.warnOnce(`peer-event:${event}`, `ignoring unknown event "${event}" from a peer`);
      }
    });
    socket.once('disconnect', () => this.guard('peer disconnect', () => this.peerLeft(socket)));
    this.emit('peerCountChanged', this.peerCount);
    this.emit('connection', { kind: 'peer', roomId: undefined });
  }

  private matchPeer(peer: HostSocket, value: unknown): void {
    const granted = this.rooms.claim(peer, value);
    if (!granted) return;
    // A room's first claim: what the host held for its tab came from the host's own parent (it
    // served the room while unclaimed) and is not the claiming student's; drop it.
    const dropped = granted.first ? this.delivery.dropHeld(granted.roomId) : 0;
    if (dropped > 0)
      this.options.logger.info(
        `dropped ${dropped} messages held for room ${granted.roomId}: a peer claimed it`,
      );
    const browsers = this.inRoom(granted.roomId);
    // After a failover this host never saw the room's browser; the peer did: hold for the tab,
    // for what is left of the window since the peer lost its host.
    const leftMsAgo = browserLeftMsAgo(value);
    if (leftMsAgo !== undefined && browsers === 0)
      this.delivery.roomLeft(granted.roomId, Date.now() - leftMsAgo);
    // Browsers of this room that came back before their peer did (a failover) are announced now.
    if (browsers > 0) peer.emit(ROOM_CONNECTION_EVENT, granted.roomId, browsers);
  }

  /** The peer socket serving a roomId, if one holds its claim. */
  private peerOfRoom(roomId: string): HostSocket | undefined {
    const peerId = this.rooms.holderOf(roomId);
    return peerId === undefined ? undefined : this.io.sockets.sockets.get(peerId);
  }

  private peerLeft(peer: HostSocket): void {
    const roomId = peer.data.roomId;
    this.rooms.release(peer);
    this.emit('peerCountChanged', this.peerCount);
    this.emit('close', { kind: 'peer', roomId });
  }

  private browserLeft(browser: HostSocket): void {
    const roomId = browser.data.roomId;
    const left = roomId === undefined ? this.browsersWithoutRoom() : this.inRoom(roomId);
    if (left === 0) this.delivery.roomLeft(roomId);
    if (roomId !== undefined) this.peerOfRoom(roomId)?.emit(ROOM_CLOSE_EVENT, roomId, left);
    this.emit('close', { kind: 'browser', roomId });
  }

  private routeFromBrowser(roomId: string | undefined, message: unknown): void {
    this.options.stats?.fromBrowser(roomId);
    const route = routeBrowserMessage(this.snapshot(), roomId);
    if (route.to === 'parent') {
      this.emit('data', message);
    } else if (route.to === 'peer') {
      this.io.sockets.sockets.get(route.peerId)?.emit('message', message);
    } else {
      this.options.stats?.dropped(roomId, 'no-instance-for-room');
      this.options.logger.warnOnce(`drop:${roomId}`, `dropping a browser message: ${route.reason}`);
    }
  }

  /** Browsers connected with this roomId (only browsers join rooms). */
  private inRoom(roomId: string): number {
    return this.io.sockets.adapter.rooms.get(roomId)?.size ?? 0;
  }

  /** Browsers connected without a roomId. */
  private browsersWithoutRoom(): number {
    let count = 0;
    for (const id of this.io.sockets.adapter.rooms.get(ALL_BROWSERS) ?? [])
      if (this.io.sockets.sockets.get(id)?.data.roomId === undefined) count += 1;
    return count;
  }
}
