// Who may serve a roomId (docs/PROTOCOL.md §5 improved): the first peer to claim a room with
// `matchTarget` keeps it while it stays connected, and nobody may claim the host's own room. Pure
// decisions plus a small bounded memory of claimed rooms (to know a room's first claim), so every
// rule is unit-testable without sockets.

/** Why a claim was refused. */
export type RoomClaimRefusal = 'held-by-another-peer' | 'host-room';

export interface RoomClaimFacts {
  /** The roomId the peer asks for. */
  roomId: string;
  /** The asking peer's socket id. */
  claimant: string;
  /** The peer socket id holding `roomId` now, if any. */
  holder: string | undefined;
  /** The host's own roomId (from its parent), if any. */
  hostRoomId: string | undefined;
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
  if (facts.hostRoomId !== undefined && facts.roomId === facts.hostRoomId)
    return { grant: false, reason: 'host-room' };
  if (facts.holder === undefined) return { grant: true, renewed: false };
  if (facts.holder === facts.claimant) return { grant: true, renewed: true };
  return { grant: false, reason: 'held-by-another-peer' };
}

/** Human text for a refusal, for the host's log and the peer's `error` message. */
export function describeRefusal(roomId: string, reason: RoomClaimRefusal): string {
  return reason === 'host-room'
    ? `room ${roomId} is the host's own room; no peer may claim it`
    : `room ${roomId} is already served by another instance on this PC`;
}

/**
 * Rooms some peer has claimed on this host, remembered after the peer leaves (bounded, oldest
 * forgotten first). A room's first claim tells the host that what it held for that room's tab came
 * from its own parent while it was a single server serving every tab (docs/PROTOCOL.md §4, held
 * messages), so it drops that. Forgetting a room costs at most such a drop later, never a route:
 * routing does not read this memory.
 *
 * @example
 * const claimed = new ClaimedRooms(2);
 * claimed.add('r1');
 * claimed.has('r1'); // true, also after the peer holding r1 left
 */
export class ClaimedRooms {
  private readonly rooms = new Set<string>();

  constructor(private readonly capacity = 1000) {}

  add(roomId: string): void {
    this.rooms.delete(roomId);
    this.rooms.add(roomId);
    if (this.rooms.size > this.capacity) {
      const oldest = this.rooms.values().next().value;
      if (oldest !== undefined) this.rooms.delete(oldest);
    }
  }

  has(roomId: string): boolean {
    return this.rooms.has(roomId);
  }
}
