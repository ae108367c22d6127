// Who may serve a roomId (docs/PROTOCOL.md §5 improved): the first peer to claim a room with
// `matchTarget` keeps it while it stays connected, and nobody may claim the host's own room. One
// peer connection may ask for a bounded number of distinct rooms. Pure decisions plus a
// bounded memory of claimed rooms (to know a room's first claim) that refuses at capacity rather
// than forget a room in use, so every rule is unit-testable without sockets.

/** Why a claim was refused. */
export type RoomClaimRefusal = 'held-by-another-peer' | 'host-room' | 'too-many-claims' | 'host-full';

/** Distinct roomIds one peer connection may ask for (a real Entry HW asks for one, rarely two). */
export const MAX_ROOMS_PER_PEER = 16;

export interface RoomClaimFacts {
  /** The roomId the peer asks for. */
  roomId: string;
  /** The asking peer's socket id. */
  claimant: string;
  /** The peer socket id holding `roomId` now, if any. */
  holder: string | undefined;
  /** The host's own roomId (from its parent), if any. */
  hostRoomId: string | undefined;
  /** Distinct roomIds this peer connection has asked for, this one included. Default 1. */
  roomsAsked?: number;
}

export type RoomClaimDecision =
  | { grant: true; renewed: boolean }
  | { grant: false; reason: RoomClaimRefusal };

/**
 * Decides one `matchTarget`. A peer re-sending its own claim (a reconnect, or `addRoomId` again)
 * is granted as a renewal; the host's own room and a room held by another connected peer are
 * refused. What the claimant held before is released by the caller either way: a peer that asks
 * for a new roomId no longer serves the old one.
 *
 * @example
 * decideRoomClaim({ roomId: 'r1', claimant: 'p2', holder: 'p1', hostRoomId: undefined })
 * // { grant: false, reason: 'held-by-another-peer' }
 * decideRoomClaim({ roomId: 'r1', claimant: 'p1', holder: 'p1', hostRoomId: undefined })
 * // { grant: true, renewed: true }
 */
export function decideRoomClaim(facts: RoomClaimFacts): RoomClaimDecision {
  if ((facts.roomsAsked ?? 1) > MAX_ROOMS_PER_PEER) return { grant: false, reason: 'too-many-claims' };
  if (facts.hostRoomId !== undefined && facts.roomId === facts.hostRoomId)
    return { grant: false, reason: 'host-room' };
  if (facts.holder === undefined) return { grant: true, renewed: false };
  if (facts.holder === facts.claimant) return { grant: true, renewed: true };
  return { grant: false, reason: 'held-by-another-peer' };
}

/** Human text for a refusal, for the host's log and the peer's `error` message. */
export function describeRefusal(roomId: string, reason: RoomClaimRefusal): string {
  switch (reason) {
    case 'host-room':
      return `room ${roomId} is the host's own room; no peer may claim it`;
    case 'too-many-claims':
      return `room ${roomId}: this connection asked for more than ${MAX_ROOMS_PER_PEER} rooms`;
    case 'host-full':
      return `room ${roomId}: the host remembers as many rooms in use as it can; try again in a few minutes`;
    default:
      return `room ${roomId} is already served by another instance on this PC`;
  }
}

/** A room claimed within this long is never forgotten. */
export const RECENT_CLAIM_MS = 5 * 60_000;

/**
 * Rooms some peer has claimed on this host, remembered after the peer leaves. A room's first claim
 * drops what the host held for that room's tab (docs/PROTOCOL.md §4, held messages). Routing does
 * not read this memory: forgetting a room would only make its next claim look like a first one and
 * drop what a previous holder's sends held for its reconnecting tab (at most 5 s of them). Bounded:
 * at capacity it forgets the room claimed longest ago, but never one claimed in the last
 * {@link RECENT_CLAIM_MS} nor one the caller says is in use (a peer holds it, a browser of it is
 * connected); when every room is such, the new claim is refused rather than any room forgotten.
 *
 * @example
 * const claimed = new ClaimedRooms(2);
 * claimed.add('r1', Date.now(), () => false); // true
 * claimed.has('r1'); // true, also after the peer holding r1 left
 */
export class ClaimedRooms {
  /** roomId → when it was last claimed; oldest claim first (a renewal moves it to the end). */
  private readonly rooms = new Map<string, number>();

  constructor(private readonly capacity = 4096) {}

  get size(): number {
    return this.rooms.size;
  }

  /**
   * Records a claim of `roomId` at `now`; false (nothing changed) when the memory is full of rooms
   * claimed recently or in use.
   */
  add(roomId: string, now: number, inUse: (roomId: string) => boolean): boolean {
    if (this.rooms.has(roomId)) {
      this.rooms.delete(roomId);
      this.rooms.set(roomId, now);
      return true;
    }
    if (this.rooms.size >= this.capacity) {
      let forgettable: string | undefined;
      for (const [room, at] of this.rooms) {
        if (now - at < RECENT_CLAIM_MS) break; // every later one is more recent still
        if (!inUse(room)) {
          forgettable = room;
          break;
        }
      }
      if (forgettable === undefined) return false;
      this.rooms.delete(forgettable);
    }
    this.rooms.set(roomId, now);
    return true;
  }

  has(roomId: string): boolean {
    return this.rooms.has(roomId);
  }
}
