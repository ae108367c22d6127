// Per-room traffic counters for the diagnostics page: messages each way, their rate over
// the last few seconds, dropped messages by reason, and when the room's browser came and went.
// Counting sits on the routing hot path, so one message costs a Map lookup, a clock read and an
// increment in a fixed ring of per-second buckets: no allocation per message.

/** Seconds the rates are averaged over (the seconds before the current one). */
export const RATE_WINDOW_SECONDS = 5;
/** Ring size: a power of two larger than the window. */
const BUCKETS = 8;
/** Most rooms tracked; beyond it the one idle longest is forgotten. */
export const MAX_ROOMS = 1000;
/** A room with no browser, no traffic and no instance is forgotten after this long. */
export const ROOM_FORGET_MS = 10 * 60 * 1000;

/** Why a message did not reach anyone. */
export type DropReason =
  /** A browser's roomId is matched by no Entry HW instance (cloud PC mode). */
  | 'no-instance-for-room'
  /** An instance sent before telling the host its roomId. */
  | 'instance-without-room';

/** Counts per second in a ring; `second` is the newest bucket's second. */
class RateCounter {
  readonly buckets = new Uint32Array(BUCKETS);
  second = 0;
  total = 0;

  add(second: number): void {
    if (second !== this.second) this.advance(second);
    const i = second & (BUCKETS - 1);
    this.buckets[i] = (this.buckets[i] ?? 0) + 1;
    this.total += 1;
  }

  /** Mean per second over the RATE_WINDOW_SECONDS whole seconds before `second`. */
  rate(second: number): number {
    if (second !== this.second) this.advance(second);
    let sum = 0;
    for (let s = second - RATE_WINDOW_SECONDS; s < second; s += 1)
      sum += this.buckets[s & (BUCKETS - 1)] ?? 0;
    return sum / RATE_WINDOW_SECONDS;
  }

  private advance(second: number): void {
    if (second < this.second) return; // the clock went back: keep counting in the newest bucket
    const gap = Math.min(second - this.second, BUCKETS);
    for (let i = 1; i <= gap; i += 1) this.buckets[(this.second + i) & (BUCKETS - 1)] = 0;
    this.second = second;
  }
}

interface RoomCounters {
  fromBrowser: RateCounter;
  toBrowser: RateCounter;
  dropped: Record<DropReason, number>;
  lastActiveMs: number;
  browserJoinedMs: number | undefined;
  browserLeftMs: number | undefined;
}

/** What the page shows about one room's traffic. */
export interface RoomTraffic {
  /** The full roomId (masked before it leaves the process), or undefined for browsers without one. */
  roomId: string | undefined;
  /** Messages per second from the browser to its Entry HW, over the last few seconds. */
  fromBrowserPerSecond: number;
  /** Messages per second from the Entry HW to the browser. */
  toBrowserPerSecond: number;
  fromBrowserTotal: number;
  toBrowserTotal: number;
  dropped: { reason: DropReason; count: number }[];
  browserJoinedMs: number | undefined;
  browserLeftMs: number | undefined;
}

const NO_ROOM = '\u0000no-room';

/**
 * The counters of every room this host routes for.
 *
 * @example
 * const stats = new RoomStats();
 * stats.fromBrowser('0a1b2c3d4e');         // on each browser message
 * stats.toBrowser('0a1b2c3d4e');           // on each message delivered to the room
 * stats.traffic()[0].fromBrowserPerSecond;  // mean over the last 5 s
 */
export class RoomStats {
  private readonly rooms = new Map<string, RoomCounters>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /** A browser sent a message (whatever happened to it next). */
  fromBrowser(roomId: string | undefined): void {
    const now = this.now();
    const room = this.room(roomId, now);
    room.fromBrowser.add(Math.floor(now / 1000));
    room.lastActiveMs = now;
  }

  /** A message was delivered (or held) for the browsers of a room. */
  toBrowser(roomId: string | undefined): void {
    const now = this.now();
    const room = this.room(roomId, now);
    room.toBrowser.add(Math.floor(now / 1000));
    room.lastActiveMs = now;
  }

  /** A broadcast reached every browser: counts once for each browser's room. */
  toEachBrowser(members: Iterable<{ kind: string; roomId: string | undefined }>): void {
    for (const member of members) if (member.kind === 'browser') this.toBrowser(member.roomId);
  }

  /** A message for or from a room reached nobody. */
  dropped(roomId: string | undefined, reason: DropReason): void {
    const now = this.now();
    const room = this.room(roomId, now);
    room.dropped[reason] += 1;
    room.lastActiveMs = now;
  }

  browserJoined(roomId: string | undefined): void {
    const now = this.now();
    const room = this.room(roomId, now);
    room.browserJoinedMs = now;
    room.lastActiveMs = now;
  }

  browserLeft(roomId: string | undefined): void {
    const now = this.now();
    const room = this.room(roomId, now);
    room.browserLeftMs = now;
    room.lastActiveMs = now;
  }

  /**
   * Traffic of every room seen recently. Rooms idle for ROOM_FORGET_MS are forgotten unless
   * `keep` says the room is still present (a browser or an instance is attached).
   */
  traffic(keep: (roomId: string | undefined) => boolean = () => false): RoomTraffic[] {
    const now = this.now();
    const second = Math.floor(now / 1000);
    const out: RoomTraffic[] = [];
    for (const [key, room] of this.rooms) {
      const roomId = key === NO_ROOM ? undefined : key;
      if (now - room.lastActiveMs > ROOM_FORGET_MS && !keep(roomId)) {
        this.rooms.delete(key);
        continue;
      }
      out.push({
        roomId,
        fromBrowserPerSecond: room.fromBrowser.rate(second),
        toBrowserPerSecond: room.toBrowser.rate(second),
        fromBrowserTotal: room.fromBrowser.total,
        toBrowserTotal: room.toBrowser.total,
        dropped: (Object.keys(room.dropped) as DropReason[])
          .filter((reason) => room.dropped[reason] > 0)
          .map((reason) => ({ reason, count: room.dropped[reason] })),
        browserJoinedMs: room.browserJoinedMs,
        browserLeftMs: room.browserLeftMs,
      });
    }
    return out;
  }

  /** Every roomId tracked (for scrubbing log lines). */
  roomIds(): string[] {
    return [...this.rooms.keys()].filter((key) => key !== NO_ROOM);
  }

  private room(roomId: string | undefined, now: number): RoomCounters {
    const key = roomId ?? NO_ROOM;
    const found = this.rooms.get(key);
    if (found) return found;
    if (this.rooms.size >= MAX_ROOMS) this.forgetIdlest();
    const created: RoomCounters = {
      fromBrowser: new RateCounter(),
      toBrowser: new RateCounter(),
      dropped: { 'no-instance-for-room': 0, 'instance-without-room': 0 },
      lastActiveMs: now,
      browserJoinedMs: undefined,
      browserLeftMs: undefined,
    };
    this.rooms.set(key, created);
    return created;
  }

  private forgetIdlest(): void {
    let idlest: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [key, room] of this.rooms) {
      if (room.lastActiveMs < oldest) {
        oldest = room.lastActiveMs;
        idlest = key;
      }
    }
    if (idlest !== undefined) this.rooms.delete(idlest);
  }
}
