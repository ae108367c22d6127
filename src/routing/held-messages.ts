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
 * left (or was cut off by a failover) less than `windowMs` ago.
 *
 * @example
 * shouldHold({ leftAt: 1000, now: 3000 });      // true: a reload
 * shouldHold({ leftAt: undefined, now: 3000 }); // false: nobody was ever connected
 * shouldHold({ leftAt: 1000, now: 7000 });      // false: gone for more than 5 s
 */
export function shouldHold(facts: { leftAt: number | undefined; now: number; windowMs?: number }): boolean {
  if (facts.leftAt === undefined) return false;
  const age = facts.now - facts.leftAt;
  return age >= 0 && age < (facts.windowMs ?? RECONNECT_WINDOW_MS);
}

/**
 * When each key's last browser left, for {@link shouldHold}. Bounded: entries older than the
 * window are dropped whenever one is added.
 *
 * @example
 * const recent = new RecentDepartures();
 * recent.left('room:r1', Date.now());
 * recent.isWithinWindow('room:r1', Date.now()); // true
 * recent.returned('room:r1');                   // its browser is back: no more holding
 */
export class RecentDepartures {
  private readonly leftAt = new Map<HoldKey, number>();

  constructor(private readonly windowMs = RECONNECT_WINDOW_MS) {}

  left(key: HoldKey, at: number): void {
    // Forget departures already out of the window at `at` (not later ones: `at` may be in the past).
    for (const [k, t] of this.leftAt) if (at - t >= this.windowMs) this.leftAt.delete(k);
    // A departure reported late (a peer's tab cut off by a failover) never shortens a later one.
    if ((this.leftAt.get(key) ?? Number.NEGATIVE_INFINITY) > at) return;
    this.leftAt.delete(key);
    this.leftAt.set(key, at);
  }

  returned(key: HoldKey): void {
    this.leftAt.delete(key);
  }

  isWithinWindow(key: HoldKey, now: number): boolean {
    return shouldHold({ leftAt: this.leftAt.get(key), now, windowMs: this.windowMs });
  }

  /** Keys still within the window, for a send that would reach any of them. */
  keysWithinWindow(now: number): HoldKey[] {
    return [...this.leftAt.keys()].filter((key) => this.isWithinWindow(key, now));
  }

  clear(): void {
    this.leftAt.clear();
  }
}
