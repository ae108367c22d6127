// The socket.io side of a host: admits handshakes (origin and peer checks), keeps the table of
// connected browsers and peer instances, and carries out the routing decisions of
// routing/host-routing.ts. It owns no port: the listener hands it requests and upgrades.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server as EngineServer } from 'engine.io';
import { Server as IoServer, type Socket } from 'socket.io';
import { type ConnectionInfo, isValidRoomId } from '../ipc/messages';
import { isOriginAllowed } from '../listener/origin-policy';
import { isSocketIoPath, SOCKET_IO_PATH } from '../listener/request-policy';
import {
  ackValue,
  isUnmatchedBrowser,
  type RoutingSnapshot,
  roomIdFromMatchTarget,
  routeBrowserMessage,
  routeParentSend,
  routePeerMessage,
} from '../routing/host-routing';
import { ReconnectMailbox } from '../routing/reconnect-mailbox';
import type { Logger } from '../util/log';
import { classifyHandshake, type HandshakeDecision, isWebSocketUpgrade } from './handshake';
import { MATCH_TARGET_EVENT, ROOM_CLOSE_EVENT, ROOM_CONNECTION_EVENT } from './peer-events';

export { SOCKET_IO_PATH };
/** Largest accepted socket.io message from a client, in bytes. */
export const MAX_PAYLOAD_BYTES = 1_000_000;
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
}

interface Member {
  socket: Socket;
  kind: 'browser' | 'peer';
  roomId: string | undefined;
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
  private readonly mailbox = new ReconnectMailbox<unknown>();
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
   *
   * @example
   * hub.sendFromParent('disconnectHardware');
   */
  sendFromParent(value: unknown): void {
    const payload = { data: value };
    const route = routeParentSend(this.snapshot());
    if (route.to === 'room') {
      this.deliverToRoom(route.roomId, payload);
    } else if (route.to === 'all-browsers') {
      if (this.browserCount > 0) this.io.to(ALL_BROWSERS_ROOM).emit('message', payload);
      else this.holdForOwnBrowsers(payload);
    } else {
      const state = this.snapshot();
      const targets = [...this.members.values()].filter(
        (m) => m.kind === 'browser' && isUnmatchedBrowser(state, m.roomId),
      );
      if (targets.length === 0) this.holdForOwnBrowsers(payload);
      for (const member of targets) member.socket.emit('message', payload);
    }
  }

  /** Disconnects everyone and stops the socket.io server. */
  async close(): Promise<void> {
    this.mailbox.clear();
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
    };
  }

  private admit(req: IncomingMessage): HandshakeDecision {
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

    for (const payload of this.heldFor(member)) socket.emit('message', payload);
    this.emit('connection', { kind: 'browser', roomId });
    this.peerOfRoom(roomId)?.emit(ROOM_CONNECTION_EVENT, roomId);
  }

  private addPeer(socket: Socket): void {
    const member: Member = { socket, kind: 'peer', roomId: undefined };
    this.members.set(socket.id, member);
    this.peers += 1;
    this.everCloud = true;

    socket.on(MATCH_TARGET_EVENT, (value: unknown) =>
      this.guard('matchTarget', () => this.matchPeer(member, value)),
    );
    socket.on('message', (message: unknown) =>
      this.guard('peer message', () => {
        const route = routePeerMessage(member.roomId);
        if (route.to === 'room') this.deliverToRoom(route.roomId, message);
        else
          this.options.logger.warnOnce(`peer-drop:${socket.id}`, `dropping a peer message: ${route.reason}`);
      }),
    );
    socket.onAny((event: string) => {
      if (event !== 'message' && event !== MATCH_TARGET_EVENT) {
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
      this.options.logger.warn(`ignoring matchTarget with an invalid roomId (${typeof roomId})`);
      return;
    }
    if (member.roomId !== undefined && this.peerByRoom.get(member.roomId) === member.socket.id) {
      this.peerByRoom.delete(member.roomId);
    }
    member.roomId = roomId;
    this.peerByRoom.set(roomId, member.socket.id);
    // Browsers of this room that came back before their peer did (a failover) are announced now.
    if (this.browsersInRoom(roomId) > 0) member.socket.emit(ROOM_CONNECTION_EVENT, roomId);
  }

  /** The peer socket serving a roomId, if one has matched it. */
  private peerOfRoom(roomId: string | undefined): Socket | undefined {
    if (roomId === undefined) return undefined;
    const peerId = this.peerByRoom.get(roomId);
    return peerId === undefined ? undefined : this.members.get(peerId)?.socket;
  }

  private remove(member: Member): void {
    if (!this.members.delete(member.socket.id)) return;
    if (member.kind === 'peer') {
      this.peers -= 1;
      if (member.roomId !== undefined && this.peerByRoom.get(member.roomId) === member.socket.id) {
        this.peerByRoom.delete(member.roomId);
      }
      this.emit('peerCountChanged', this.peers);
    } else {
      this.peerOfRoom(member.roomId)?.emit(ROOM_CLOSE_EVENT, member.roomId);
    }
    this.emit('close', { kind: member.kind, roomId: member.roomId });
  }

  private routeFromBrowser(member: Member, message: unknown): void {
    const route = routeBrowserMessage(this.snapshot(), member.roomId);
    if (route.to === 'parent') {
      this.emit('data', message);
    } else if (route.to === 'peer') {
      this.members.get(route.peerId)?.socket.emit('message', message);
    } else {
      this.options.logger.warnOnce(`drop:${member.roomId}`, `dropping a browser message: ${route.reason}`);
    }
  }

  /** Browsers connected with this roomId (only browsers join rooms). */
  private browsersInRoom(roomId: string): number {
    return this.io.sockets.adapter.rooms.get(roomId)?.size ?? 0;
  }

  private deliverToRoom(roomId: string, payload: unknown): void {
    if (this.browsersInRoom(roomId) > 0) this.io.to(roomId).emit('message', payload);
    else this.mailbox.hold(`room:${roomId}`, payload);
  }

  /**
   * Holds a parent message while none of this host's own browsers is connected (a browser
   * reconnecting, or the first moments after a failover): for its own room when it has one,
   * else for the next browser that no peer claims. Never for another student's room.
   */
  private holdForOwnBrowsers(payload: unknown): void {
    const own = this.options.ownRoomId();
    this.mailbox.hold(own === undefined ? 'unmatched' : `room:${own}`, payload);
  }

  /** Messages held for a browser that just connected, oldest first. */
  private heldFor(member: Member): unknown[] {
    const held: unknown[] = [];
    if (member.roomId !== undefined) held.push(...this.mailbox.take(`room:${member.roomId}`));
    if (isUnmatchedBrowser(this.snapshot(), member.roomId)) held.push(...this.mailbox.take('unmatched'));
    return held;
  }
}
