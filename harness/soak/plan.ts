// What a soak is asked to do (see engine.ts): its options with their defaults, the kinds of event
// it can run, when a room's Entry HW is told its roomId, and the seeded PRNG that makes a run repeat.

export type EventKind =
  | 'killHost'
  | 'killPeer'
  | 'reloadTab'
  | 'restartParent'
  | 'lateRoomId'
  | 'neverRoomId';
export const EVENT_KINDS: readonly EventKind[] = [
  'killHost',
  'killPeer',
  'reloadTab',
  'restartParent',
  'lateRoomId',
  'neverRoomId',
];
/** The kinds of the first soak (failover only), where every Entry HW is told its roomId when it starts. */
export const FAILOVER_EVENT_KINDS: readonly EventKind[] = [
  'killHost',
  'killPeer',
  'reloadTab',
  'restartParent',
];
/** How long after its start a `lateRoomId` student's Entry HW is told its roomId (uniform). */
export const LATE_ROOM_ID_MS = { min: 1000, max: 8000 };

export interface SoakOptions {
  durationMs: number;
  instances: number;
  seed: number;
  /** Quiet time between events (uniform), default 30–90 s. */
  eventMinMs?: number;
  eventMaxMs?: number;
  /** The events to pick from, with equal odds (default all of EVENT_KINDS). */
  eventKinds?: readonly EventKind[];
  /** The events to run, in this order, instead of picking (then `eventKinds` is not used). */
  eventSequence?: readonly EventKind[];
  /**
   * The first instance (the host at the start) is a first launch whose roomId never comes, as on
   * a cloud PC where the first student's Entry HW was started from the Entry page's link
   * (default false: every instance at the start is told its roomId).
   */
  roomlessHost?: boolean;
  /** Stop scheduling events after this many (default unlimited). */
  maxEvents?: number;
  /** Run past `durationMs` if needed until this many events happened (default 0). */
  minEvents?: number;
  /** Browser → parent rate per room (entryjs engine ticks), default 60 Hz. */
  browserHz?: number;
  /** Parent → browser rate per room (Entry HW module frames), default 31 Hz. */
  parentHz?: number;
  /** Memory and /status sampling period, default 10 s. */
  sampleMs?: number;
  /**
   * Traffic runs this long before measuring starts (processes warm up; default 10 s). Messages
   * sent before count nowhere.
   */
  warmupMs?: number;
  /** Time to wait for stable roles after an event before calling it a failure. */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
  /** Keep the servers' stdout/stderr (default: discarded). */
  verbose?: boolean;
}

/** When a room's Entry HW is told its roomId: at its start, a while later, or never. */
export type RoomPlan = 'given' | 'late' | 'never';

/** The options with every default filled in, as a run uses them. */
export type ResolvedOptions = ReturnType<typeof resolveOptions>;

/** Fills in the defaults of `options`. */
export function resolveOptions(options: SoakOptions) {
  return {
    eventMinMs: 30_000,
    eventMaxMs: 90_000,
    maxEvents: Number.POSITIVE_INFINITY,
    minEvents: 0,
    browserHz: 60,
    parentHz: 31,
    sampleMs: 10_000,
    settleTimeoutMs: 20_000,
    warmupMs: 10_000,
    ...options,
    eventKinds: options.eventKinds ?? EVENT_KINDS,
    eventSequence: options.eventSequence ?? [],
    roomlessHost: options.roomlessHost ?? false,
  };
}

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32): the same seed gives the same events, targets and delays.

/**
 * A small deterministic PRNG.
 *
 * @example
 * const rand = prng(42); rand(); // 0.6011037519201636, always
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
