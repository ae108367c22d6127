// The socket.io side of a host: admits handshakes (origin and peer checks), keeps the table of
// connected browsers and peer instances, and carries out the routing decisions of
// routing/host-routing.ts. It owns no port: the listener hands it requests and upgrades.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server as EngineServer } from 'engine.io';
import { Server as IoServer, type Socket } from 'socket.io';
import { isOlderServerJoin, OLDER_SERVER_JOIN_MESSAGE } from '../cloud/older-version';
import type { RoomStats } from '../diagnostics/room-stats';
import type { HubFacts } from '../diagnostics/snapshot';
import { type ConnectionInfo, isValidRoomId } from '../ipc/messages';
import { isOriginAllowed } from '../listener/origin-policy';
import { isSocketIoPath, SOCKET_IO_PATH } from '../listener/request-policy';
import { type HoldKey, holdKey, RecentDepartures } from '../routing/held-messages';
import {
  ackValue,
  browserLeftMsAgo,
  isUnmatchedBrowser,
  type RoutingSnapshot,
  roomIdFromMatchTarget,
  routeBrowserMessage,
  routeParentSend,
  routePeerMessage,
} from '../routing/host-routing';
import { queuedMsOf } from '../routing/peer-outbox';
import { ReconnectMailbox } from '../routing/reconnect-mailbox';
import {
  ClaimedRooms,
  decideRoomClaim,
  describeRefusal,
  type RoomClaimRefusal,
} from '../routing/room-claims';
import { type HubCounters, listenerTotal } from '../util/debug-counters';
import type { Logger } from '../util/log';
import { classifyHandshake, type HandshakeDecision, isWebSocketUpgrade } from './handshake';
import {
  DIAGNOSTICS_REPORT_EVENT,
  MATCH_TARGET_EVENT,
  ROOM_CLAIM_REFUSED_EVENT,
  ROOM_CLOSE_EVENT,
  ROOM_CONNECTION_EVENT,
  type RoomClaimRefusedValue,
} from './peer-events';

export { SOCKET_IO_PATH };
/** Largest accepted socket.io message from a client, in bytes: 100 MB, as the original (compat). */
export const MAX_PAYLOAD_BYTES = 100_000_000;
/** Heartbeat of the original (compat): a silent browser is dropped about 6 s after its last packet. */
export const PING_INTERVAL_MS = 1000;
export const PING_TIMEOUT_MS = 5000;
/** Longest piece of outside text (an error description) put in one log line. */
const MAX_LOGGED_TEXT = 200;
/** socket.io room every browser joins, so a broadcast never reaches peers. Not a valid roomId. */
const ALL_BROWSERS_ROOM = '\u0000browsers';

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
  /** True when this instance was a peer before (a failover): it routes by room from the start. */
  startedInCloud?: boolean;
  /**
   * Rooms whose browser was connected when the previous host was lost (this instance's own
   * room, when it was a peer): their messages are held for the reconnecting tab, as if this
   * host had seen that browser leave at start-up.
   */
  reconnectingRooms?: readonly { roomId: string; leftAt: number }[];
  /** Per-room counters for the diagnostics page; undefined counts nothing. */
  stats?: RoomStats;
}

interface Member {
  socket: Socket;
  kind: 'browser' | 'peer';
  roomId: string | undefined;
  /** A peer's last diagnostics report (unchecked; src/diagnostics parses it). */
  report?: unknown;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * socket.io server of the host instance.
 *
 * @example
 * const hub = new HostHub({ logger, allowedOrigins: () => [], ownRoomId: () => undefined });
 * httpServer.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
 * hub.on('data', (value) => parent.send({ key: 'data', value }));
 * hub.sendFromParent({ company: 1, model: 1, a0: 512 });
 */
export class HostHub extends EventEmitter<HostHubEvents> {
  readonly io: IoServer;
  readonly engine: EngineServer;
  private readonly members = new Map<string, Member>();
  private readonly peerByRoom = new Map<string, string>();
  /** Rooms any peer has claimed here, kept after it leaves (never handed to a stranger). */
  private readonly claimed = new ClaimedRooms();
  /** When each room's browser left, so only a reconnecting tab gets held messages. */
  private readonly departures = new RecentDepartures();
  private readonly mailbox = new ReconnectMailbox<unknown, HoldKey>();
  private peers = 0;
  /** Set once this host is part of a cloud; routing stays room-based after that. */
  private everCloud: boolean;

  constructor(private readonly options: HostHubOptions) {
    super();
    this.everCloud = options.startedInCloud ?? false;
    this.engine = new EngineServer({
      allowEIO3: true,
      transports: ['polling', 'websocket'],
      maxHttpBufferSize: MAX_PAYLOAD_BYTES,
      pingInterval: PING_INTERVAL_MS,
      pingTimeout: PING_TIMEOUT_MS,
      allowRequest: (req, callback) => {
        const decision = this.admit(req);
        callback(decision.admit ? null : decision.reason, decision.admit);
      },
      cors: {
        origin: (origin, callback) => callback(null, this.isOriginAllowed(origin)),
        credentials: true,
      },
    });
    this.io = new IoServer({ serveClient: false, path: SOCKET_IO_PATH });
    this.io.bind(this.engine);
    this.io.on('connection', (socket) => this.guard('connection', () => this.onConnection(socket)));
    this.engine.on(
      'connection',
      (socket: { on(event: 'close', fn: (r: string, d?: unknown) => void): void }) =>
        socket.on('close', (reason, description) => this.logAbnormalClose(reason, description)),
    );
    for (const { roomId, leftAt } of options.reconnectingRooms ?? [])
      this.departures.left(holdKey(roomId), leftAt);
  }

  get browserCount(): number {
    return this.members.size - this.peers;
  }

  get peerCount(): number {
    return this.peers;
  }

  /** The configured extra origins (defaults not included). */
  allowedOrigins(): readonly string[] {
    return this.options.allowedOrigins();
  }

  /** The origin policy in force (defaults plus configured extras). */
  isOriginAllowed(origin: string | undefined): boolean {
    return isOriginAllowed(origin, this.options.allowedOrigins());
  }

  /** True when a request URL belongs to socket.io. */
  static isSocketIoPath(url: string | undefined): boolean {
    return isSocketIoPath(url);
  }

  /** Serves a socket.io polling request; answers preflights with the Private Network Access header. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const origin = headerValue(req.headers.origin);
    if (
      req.method === 'OPTIONS' &&
      req.headers['access-control-request-private-network'] === 'true' &&
      this.isOriginAllowed(origin)
    ) {
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
    this.engine.handleRequest(req as never, res);
  }

  /** Serves a WebSocket upgrade; a refused handshake gets HTTP 403 before engine.io sees it. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const decision = this.admit(req);
    if (!decision.admit) {
      const body = 'Forbidden';
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    this.engine.handleUpgrade(req as never, socket, head);
  }

  /**
   * Delivers a `send` from this host's parent as `{ data: value }` to the browsers it serves.
   * `queuedMs`: how long it waited before (queued while this instance had no host); a held
   * message's age counts from the send.
   *
   * @example
   * hub.sendFromParent('disconnectHardware');
   */
  sendFromParent(value: unknown, queuedMs = 0): void {
    const payload = { data: value };
    const state = this.snapshot();
    const route = routeParentSend(state);
    if (route.to === 'room') {
      this.deliverToRoom(route.roomId, payload, queuedMs);
    } else if (route.to === 'all-browsers') {
      this.options.stats?.toEachBrowser(this.members.values());
      if (this.browserCount > 0) this.io.to(ALL_BROWSERS_ROOM).emit('message', payload);
      this.holdForReturningTabs(payload, () => true, queuedMs);
    } else {
      for (const member of this.members.values()) {
        if (member.kind === 'browser' && isUnmatchedBrowser(state, member.roomId)) {
          this.options.stats?.toBrowser(member.roomId);
          member.socket.emit('message', payload);
        }
      }
      this.holdForReturningTabs(
        payload,
        (key) => isUnmatchedBrowser(state, key === 'no-room' ? undefined : key.slice('room:'.length)),
        queuedMs,
      );
    }
  }

  /**
   * The host's parent set (or changed) the host's own roomId: a peer holding that room loses it
   * (the host's own room is never a peer's) and is told so.
   *
   * @example
   * hub.ownRoomIdChanged('0a1b2c3d4e');
   */
  ownRoomIdChanged(roomId: string): void {
    const holder = this.peerOfRoomMember(roomId);
    if (!holder) return;
    this.releaseClaim(holder);
    holder.roomId = undefined;
    this.refuseClaim(holder, roomId, 'host-room');
  }

  /** Read-only facts for the diagnostics page (src/diagnostics/snapshot.ts). */
  diagnosticsFacts(): HubFacts {
    const members = [...this.members.values()];
    return {
      cloud: this.snapshot().cloud,
      ownRoomId: this.options.ownRoomId(),
      browsers: members.filter((m) => m.kind === 'browser').map((m) => m.roomId),
      peers: members.filter((m) => m.kind === 'peer').map((m) => ({ roomId: m.roomId, report: m.report })),
      held: (roomId) => this.mailbox.size(holdKey(roomId)),
    };
  }

  /** Leak counters for GET /status's `debug` field. */
  debugCounters(): HubCounters {
    const mailbox = this.mailbox.stats();
    let listeners = listenerTotal(this) + listenerTotal(this.io) + listenerTotal(this.engine);
    for (const member of this.members.values()) listeners += listenerTotal(member.socket);
    return {
      members: this.members.size,
      engineClients: this.engine.clientsCount,
      sockets: this.io.sockets.sockets.size,
      claimedRooms: this.peerByRoom.size,
      listeners,
      mailboxKeys: mailbox.keys,
      heldMessages: mailbox.messages,
      staleHeldMessages: mailbox.stale,
    };
  }

  /** Disconnects everyone and stops the socket.io server. */
  async close(): Promise<void> {
    this.mailbox.clear();
    this.departures.clear();
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    this.members.clear();
    this.peerByRoom.clear();
    this.peers = 0;
  }

  private snapshot(): RoutingSnapshot {
    return {
      ownRoomId: this.options.ownRoomId(),
      cloud: this.peers > 0 || this.everCloud,
      peerForRoom: (roomId) => this.peerByRoom.get(roomId),
      claimedBefore: (roomId) => this.claimed.has(roomId),
    };
  }

  /** A connection closed for a reason other than a normal leave gets a log line (bounded text). */
  private logAbnormalClose(reason: string, description: unknown): void {
    if (reason === 'transport close' || reason === 'forced close' || reason === 'server shutting down')
      return;
    const detail =
      description instanceof Error
        ? description.message
        : typeof description === 'object' && description !== null && 'message' in description
          ? String((description as { message: unknown }).message)
          : description === undefined
            ? ''
            : String(description);
    const text = detail.length > MAX_LOGGED_TEXT ? `${detail.slice(0, MAX_LOGGED_TEXT)}...` : detail;
    const line = `a connection was closed: ${reason}${text ? ` (${text})` : ''}`;
    if (reason === 'ping timeout') this.options.logger.info(line);
    else this.options.logger.warn(line);
  }

  private admit(req: IncomingMessage): HandshakeDecision {
    if (isOlderServerJoin(req.url)) {
      // The original v2 server joining as a peer: refused (Engine.IO 3 polling with no Origin is
      // what a web page's <img> or <script> sends too), and said once, in words a person acts on.
      this.options.logger.warnOnce('older-server-join', OLDER_SERVER_JOIN_MESSAGE);
      return { admit: false, reason: 'an older entry-hw-server tried to join' };
    }
    const origin = headerValue(req.headers.origin);
    const decision = classifyHandshake(
      { url: req.url, origin, websocket: isWebSocketUpgrade(req.headers) },
      this.options.allowedOrigins(),
    );
    if (!decision.admit)
      this.options.logger.warnOnce(`refused:${decision.reason}`, `refused a handshake: ${decision.reason}`);
    return decision;
  }

  /** Runs a handler so that a bug in it costs one message, never the process. */
  private guard(what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.options.logger.error(`${what} handler failed: ${(error as Error).stack ?? error}`);
    }
  }

  private onConnection(socket: Socket): void {
    const decision = classifyHandshake(
      {
        url: socket.handshake.url,
        origin: headerValue(socket.handshake.headers.origin),
        websocket: isWebSocketUpgrade(socket.handshake.headers),
      },
      this.options.allowedOrigins(),
    );
    if (!decision.admit) {
      socket.disconnect(true);
      return;
    }
    if (decision.kind === 'peer') this.addPeer(socket);
    else this.addBrowser(socket, decision.roomId, decision.note);
  }

  private addBrowser(socket: Socket, roomId: string | undefined, note: string | undefined): void {
    if (note) this.options.logger.warnOnce(`note:${note}`, `browser handshake: ${note}`);
    const member: Member = { socket, kind: 'browser', roomId };
    this.members.set(socket.id, member);
    socket.join(ALL_BROWSERS_ROOM);
    if (roomId !== undefined) socket.join(roomId);

    socket.on('message', (message: unknown, ack?: unknown) =>
      this.guard('browser message', () => {
        this.routeFromBrowser(member, message);
        if (typeof ack === 'function') ack(ackValue(message));
      }),
    );
    socket.onAny((event: string) => {
      if (event !== 'message')
        this.options.logger.warnOnce(`event:${event}`, `ignoring unknown event "${event}" from a browser`);
    });
    socket.once('disconnect', () => this.guard('browser disconnect', () => this.remove(member)));

    const key = holdKey(roomId);
    this.departures.returned(key);
    for (const payload of this.mailbox.take(key)) socket.emit('message', payload);
    this.emit('connection', { kind: 'browser', roomId });
    if (roomId !== undefined)
      this.peerOfRoom(roomId)?.emit(ROOM_CONNECTION_EVENT, roomId, this.browsersInRoom(roomId));
  }

  private addPeer(socket: Socket): void {
    const member: Member = { socket, kind: 'peer', roomId: undefined };
    this.members.set(socket.id, member);
    this.peers += 1;
    this.everCloud = true;

    socket.on(MATCH_TARGET_EVENT, (value: unknown) =>
      this.guard('matchTarget', () => this.matchPeer(member, value)),
    );
    socket.on(DIAGNOSTICS_REPORT_EVENT, (value: unknown) => {
      member.report = value;
    });
    socket.on('message', (message: unknown, meta?: unknown) =>
      this.guard('peer message', () => {
        const route = routePeerMessage(member.roomId);
        if (route.to === 'room') this.deliverToRoom(route.roomId, message, queuedMsOf(meta));
        else
          this.options.logger.warnOnce(`peer-drop:${socket.id}`, `dropping a peer message: ${route.reason}`);
      }),
    );
    socket.onAny((event: string) => {
      if (event !== 'message' && event !== MATCH_TARGET_EVENT && event !== DIAGNOSTICS_REPORT_EVENT) {
        this.options.logger.warnOnce(`peer-event:${event}`, `ignoring unknown event "${event}" from a peer`);
      }
    });
    socket.once('disconnect', () => this.guard('peer disconnect', () => this.remove(member)));

    this.emit('peerCountChanged', this.peers);
    this.emit('connection', { kind: 'peer', roomId: undefined });
  }

  private matchPeer(member: Member, value: unknown): void {
    const roomId = roomIdFromMatchTarget(value);
    if (!isValidRoomId(roomId)) {
      this.options.logger.warnOnce(
        `matchTarget-invalid:${typeof roomId}`,
        `ignoring matchTarget with an invalid roomId (${typeof roomId})`,
      );
      return;
    }
    const decision = decideRoomClaim({
      roomId,
      claimant: member.socket.id,
      holder: this.peerByRoom.get(roomId),
      hostRoomId: this.options.ownRoomId(),
    });
    // Whatever this peer held before is released: it asked for another room, or was refused.
    if (member.roomId !== roomId || !decision.grant) {
      this.releaseClaim(member);
      member.roomId = undefined;
    }
    if (!decision.grant) {
      this.refuseClaim(member, roomId, decision.reason);
      return;
    }
    member.roomId = roomId;
    this.peerByRoom.set(roomId, member.socket.id);
    // A room's first claim: what the host held for its tab came from the host's own parent (it
    // served the room while unclaimed) and is not the claiming student's; drop it.
    if (!this.claimed.has(roomId)) this.dropHeldForNewClaim(roomId);
    this.claimed.add(roomId);
    const browsers = this.browsersInRoom(roomId);
    // After a failover this host never saw the room's browser; the peer did: hold for the tab,
    // for what is left of the window since the peer lost its host.
    const leftMsAgo = browserLeftMsAgo(value);
    if (leftMsAgo !== undefined && browsers === 0)
      this.departures.left(holdKey(roomId), Date.now() - leftMsAgo);
    // Browsers of this room that came back before their peer did (a failover) are announced now.
    if (browsers > 0) member.socket.emit(ROOM_CONNECTION_EVENT, roomId, browsers);
  }

  private dropHeldForNewClaim(roomId: string): void {
    const dropped = this.mailbox.take(holdKey(roomId)).length;
    if (dropped > 0)
      this.options.logger.info(`dropped ${dropped} messages held for room ${roomId}: a peer claimed it`);
  }

  /** Frees the room a peer holds (it leaves, asks for another room, or is refused). */
  private releaseClaim(member: Member): void {
    if (member.roomId !== undefined && this.peerByRoom.get(member.roomId) === member.socket.id) {
      this.peerByRoom.delete(member.roomId);
    }
  }

  /** Logs a refused claim once and tells the peer, whose parent then gets ROOM_CLAIMED. */
  private refuseClaim(member: Member, roomId: string, reason: RoomClaimRefusal): void {
    const message = describeRefusal(roomId, reason);
    this.options.logger.warnOnce(`claim:${reason}:${roomId}`, `refused a peer's matchTarget: ${message}`);
    const refusal: RoomClaimRefusedValue = { roomId, reason, message };
    member.socket.emit(ROOM_CLAIM_REFUSED_EVENT, refusal);
  }

  /** The peer member serving a roomId, if one holds its claim. */
  private peerOfRoomMember(roomId: string | undefined): Member | undefined {
    if (roomId === undefined) return undefined;
    const peerId = this.peerByRoom.get(roomId);
    return peerId === undefined ? undefined : this.members.get(peerId);
  }

  /** The peer socket serving a roomId, if one has matched it. */
  private peerOfRoom(roomId: string | undefined): Socket | undefined {
    return this.peerOfRoomMember(roomId)?.socket;
  }

  private remove(member: Member): void {
    if (!this.members.delete(member.socket.id)) return;
    if (member.kind === 'peer') {
      this.peers -= 1;
      this.releaseClaim(member);
      this.emit('peerCountChanged', this.peers);
    } else {
      const left =
        member.roomId === undefined ? this.browsersWithoutRoom() : this.browsersInRoom(member.roomId);
      if (left === 0) this.departures.left(holdKey(member.roomId), Date.now());
      if (member.roomId !== undefined)
        this.peerOfRoom(member.roomId)?.emit(ROOM_CLOSE_EVENT, member.roomId, left);
    }
    this.emit('close', { kind: member.kind, roomId: member.roomId });
  }

  private routeFromBrowser(member: Member, message: unknown): void {
    this.options.stats?.fromBrowser(member.roomId);
    const route = routeBrowserMessage(this.snapshot(), member.roomId);
    if (route.to === 'parent') {
      this.emit('data', message);
    } else if (route.to === 'peer') {
      this.members.get(route.peerId)?.socket.emit('message', message);
    } else {
      this.options.stats?.dropped(member.roomId, 'no-instance-for-room');
      this.options.logger.warnOnce(`drop:${member.roomId}`, `dropping a browser message: ${route.reason}`);
    }
  }

  /** Browsers connected with this roomId (only browsers join rooms). */
  private browsersInRoom(roomId: string): number {
    return this.io.sockets.adapter.rooms.get(roomId)?.size ?? 0;
  }

  /** Browsers connected without a roomId. */
  private browsersWithoutRoom(): number {
    let count = 0;
    for (const m of this.members.values()) if (m.kind === 'browser' && m.roomId === undefined) count += 1;
    return count;
  }

  /** Delivers to a room's browsers, or holds for a tab of that room that left moments ago. */
  private deliverToRoom(roomId: string, payload: unknown, queuedMs = 0): void {
    this.options.stats?.toBrowser(roomId);
    if (this.browsersInRoom(roomId) > 0) this.io.to(roomId).emit('message', payload);
    else this.holdIfReturning(holdKey(roomId), payload, queuedMs);
  }

  /**
   * Holds a parent message for every tab this send would have reached (`eligible`) that left
   * less than the reconnect window ago and is not back yet (a room is out of the record as soon
   * as one of its browsers connects). A tab that never connected gets nothing sent before it
   * connected (PROTOCOL.md §4).
   */
  private holdForReturningTabs(
    payload: unknown,
    eligible: (key: HoldKey) => boolean,
    queuedMs: number,
  ): void {
    for (const key of this.departures.keysWithinWindow(Date.now())) {
      if (eligible(key)) this.mailbox.hold(key, payload, queuedMs);
    }
  }

  private holdIfReturning(key: HoldKey, payload: unknown, queuedMs: number): void {
    if (this.departures.isWithinWindow(key, Date.now())) this.mailbox.hold(key, payload, queuedMs);
  }
}
