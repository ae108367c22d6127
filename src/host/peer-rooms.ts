// Which peer serves which room on this host: the live claims (roomId → peer socket id), the
// rooms ever claimed (so a room's first claim is known; bounded), the rooms each peer
// connection asked for (bounded), and carrying out routing/room-claims.ts's decision on each
// `matchTarget`, including telling a refused peer why. When a room becomes free (its holder left or
// changed room, or the host's own room changed) the hub is told, so the peers refused for it can
// claim it again. The peer's own roomId lives in its `socket.data.roomId`; this table
// is its index by room.
import type { Socket } from 'socket.io';
import type { ParsedMatchTarget } from '../contracts/match-target';
import {
  type HostEmitEvents,
  type HostListenEvents,
  ROOM_CLAIM_REFUSED_EVENT,
  type SocketData,
} from '../contracts/socket-events';
import {
  ClaimedRooms,
  decideRoomClaim,
  describeRefusal,
  MAX_ROOMS_PER_PEER,
  type RoomClaimRefusal,
} from '../routing/room-claims';
import type { Logger } from '../util/log';

/** A socket of the host's socket.io server. */
export type HostSocket = Socket<HostListenEvents, HostEmitEvents, Record<string, never>, SocketData>;

/** What a granted claim means for the room's browsers (the hub acts on it). */
export interface GrantedClaim {
  roomId: string;
  /** No peer had claimed this room here before. */
  first: boolean;
}

/**
 * The host's table of room claims.
 *
 * @example
 * const rooms = new PeerRooms(logger, () => hostRoomId);
 * rooms.claim(peerSocket, { roomId: 'r1' }); // { roomId: 'r1' }, or undefined when refused
 * rooms.holderOf('r1'); // peerSocket.id
 */
export interface PeerRoomsOptions {
  /** Browsers of a room connected now (a room with one is in use: never forgotten). */
  browsersIn?: (roomId: string) => number;
  /** A room became free to claim. */
  roomFreed?: (roomId: string) => void;
  /** How many rooms ever claimed are remembered (default 4096). */
  capacity?: number;
  now?: () => number;
}

export class PeerRooms {
  private readonly holders = new Map<string, string>();
  /** Rooms any peer has claimed here, kept after it leaves: a room's first claim drops what was held for it. */
  private readonly claimed: ClaimedRooms;
  /** The distinct roomIds each peer connection asked for (at most MAX_ROOMS_PER_PEER). */
  private readonly asked = new WeakMap<HostSocket, Set<string>>();
  /** The host's own roomId as last seen, to tell when it is given up. */
  private hostRoom: string | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly hostRoomId: () => string | undefined,
    private readonly options: PeerRoomsOptions = {},
  ) {
    this.claimed = new ClaimedRooms(options.capacity);
    this.hostRoom = hostRoomId();
  }

  /** Rooms a peer holds now. */
  get size(): number {
    return this.holders.size;
  }

  /** The socket id of the peer holding `roomId`, if any. */
  holderOf(roomId: string | undefined): string | undefined {
    return roomId === undefined ? undefined : this.holders.get(roomId);
  }

  /**
   * Carries out one `matchTarget`: grants it (the peer's `socket.data.roomId` is set) or refuses
   * it and tells the peer. What the peer held before is released unless it renewed that claim.
   *
   * @example
   * rooms.claim(peer, '0a1b2c3d4e'); // { roomId: '0a1b2c3d4e' }
   */
  claim(peer: HostSocket, target: ParsedMatchTarget): GrantedClaim | undefined {
    if (!target.valid) {
      this.logger.warnOnce(
        `matchTarget-invalid:${target.roomIdType}`,
        `ignoring matchTarget with an invalid roomId (${target.roomIdType})`,
      );
      return undefined;
    }
    const roomId = target.roomId;
    const asked = this.asked.get(peer) ?? new Set<string>();
    this.asked.set(peer, asked);
    const roomsAsked = asked.size + (asked.has(roomId) ? 0 : 1);
    if (roomsAsked <= MAX_ROOMS_PER_PEER) asked.add(roomId);
    const decision = decideRoomClaim({
      roomId,
      claimant: peer.id,
      holder: this.holders.get(roomId),
      hostRoomId: this.hostRoomId(),
      roomsAsked,
    });
    // Whatever this peer held before is released: it asked for another room, or was refused.
    if (peer.data.roomId !== roomId || !decision.grant) this.release(peer);
    peer.data.askedRoomId = roomId;
    if (!decision.grant) {
      this.refuse(peer, roomId, decision.reason);
      return undefined;
    }
    const first = !this.claimed.has(roomId);
    const now = this.options.now?.() ?? Date.now();
    const inUse = (room: string) => this.holders.has(room) || (this.options.browsersIn?.(room) ?? 0) > 0;
    if (!this.claimed.add(roomId, now, inUse)) {
      // Full of rooms in use or claimed lately: refuse rather than forget one.
      this.release(peer);
      this.refuse(peer, roomId, 'host-full');
      return undefined;
    }
    peer.data.roomId = roomId;
    this.holders.set(roomId, peer.id);
    return { roomId, first };
  }

  /**
   * The host's parent set (or changed) the host's own roomId: the peer holding that room loses
   * it (the host's own room is never a peer's) and is told so.
   *
   * @example
   * rooms.hostRoomChanged('0a1b2c3d4e', (id) => io.sockets.sockets.get(id));
   */
  hostRoomChanged(roomId: string, socketById: (id: string) => HostSocket | undefined): void {
    const previous = this.hostRoom;
    this.hostRoom = roomId;
    // The room the host gave up may now be claimed by the peers refused for it.
    if (previous !== undefined && previous !== roomId && !this.holders.has(previous))
      this.options.roomFreed?.(previous);
    const holderId = this.holders.get(roomId);
    const holder = holderId === undefined ? undefined : socketById(holderId);
    if (!holder) return;
    this.release(holder);
    this.refuse(holder, roomId, 'host-room');
  }

  /** Frees the room a peer holds (it leaves, asks for another room, or is refused). */
  release(peer: HostSocket): void {
    const roomId = peer.data.roomId;
    peer.data.roomId = undefined;
    if (roomId !== undefined && this.holders.get(roomId) === peer.id) {
      this.holders.delete(roomId);
      this.options.roomFreed?.(roomId);
    }
  }

  clear(): void {
    this.holders.clear();
  }

  /** Logs a refused claim once and tells the peer, whose parent then gets ROOM_CLAIMED. */
  private refuse(peer: HostSocket, roomId: string, reason: RoomClaimRefusal): void {
    const message = describeRefusal(roomId, reason);
    // A connection that asks for many rooms is counted, never one line per room (a flood).
    if (reason === 'too-many-claims') this.logger.refused('claims', message);
    else if (reason === 'host-full')
      this.logger.warnOnce('claim:host-full', `refused a peer's matchTarget: ${message}`);
    else this.logger.warnOnce(`claim:${reason}:${roomId}`, `refused a peer's matchTarget: ${message}`);
    peer.emit(ROOM_CLAIM_REFUSED_EVENT, { roomId, reason, message });
  }
}
