// The JSON-serialisable record of a soak (SoakResult) and its rows: what report.ts computes and
// bench/soak-report.ts renders.
import type { EventKind, RoomPlan, SoakOptions } from './plan';

export interface SoakEvent {
  /** ms since the traffic started. */
  t: number;
  kind: EventKind;
  /** How: SIGKILL / parent disconnect for a host kill, etc. */
  detail: string;
  /** Rooms the event touches (indexes into SoakResult.rooms). */
  rooms: string[];
  /** Live hosts (parents' view) once roles settled after the event; must be 1. */
  hostsAfter: number;
  /**
   * ms from the event until exactly one host and every surviving instance its peer (/status
   * agrees), before a replacement instance starts; null if that never happened.
   */
  settledMs: number | null;
}

export interface ProcessSample {
  t: number;
  name: string;
  pid: number;
  role: 'host' | 'peer' | 'other';
  rssKiB: number;
  privateKiB: number;
  fds: number;
  /** CPU time the process used since it started (user + system), ms. */
  cpuMs: number;
}

export interface HostDebugSample {
  t: number;
  name: string;
  members: number;
  debug: unknown;
}

export interface WindowRow {
  event: number;
  kind: EventKind;
  t: number;
  lengthMs: number;
  lostInside: { b2p: number; p2b: number };
  neverRecovered: string[];
}

export interface LatencyRow {
  minute: number;
  b2p: { n: number; p50: number; p99: number; max: number };
  p2b: { n: number; p50: number; p99: number; max: number };
}

export interface SoakResult {
  options: Required<Omit<SoakOptions, 'log' | 'verbose'>>;
  startedAt: string;
  durationMs: number;
  port: number;
  sent: { b2p: number; p2b: number };
  delivered: { b2p: number; p2b: number };
  misrouted: number;
  misroutedExamples: string[];
  /** Messages sent while their room's Entry HW had no roomId: none may arrive (see ledger.ts's header). */
  unserved: { b2p: number; p2b: number };
  /** The students whose roomId came late or never: when (ms after t0; null: never). */
  lateRooms: { room: string; plan: RoomPlan; createdMs: number; roomIdMs: number | null }[];
  /** Every room alive at the end: its plan and the role of its instance then. */
  roomsAtEnd: { room: string; plan: RoomPlan; role: 'host' | 'peer' | 'none' }[];
  lostOutside: { b2p: number; p2b: number };
  lostOutsideExamples: string[];
  lostInside: { b2p: number; p2b: number };
  duplicates: number;
  reordered: number;
  maxSimultaneousHosts: number;
  tabsGaveUp: number;
  childErrors: string[];
  events: SoakEvent[];
  windows: WindowRow[];
  latencyPerMinute: LatencyRow[];
  /** Per BIN_MS bin: [t, b2p p50, b2p p99, p2b p50, p2b p99] (ms; NaN → null). */
  latencyBins: [number, number | null, number | null, number | null, number | null][];
  processSamples: ProcessSample[];
  hostDebug: HostDebugSample[];
  /** Per process alive from the drift start to the end: private memory then and at the end. */
  memory: {
    name: string;
    role: string;
    startKiB: number;
    fromKiB: number;
    endKiB: number;
    rssStartKiB: number;
    rssEndKiB: number;
    fdsStart: number;
    fdsEnd: number;
    driftPct: number;
    /** CPU used from the drift point to the end, in % of one core (undefined for old results). */
    cpuPct?: number;
    /** Host at one point and peer at another between the drift point and the end: not comparable. */
    roleChanged: boolean;
  }[];
  /** When the drift is measured from (5 min, or a third of a shorter run), ms. */
  driftFromMs: number;
}
