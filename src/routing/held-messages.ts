// Which undeliverable messages are held (docs/PROTOCOL.md §4 improved): only those for a room whose
// browser was connected and left less than 5 s ago (a reload, a failover), never for a tab that
// never connected. Pure decision plus the bounded record of recent departures the host keeps.

/** How long after a room's browser left its messages are still held for it. */
export const RECONNECT_WINDOW_MS = 5000;

/** Mailbox key: a room's browsers, or the browsers that connected without a roomId. */
export type HoldKey = `room:${string}` | 'no-room';

/**
 * The mailbox key for a browser's roomId.
 *
 * @example
 * holdKey('0a1b2c3d4e'); // 'room:0a1b2c3d4e'
 * holdKey(undefined);    // 'no-room'
 */
export function holdKey(roomId: string | undefined): HoldKey {
  return roomId === undefined ? 'no-room' : `room:${roomId}`;
}

/**
 * Whether a message for a key with no browser connected is held: only when that key's browser
 * left (or was cut off by a failover) less than `windowMs` ago, and was already there when the
 * message was sent. `presentSince` is when the key's browsers arrived (counting a reload within
 * the window as no gap); `sentAt` is when the message was sent, earlier than `now` when it waited
 * in a peer's outbox. A message sent before the room's tab first connected is never handed to it.
 *
 * @example
 * shouldHold({ leftAt: 1000, now: 3000 });      // true: a reload
 * shouldHold({ leftAt: undefined, now: 3000 }); // false: nobody was ever connected
 * shouldHold({ leftAt: 1000, now: 7000 });      // false: gone for more than 5 s
 * shouldHold({ leftAt: 1000, now: 3000, presentSince: 900, sentAt: 500 }); // false: sent before the tab came
 */
export function shouldHold(facts: {
  leftAt: number | undefined;
  now: number;
  presentSince?: number;
  sentAt?: number;
  windowMs?: number;
}): boolean {
  if (facts.leftAt === undefined) return false;
  const age = facts.now - facts.leftAt;
  if (age < 0 || age >= (facts.windowMs ?? RECONNECT_WINDOW_MS)) return false;
  return (facts.sentAt ?? facts.now) >= (facts.presentSince ?? Number.NEGATIVE_INFINITY);
}

/** A room's browsers (undefined: those without a roomId) with their mailbox key. */
export interface HoldGroup {
  roomId: string | undefined;
  key: HoldKey;
}

interface Departure {
  leftAt: number;
  /** When the key's browsers arrived, a reload within the window not counting as a gap. */
  presentSince: number;
  /** The room and its mailbox key, made once per departure (read for every message sent). */
  group: HoldGroup;
}

/**
 * When each room's browsers (undefined: the browsers without a roomId) arrived and when the last
 * one left, for {@link shouldHold}. Keyed by the roomId itself, so the room is read, never decoded
 * from a mailbox key. Bounded: a room is in the present record only while it has a browser, and
 * departures older than the window are dropped whenever one is added.
 *
 * @example
 * const recent = new RecentDepartures();
 * recent.arrived('r1', 1000);
 * recent.left('r1', 2000);
 * recent.isWithinWindow('r1', 3000);       // true: a message sent now is held
 * recent.isWithinWindow('r1', 3000, 500);  // false: sent before the tab came, never held
 * recent.arrived('r1', 3500);              // back within the window: present since 1000
 */
export class RecentDepartures {
  private readonly present = new Map<string | undefined, number>();
  private readonly departed = new Map<string | undefined, Departure>();

  constructor(private readonly windowMs = RECONNECT_WINDOW_MS) {}

  /** A browser of room `key` connected at `at` (the first of its room, or one more). */
  arrived(key: string | undefined, at: number): void {
    if (this.present.has(key)) return;
    const gone = this.departed.get(key);
    this.departed.delete(key);
    const reload =
      gone !== undefined && shouldHold({ leftAt: gone.leftAt, now: at, windowMs: this.windowMs });
    this.present.set(key, reload ? gone.presentSince : at);
  }

  /**
   * The last browser of `key` left at `at`, or (a failover) a browser of `key` was connected to
   * the lost host at `at`: without an arrival on record, it counts as present from `at`.
   */
  left(key: string | undefined, at: number): void {
    // Forget departures already out of the window at `at` (not later ones: `at` may be in the past).
    for (const [k, d] of this.departed) if (at - d.leftAt >= this.windowMs) this.departed.delete(k);
    const presentSince = Math.min(this.present.get(key) ?? at, at);
    this.present.delete(key);
    // A departure reported late (a peer's tab cut off by a failover) never shortens a later one.
    if ((this.departed.get(key)?.leftAt ?? Number.NEGATIVE_INFINITY) > at) return;
    this.departed.delete(key);
    this.departed.set(key, { leftAt: at, presentSince, group: { roomId: key, key: holdKey(key) } });
  }

  /** Whether a message for room `key` sent at `sentAt` (default: now) is held at `now`. */
  isWithinWindow(key: string | undefined, now: number, sentAt = now): boolean {
    const gone = this.departed.get(key);
    return shouldHold({
      leftAt: gone?.leftAt,
      presentSince: gone?.presentSince,
      sentAt,
      now,
      windowMs: this.windowMs,
    });
  }

  /**
   * The rooms, with their mailbox keys, a message sent at `sentAt` (default: now) would be held
   * for, for a send that would reach any of them.
   */
  keysWithinWindow(now: number, sentAt = now): HoldGroup[] {
    const groups: HoldGroup[] = [];
    for (const [roomId, gone] of this.departed)
      if (this.isWithinWindow(roomId, now, sentAt)) groups.push(gone.group);
    return groups;
  }

  /** Keys on record, present or departed, for the leak counters. */
  get size(): number {
    return this.present.size + this.departed.size;
  }

  clear(): void {
    this.present.clear();
    this.departed.clear();
  }
}
