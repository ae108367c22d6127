// Zero-click pairing (docs/PROTOCOL.md §4, "Pairing by OS session", improved): which
// instance serves a room that no Entry HW named, from the OS sessions the host looked up for the
// room's tabs and for every instance. Pure decisions plus the bounded memory of rooms paired
// before, so every rule is unit-testable without sockets or OS users.
import { type SessionIdentity, sameSession } from '../os-session/identity';

/** The instance id the host uses for itself in pairings (a peer is its socket id). Not a socket id. */
export const HOST_INSTANCE = '\u0000host';

/** A tab's session as the host knows it: an identity, `unknown` (the lookup gave none) or `pending`. */
export type TabSession = SessionIdentity | 'unknown' | 'pending';

/** One connected instance (the host or a peer) and its OS session (undefined: unknown). */
export interface PairingInstance {
  id: string;
  session: SessionIdentity | undefined;
}

/** Why a room has no instance although the server tried to pair it. */
export type PairingGap =
  /** A tab's lookup is still running and the room was not paired before. */
  | 'session-pending'
  /** No tab of the room has a known session (the lookup failed, timed out, or is unsupported). */
  | 'session-unknown'
  /** No connected instance has the room's session (its Entry HW is not running, or not joined yet). */
  | 'no-instance-of-session'
  /** Two or more connected instances have the room's session: the OS cannot tell which. */
  | 'several-instances-of-session'
  /** The room's tabs (or its tabs and its remembered pairing) belong to different sessions. */
  | 'tabs-of-different-sessions'
  /** The memory of paired rooms is full of rooms in use; no new pairing until one is forgotten. */
  | 'memory-full';

export type RoomPairing =
  | { kind: 'claimed' }
  | { kind: 'session'; instance: string; session: SessionIdentity }
  | { kind: 'none'; gap: PairingGap };

export interface RoomPairingFacts {
  /** An Entry HW named this room: a peer holds it (granted `matchTarget`), or it is the host's own. */
  claimed: boolean;
  /** The sessions of the room's connected tabs (at least one tab). */
  tabs: readonly TabSession[];
  /** The session this room was paired with before on this host (rule 2), if remembered. */
  remembered: SessionIdentity | undefined;
  /** Every connected instance: the host and its peers. */
  instances: readonly PairingInstance[];
}

/**
 * Who serves a room, by the precedence of docs/PROTOCOL.md §4: (1) an Entry HW that named it;
 * (2) the one instance of the session it was paired with before; (3) the one instance of its
 * tabs' session; else nobody (the single-server compat rule is routeBrowserMessage's, after this).
 * A tab's session that contradicts another's or the remembered one un-pairs the room: it is never
 * a guess which of two sessions the room is.
 *
 * @example
 * decideRoomPairing({ claimed: false, tabs: [{ platform: 'linux', uid: 1001 }], remembered: undefined,
 *   instances: [{ id: HOST_INSTANCE, session: { platform: 'linux', uid: 1000 } }, { id: 'p1', session: { platform: 'linux', uid: 1001 } }] })
 * // { kind: 'session', instance: 'p1', session: { platform: 'linux', uid: 1001 } }
 */
export function decideRoomPairing(facts: RoomPairingFacts): RoomPairing {
  if (facts.claimed) return { kind: 'claimed' };
  const known: SessionIdentity[] = [];
  for (const tab of facts.tabs)
    if (typeof tab === 'object' && !known.some((s) => sameSession(s, tab))) known.push(tab);
  if (facts.remembered !== undefined && !known.every((s) => sameSession(s, facts.remembered)))
    return { kind: 'none', gap: 'tabs-of-different-sessions' };
  if (known.length > 1) return { kind: 'none', gap: 'tabs-of-different-sessions' };
  const session = facts.remembered ?? known[0];
  if (session === undefined)
    return { kind: 'none', gap: facts.tabs.includes('pending') ? 'session-pending' : 'session-unknown' };
  const matches = facts.instances.filter((instance) => sameSession(instance.session, session));
  if (matches.length === 0) return { kind: 'none', gap: 'no-instance-of-session' };
  if (matches.length > 1) return { kind: 'none', gap: 'several-instances-of-session' };
  return { kind: 'session', instance: (matches[0] as PairingInstance).id, session };
}

/**
 * Whether an instance that serves no room could be the one an unpaired room's tab is looking for,
 * so its parent is told `ROOM_UNKNOWN` (docs/PROTOCOL.md §4): only when the gap is one a roomId from
 * Entry HW would close for this instance. A room whose tabs' session is known and not this
 * instance's is some other student's: no alarm for it. A pending lookup is no alarm yet.
 *
 * @example
 * mayBeMine({ platform: 'linux', uid: 1 }, { kind: 'none', gap: 'no-instance-of-session' }, [{ platform: 'linux', uid: 2 }]); // false
 * mayBeMine({ platform: 'linux', uid: 1 }, { kind: 'none', gap: 'session-unknown' }, ['unknown']); // true
 */
export function mayBeMine(
  instanceSession: SessionIdentity | undefined,
  pairing: RoomPairing,
  tabs: readonly TabSession[],
): boolean {
  if (pairing.kind !== 'none' || pairing.gap === 'session-pending') return false;
  if (pairing.gap === 'session-unknown' || instanceSession === undefined) return true;
  return tabs.some((tab) => typeof tab === 'object' && sameSession(tab, instanceSession));
}

/** Rooms remembered at most; at capacity a new pairing is refused rather than a room in use forgotten. */
export const MAX_REMEMBERED_ROOMS = 4096;

/** A remembered pairing is forgotten once no instance of its session has been connected this long. */
export const FORGET_PAIRING_MS = 2 * 60_000;

/**
 * Rooms paired by OS session on this host (rule 3), so a reload (a new socket, same roomId) pairs
 * at once, before its own lookup ends (rule 2). An entry lives while an instance of its session or
 * a tab of its room is connected, and {@link FORGET_PAIRING_MS} after that; at most
 * {@link MAX_REMEMBERED_ROOMS}: when full, the entry idle longest is forgotten if it is idle at all,
 * else the new pairing is refused (never a room in use forgotten).
 *
 * @example
 * const memory = new PairingMemory();
 * memory.remember('0a1b2c3d4e', { platform: 'linux', uid: 1001 }, Date.now()); // true
 * memory.sessionOf('0a1b2c3d4e'); // { platform: 'linux', uid: 1001 }
 */
export class PairingMemory {
  /** roomId → its session and when it was last in use (a tab of it, or an instance of its session). */
  private readonly rooms = new Map<string, { session: SessionIdentity; usedAt: number; inUse: boolean }>();

  constructor(private readonly capacity = MAX_REMEMBERED_ROOMS) {}

  get size(): number {
    return this.rooms.size;
  }

  sessionOf(roomId: string): SessionIdentity | undefined {
    return this.rooms.get(roomId)?.session;
  }

  /** Records (or renews) a pairing; false when the memory is full of rooms in use. */
  remember(roomId: string, session: SessionIdentity, now: number): boolean {
    const entry = this.rooms.get(roomId);
    if (entry !== undefined && sameSession(entry.session, session)) {
      entry.usedAt = now;
      entry.inUse = true;
      return true;
    }
    if (entry === undefined && this.rooms.size >= this.capacity) {
      let idlest: string | undefined;
      let idleSince = Number.POSITIVE_INFINITY;
      for (const [room, { usedAt, inUse }] of this.rooms)
        if (!inUse && usedAt < idleSince) {
          idlest = room;
          idleSince = usedAt;
        }
      if (idlest === undefined) return false;
      this.rooms.delete(idlest);
    }
    this.rooms.set(roomId, { session, usedAt: now, inUse: true });
    return true;
  }

  /**
   * Marks what is in use at `now` (rooms with a tab connected, sessions with an instance
   * connected) and forgets what has been idle for {@link FORGET_PAIRING_MS}. Only an entry idle at
   * the last sweep may make room for a new one.
   */
  sweep(
    now: number,
    roomInUse: (roomId: string) => boolean,
    sessionConnected: (s: SessionIdentity) => boolean,
  ): void {
    for (const [room, entry] of this.rooms) {
      entry.inUse = roomInUse(room) || sessionConnected(entry.session);
      if (entry.inUse) entry.usedAt = now;
      else if (now - entry.usedAt >= FORGET_PAIRING_MS) this.rooms.delete(room);
    }
  }

  clear(): void {
    this.rooms.clear();
  }
}
