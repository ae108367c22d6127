// A peer instance's connection to the host (cloud PC mode, docs/PROTOCOL.md §4-5): plain ws to
// 127.0.0.1 (no DNS, no certificate), query childServer=true, no Origin header. One PeerLink is
// one connection; what the host sends goes to the link's handler (PeerRole) by direct calls, and
// when the connection is lost the election decides what comes next.
import { io, type Socket } from 'socket.io-client';
import { parseRoomBrowsers, parseRoomClaimRefused, parseRoomFree } from '../contracts/host-values';
import {
  type DataPayload,
  DIAGNOSTICS_REPORT_EVENT,
  type HostToPeerEvents,
  MATCH_TARGET_EVENT,
  type MatchTargetValue,
  type PeerToHostEvents,
  ROOM_CLAIM_REFUSED_EVENT,
  ROOM_CLOSE_EVENT,
  ROOM_CONNECTION_EVENT,
  ROOM_FREE_EVENT,
  ROOM_UNKNOWN_EVENT,
  type RoomClaimRefusedValue,
} from '../contracts/socket-events';
import type { SessionIdentity } from '../os-session';

/** The peer's end of the connection, typed with the same event maps as the host's server. */
export type PeerSocket = Socket<HostToPeerEvents, PeerToHostEvents>;

/** What the link reports (PeerRole implements it), called directly as the host's events arrive. */
export interface PeerLinkHandler {
  /** A message from the host for this instance's parent. */
  data(value: unknown): void;
  /** The connection to the host ended without close() being called (once, after connect()). */
  lost(reason: string): void;
  /** A browser of this instance's room connected to the host; `browsers` is how many now are. */
  browserConnected(roomId: string, browsers: number | undefined): void;
  /** A browser of this instance's room left the host; `browsers` is how many are left. */
  browserClosed(roomId: string, browsers: number | undefined): void;
  /** The host refused this instance's claim of a room (another instance holds it). */
  claimRefused(refusal: RoomClaimRefusedValue): void;
  /** A room this instance was refused is free to claim now. */
  roomFree(roomId: string): void;
  /** The host says this instance serves no room and a tab no one serves may be its student's. */
  roomUnknown(): void;
}

/** Every event the link listens to on its socket, for the leak counters. */
const SOCKET_EVENTS = [
  'connect',
  'connect_error',
  'disconnect',
  'message',
  ROOM_CONNECTION_EVENT,
  ROOM_CLOSE_EVENT,
  ROOM_CLAIM_REFUSED_EVENT,
  ROOM_FREE_EVENT,
  ROOM_UNKNOWN_EVENT,
] as const;

/**
 * Connection from a peer to the host.
 *
 * @example
 * const link = new PeerLink(23518, handler); // handler.data(value) for each message from the host
 * await link.connect(() => ({ roomId: '0a1b2c3d4e' })); // sends matchTarget as soon as it is connected
 * link.forward({ data: { a0: 512 } });
 */
export class PeerLink {
  private socket: PeerSocket | undefined;
  private closed = false;
  /** This instance's OS session, added to each report as `session` (a cross-check for the host). */
  ownSession: SessionIdentity | undefined;

  constructor(
    private readonly port: number,
    private readonly handler: PeerLinkHandler,
    private readonly host = '127.0.0.1',
  ) {}

  get connected(): boolean {
    return this.socket?.connected === true;
  }

  /**
   * Connects and announces the roomId (read when the connection opens, so a roomId set while
   * connecting is not missed); rejects when the host cannot be reached.
   */
  connect(claim: () => MatchTargetValue | undefined, timeoutMs = 2000): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket: PeerSocket = io(`http://${this.host}:${this.port}`, {
        query: { childServer: 'true' },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: timeoutMs,
      });
      this.socket = socket;
      socket.once('connect', () => {
        const current = claim();
        if (current !== undefined) socket.emit(MATCH_TARGET_EVENT, current);
        socket.on('disconnect', (reason) => {
          if (!this.closed) this.handler.lost(String(reason));
        });
        resolve();
      });
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
      socket.on('message', (value) => this.handler.data(value));
      // What a host sends is parsed all the same (contracts/host-values.ts): it may be another version.
      socket.on(ROOM_CONNECTION_EVENT, (roomId, browsers) => {
        const room = parseRoomBrowsers(roomId, browsers);
        if (room) this.handler.browserConnected(room.roomId, room.browsers);
      });
      socket.on(ROOM_CLOSE_EVENT, (roomId, browsers) => {
        const room = parseRoomBrowsers(roomId, browsers);
        if (room) this.handler.browserClosed(room.roomId, room.browsers);
      });
      socket.on(ROOM_CLAIM_REFUSED_EVENT, (value) => {
        const refusal = parseRoomClaimRefused(value);
        if (refusal) this.handler.claimRefused(refusal);
      });
      socket.on(ROOM_FREE_EVENT, (roomId) => {
        const free = parseRoomFree(roomId);
        if (free !== undefined) this.handler.roomFree(free);
      });
      socket.on(ROOM_UNKNOWN_EVENT, () => this.handler.roomUnknown());
    });
  }

  /** Tells the host which room this instance serves. */
  matchRoom(roomId: string): void {
    const value: MatchTargetValue = { roomId };
    this.socket?.emit(MATCH_TARGET_EVENT, value);
  }

  /** Tells the host what this instance's Entry HW reported (for the host's diagnostics page). */
  report(value: unknown): void {
    const session = this.ownSession;
    const withSession =
      session !== undefined && typeof value === 'object' && value !== null ? { ...value, session } : value;
    this.socket?.emit(DIAGNOSTICS_REPORT_EVENT, withSession);
  }

  /**
   * Forwards a parent's value, already wrapped as `{ data }`, to the host for this instance's room.
   * A send that waited in the outbox says for how long (`queuedMs`, an extension argument the
   * host uses to age it; the browser never sees it).
   *
   * @example
   * link.forward({ data: { a0: 512 } });
   * link.forward({ data: { a0: 512 } }, 1200); // queued 1.2 s between hosts
   */
  forward(payload: DataPayload, queuedMs?: number): void {
    if (queuedMs === undefined || queuedMs <= 0) this.socket?.emit('message', payload);
    else this.socket?.emit('message', payload, { queuedMs });
  }

  /** Listeners on the socket to the host, for the leak counters. */
  listenerCount(): number {
    const socket = this.socket;
    if (socket === undefined) return 0;
    let total = socket.listenersAny().length;
    for (const event of SOCKET_EVENTS) total += socket.listeners(event).length;
    return total;
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
    this.socket = undefined;
  }
}
