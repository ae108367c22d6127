// The soak engine (issue 12), shared by `npm run soak` (bench/soak.ts, 30 instances for 30 min)
// and the short soak in the test suite (test/cloud/soak.test.ts). It runs a cloud PC classroom on
// one free port: N server processes, each with its own parent (this process, through
// CloudCluster) and roomId, and one browser per room that behaves like entryjs. Every message is
// tagged with its room and a per-room sequence number. At seeded random intervals it kills the
// host, kills a peer and seats a new student in its place, reloads a tab, or restarts a parent,
// or seats a new student whose Entry HW starts as the real one does on a first launch, without
// `addRoomId`, and gets its roomId a random while later (`lateRoomId`) or never (`neverRoomId`);
// and it measures misrouting, loss, latency, memory and the number of hosts. `analyzeSoak` turns
// the raw record into a JSON-serialisable SoakResult; bench/soak-report.ts renders that.
//
// Failover window (the definition the report uses; docs/RELIABILITY.md repeats it):
//   An event at time t0 affects a set of rooms: every room for a host kill or a restart of the
//   host's parent, else the one room it touches (a seated new student's room is affected from
//   its creation). For each affected room and each direction (browser → parent, parent → browser):
//     start = the later of t0 − IN_FLIGHT_MS and the send time of the last message of that room
//             and direction sent before t0 that was delivered (messages sent after it were in
//             flight when the event hit);
//     end   = the send time of the first message sent at or after t1 that was delivered (traffic
//             flows again), where t1 = t0 + the event's settle time (one host again, every survivor
//             its peer; for a tab reload, the page load). Measuring from t1 rather than t0 matters
//             for a host whose parent disconnects: it goes on routing for some milliseconds while
//             it closes, so a message sent just after t0 still arrives and would end the window
//             before the outage had begun. t1 if nothing was sent after t1 (the room ended); the
//             end of the run if something was sent but nothing was delivered (the room never
//             recovered, which is reported as a failure). For a student whose roomId came late,
//             t1 is when its parent sent the roomId.
//   The window holds the messages from the one that sent at `start` up to, not including, the one
//   that ended it, in sequence order: a message sent in the same millisecond as the one that ended
//   the window, but before it, is inside (the soak sends two in one tick when its timer runs late).
//   A message in the window that never arrived is "lost inside the window"; any other message that
//   never arrived is "lost outside failover windows" and must not exist. The window's length in
//   the table is max(end) − t0 over the event's rooms and directions.
//
// Unserved messages (issue 17): while an instance has no roomId on a cloud PC it serves nobody. A
// message its tab sends, or its parent sends, before the roomId is given (all of them, for a
// student whose roomId never comes) is "unserved": it must reach no one, its own student's side
// included. One that arrives anyway counts as misrouted: a parent message sent before the roomId
// at the tab; a tab message at the parent before the parent heard `connection` for its room after
// the roomId (the host starts serving a room when it grants it, and tells the parent so in the
// same step, ahead of any of the room's messages). Unserved messages are neither delivered nor
// lost, and are counted apart.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import ioV2 from 'socket.io-client-v2';
import { CloudCluster, fetchStatus, type Instance, lastValue, sleep } from '../cloud-cluster';
import { freePort } from '../server-process';

/** How far before an event a message still counts as in flight when the event hits. */
export const IN_FLIGHT_MS = 1000;
/** Width of the latency bins the plot uses; per-minute figures merge them. */
export const BIN_MS = 10_000;

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
/** The kinds of issue 12's soak, where every Entry HW is told its roomId when it starts. */
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

// ---------------------------------------------------------------------------------------------
// Streams: one per room and direction. Index = sequence number.

export class SeqStream {
  readonly sentAt: number[] = [];
  readonly recvAt: number[] = [];
  duplicates = 0;
  reordered = 0;
  private maxSeen = -1;

  /** Records a send; returns the new sequence number. */
  send(at: number): number {
    this.sentAt.push(at);
    this.recvAt.push(-1);
    return this.sentAt.length - 1;
  }

  /** Records a delivery; returns the latency, or undefined for a duplicate or unknown seq. */
  receive(seq: number, at: number): number | undefined {
    const sent = this.sentAt[seq];
    if (sent === undefined) return undefined;
    if ((this.recvAt[seq] as number) >= 0) {
      this.duplicates += 1;
      return undefined;
    }
    this.recvAt[seq] = at;
    if (seq < this.maxSeen) this.reordered += 1;
    else this.maxSeen = seq;
    return at - sent;
  }
}

// ---------------------------------------------------------------------------------------------
// A browser tab running entryjs (src/class/hw.ts): socket.io-client 2.5.0 with query
// { client: true, roomId }, transports ['websocket', 'polling'], the client's own reconnection
// (3 attempts, delay at most 1 s, 1 s connect timeout), and 1.5 s after a disconnect a nudge that
// turns reconnection back on and connects. After 'reconnect_failed' entryjs shows "disconnected"
// and gives up; the soak counts that and reloads the tab, as the student would.

type V2Socket = ReturnType<typeof ioV2>;
interface V2Manager {
  reconnectionAttempts(n: number): unknown;
  reconnectionDelayMax(ms: number): unknown;
  timeout(ms: number): unknown;
  reconnection(on: boolean): unknown;
}

class EntryjsTab {
  readonly socket: V2Socket;
  private nudge: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    port: number,
    readonly roomId: string,
    onMessage: (payload: unknown) => void,
    onGaveUp: () => void,
  ) {
    this.socket = ioV2(`http://127.0.0.1:${port}`, {
      forceNew: true,
      transports: ['websocket', 'polling'],
      query: { client: 'true', roomId },
      extraHeaders: { Origin: 'https://playentry.org' },
    });
    const manager = this.socket.io as unknown as V2Manager;
    manager.reconnectionAttempts(3);
    manager.reconnectionDelayMax(1000);
    manager.timeout(1000);
    this.socket.on('message', onMessage);
    this.socket.on('disconnect', () => {
      if (this.closed) return;
      clearTimeout(this.nudge);
      this.nudge = setTimeout(() => {
        if (this.closed || this.socket.connected) return;
        manager.reconnection(true);
        this.socket.open();
      }, 1500);
    });
    this.socket.on('reconnect_failed', () => {
      if (!this.closed) onGaveUp();
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  emit(payload: unknown): void {
    this.socket.emit('message', payload);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.nudge);
    this.socket.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Rooms, instances, samples

/** When a room's Entry HW is told its roomId: at its start, a while later, or never. */
export type RoomPlan = 'given' | 'late' | 'never';

interface Room {
  id: string;
  plan: RoomPlan;
  /** For a late room: when its parent sent `addRoomId` (performance.now ms); undefined before. */
  roomIdAt: number | undefined;
  /** For a late room: the first parent → browser sequence number sent after the roomId. */
  p2bServedFrom: number | undefined;
  b2p: SeqStream;
  p2b: SeqStream;
  instance: Instance | undefined;
  tab: EntryjsTab | undefined;
  createdAt: number;
  endedAt: number | undefined;
  /** Slots of the rate schedule already used (sent or skipped). */
  b2pSlots: number;
  p2bSlots: number;
}

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
  /** Messages sent while their room's Entry HW had no roomId: none may arrive (see the header). */
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

/** Clock ticks per second of /proc/PID/stat's CPU times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

function procStatus(pid: number): { rss: number; priv: number; fds: number; cpuMs: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    let priv = Number.NaN;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const clean = Number(/^Private_Clean:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      const dirty = Number(/^Private_Dirty:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      priv = clean + dirty;
    } catch {
      priv = Number(/^RssAnon:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    }
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
    return { rss, priv, fds, cpuMs };
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const pad = (n: number) => 'x'.repeat(Math.max(0, n));
// ~100 B like entryjs's sendQueue JSON, and ~200 B like an Arduino frame.
const B2P_PAD = pad(100 - JSON.stringify({ r: '0123456789', s: 100000, SET: {}, GET: {}, p: '' }).length);
const P2B_PAD = pad(
  200 -
    JSON.stringify({
      data: {
        r: '0123456789',
        s: 100000,
        ANALOG: { 0: 512, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 },
        DIGITAL: { 2: 0, 3: 1 },
        p: '',
      },
    }).length,
);

// ---------------------------------------------------------------------------------------------
// The engine

/** The raw record of a run, before analysis. */
interface Raw {
  rooms: Room[];
  events: SoakEvent[];
  eventTimes: number[];
  /** Host intervals (parents' view), absolute performance.now() ms. */
  hostSpans: { name: string; from: number; to: number }[];
  misrouted: number;
  misroutedExamples: string[];
  latencies: { b2p: number[][]; p2b: number[][] };
  processSamples: ProcessSample[];
  hostDebug: HostDebugSample[];
  tabsGaveUp: number;
  childErrors: string[];
  /** When traffic started (warm-up) and when measuring started. */
  trafficFrom: number;
  t0: number;
  end: number;
  roomsAtEnd: SoakResult['roomsAtEnd'];
  port: number;
  startedAt: string;
}

/**
 * Runs one soak and returns its analysed result.
 *
 * @example
 * const result = await runSoak({ durationMs: 60_000, instances: 6, seed: 7, eventMinMs: 8000, eventMaxMs: 14_000, maxEvents: 4 });
 * assert.equal(result.misrouted, 0);
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const opts = {
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
  const log = options.log ?? (() => {});
  const rand = prng(opts.seed);
  const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)] as T;
  const port = await freePort();
  const cluster = new CloudCluster(port, !options.verbose);
  const raw: Raw = {
    rooms: [],
    events: [],
    eventTimes: [],
    hostSpans: [],
    misrouted: 0,
    misroutedExamples: [],
    latencies: { b2p: [], p2b: [] },
    processSamples: [],
    hostDebug: [],
    tabsGaveUp: 0,
    childErrors: cluster.childErrors,
    trafficFrom: 0,
    t0: 0,
    end: 0,
    roomsAtEnd: [],
    port,
    startedAt: new Date().toISOString(),
  };
  const roomById = new Map<string, Room>();
  /** Instances whose parent is gone (killed or disconnected by us), with the time. */
  const ended = new Map<Instance, number>();
  const hostSince = new Map<Instance, number>();
  let traffic = false;
  let counter = 0;
  const now = () => performance.now();

  /** Instances of late or never rooms whose parent heard `connection` for their room after the roomId. */
  const servedInstances = new Set<Instance>();
  /** Whether its parent sent this message of the room while its Entry HW had no roomId. */
  const p2bUnserved = (room: Room, seq: number) =>
    room.plan !== 'given' && (room.p2bServedFrom === undefined || seq < room.p2bServedFrom);
  const misroute = (what: string) => {
    raw.misrouted += 1;
    if (raw.misroutedExamples.length < 20) raw.misroutedExamples.push(what);
  };
  const recordLatency = (dir: 'b2p' | 'p2b', sentAt: number, latency: number) => {
    if (sentAt < raw.t0) return;
    const bin = Math.max(0, Math.floor((sentAt - raw.t0) / BIN_MS));
    const bins = raw.latencies[dir];
    while (bins.length <= bin) bins.push([]);
    (bins[bin] as number[]).push(latency);
  };
  const endHostSpan = (inst: Instance, at: number) => {
    const since = hostSince.get(inst);
    if (since !== undefined) {
      raw.hostSpans.push({ name: inst.name, from: since, to: at });
      hostSince.delete(inst);
    }
  };

  const newRoom = (plan: RoomPlan = 'given'): Room => {
    const room: Room = {
      id: randomBytes(5).toString('hex'),
      plan,
      roomIdAt: undefined,
      p2bServedFrom: undefined,
      b2p: new SeqStream(),
      p2b: new SeqStream(),
      instance: undefined,
      tab: undefined,
      createdAt: now(),
      endedAt: undefined,
      b2pSlots: 0,
      p2bSlots: 0,
    };
    raw.rooms.push(room);
    roomById.set(room.id, room);
    return room;
  };

  const openTab = (room: Room) => {
    const tab = new EntryjsTab(
      port,
      room.id,
      (payload) => {
        const value = (payload as { data?: { r?: unknown; s?: unknown } } | null)?.data;
        if (typeof value !== 'object' || value === null || typeof value.r !== 'string') {
          misroute(`browser ${room.id} got an untagged message ${JSON.stringify(payload).slice(0, 100)}`);
          return;
        }
        if (value.r !== room.id) {
          misroute(`browser of room ${room.id} got room ${value.r}'s message #${String(value.s)}`);
          return;
        }
        const seq = Number(value.s);
        if (p2bUnserved(room, seq)) {
          misroute(
            `browser of room ${room.id} got its parent's message #${seq}, sent ${room.roomIdAt === undefined ? 'while its Entry HW had no roomId' : 'before its roomId'}`,
          );
          return;
        }
        const latency = room.p2b.receive(seq, now());
        if (latency !== undefined) recordLatency('p2b', room.p2b.sentAt[seq] as number, latency);
      },
      () => {
        raw.tabsGaveUp += 1;
        log(`  tab of room ${room.id} gave up reconnecting (entryjs reconnect_failed); reloading it`);
        setTimeout(() => reloadTab(room, 0), 1500);
      },
    );
    room.tab = tab;
  };

  function reloadTab(room: Room, delayMs: number): Promise<void> {
    room.tab?.close();
    room.tab = undefined;
    return new Promise((resolve) =>
      setTimeout(() => {
        if (room.endedAt === undefined) openTab(room);
        resolve();
      }, delayMs),
    );
  }

  /**
   * Starts the room's Entry HW: told its roomId right after `open`, as every restart in this soak
   * is, unless its student's roomId has not come yet (a first launch: no `addRoomId`).
   */
  const startInstance = async (room: Room): Promise<Instance> => {
    counter += 1;
    const name = `I${counter}`;
    const withRoomId = room.plan === 'given' || room.roomIdAt !== undefined;
    const inst = await cluster.start(name, {
      roomId: withRoomId ? room.id : undefined,
      waitForRole: false,
      record: (m) => m.key !== 'data',
    });
    inst.proc.child.on('message', (m: { key?: string; value?: unknown }) => {
      if (m?.key === 'runningModeChanged') {
        if (m.value === 2 && !ended.has(inst)) hostSince.set(inst, now());
        if (m.value !== 2) endHostSpan(inst, now());
        return;
      }
      if (m?.key === 'connection') {
        if ((m.value as { roomId?: unknown } | undefined)?.roomId === room.id && inst.roomId === room.id)
          servedInstances.add(inst);
        return;
      }
      if (m?.key !== 'data') return;
      const data = (m.value as { data?: unknown } | null)?.data;
      let tag: { r?: unknown; s?: unknown } | undefined;
      try {
        tag = typeof data === 'string' ? (JSON.parse(data) as { r?: unknown; s?: unknown }) : undefined;
      } catch {
        tag = undefined;
      }
      if (typeof tag?.r !== 'string') {
        misroute(`parent ${name} (room ${room.id}) got an untagged message`);
        return;
      }
      if (tag.r !== room.id) {
        misroute(`parent ${name} of room ${room.id} got room ${tag.r}'s message #${String(tag.s)}`);
        return;
      }
      const seq = Number(tag.s);
      if (room.plan !== 'given' && !servedInstances.has(inst)) {
        misroute(
          `parent ${name} of room ${room.id} got its tab's message #${String(tag.s)} ${inst.roomId === undefined ? 'while it has no roomId' : 'before it heard connection for its room'}`,
        );
        return;
      }
      const latency = room.b2p.receive(seq, now());
      if (latency !== undefined) recordLatency('b2p', room.b2p.sentAt[seq] as number, latency);
    });
    void inst.proc.exited.then(() => endHostSpan(inst, ended.get(inst) ?? now()));
    await inst.proc.waitFor('runningModeChanged', () => true, { timeoutMs: 15_000 });
    room.instance = inst;
    return inst;
  };

  /**
   * The parent of a room's Entry HW sends its roomId late, as Entry HW does when the student opens
   * the Entry link again while it runs. Its parent's sends from here on are served.
   */
  const giveRoomId = async (room: Room): Promise<void> => {
    const inst = room.instance;
    if (!inst || ended.has(inst) || !inst.proc.alive) return;
    room.roomIdAt = now();
    room.p2bServedFrom = room.p2b.sentAt.length;
    await cluster.addRoomId(inst, room.id);
  };

  /** Ends an instance the way an event does; its host span ends now (its parent is gone). */
  const endInstance = (inst: Instance, how: 'sigkill' | 'disconnect') => {
    const at = now();
    ended.set(inst, at);
    endHostSpan(inst, at);
    if (how === 'sigkill') inst.proc.child.kill('SIGKILL');
    else inst.proc.disconnectParent();
    for (const room of raw.rooms) if (room.instance === inst) room.instance = undefined;
  };

  const liveInstances = () => cluster.live().filter((i) => !ended.has(i));
  const hostsNow = () => liveInstances().filter((i) => lastValue(i.proc, 'runningModeChanged') === 2);

  // Traffic: one ticker; each room sends on a fixed-rate schedule, skipping slots while its
  // sender cannot send (entryjs sends nothing while its socket is down; a parent without a
  // server process sends nothing).
  const tick = () => {
    if (!traffic) return;
    const t = now();
    const elapsed = t - raw.trafficFrom;
    for (const room of raw.rooms) {
      if (room.endedAt !== undefined) continue;
      const since = elapsed - Math.max(0, room.createdAt - raw.trafficFrom);
      const b2pDue = Math.floor((since * opts.browserHz) / 1000);
      for (; room.b2pSlots < b2pDue; room.b2pSlots += 1) {
        const tab = room.tab;
        if (!tab?.connected) continue;
        const seq = room.b2p.send(t);
        tab.emit({
          data: JSON.stringify({ r: room.id, s: seq, SET: {}, GET: {}, p: B2P_PAD }),
          mode: 0,
          type: 'utf8',
        });
      }
      const p2bDue = Math.floor((since * opts.parentHz) / 1000);
      for (; room.p2bSlots < p2bDue; room.p2bSlots += 1) {
        const inst = room.instance;
        if (!inst || ended.has(inst) || !inst.proc.alive || !inst.proc.child.connected) continue;
        const seq = room.p2b.send(t);
        try {
          inst.proc.send({
            key: 'send',
            value: {
              r: room.id,
              s: seq,
              ANALOG: { 0: 512, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 },
              DIGITAL: { 2: 0, 3: 1 },
              p: P2B_PAD,
            },
          });
        } catch {
          // the channel closed between the check and the send: the message is lost like any other
        }
      }
    }
  };

  const sample = async () => {
    const t = Math.round(now() - raw.t0);
    for (const inst of liveInstances()) {
      const pid = inst.proc.child.pid;
      if (pid === undefined) continue;
      const s = procStatus(pid);
      if (!s) continue;
      const mode = lastValue(inst.proc, 'runningModeChanged');
      raw.processSamples.push({
        t,
        name: inst.name,
        pid,
        role: mode === 2 ? 'host' : mode === 3 ? 'peer' : 'other',
        rssKiB: s.rss,
        privateKiB: s.priv,
        fds: s.fds,
        cpuMs: s.cpuMs,
      });
    }
    const status = (await fetchStatus(port, 2000)) as { debug?: { hub?: { members?: number } } } | undefined;
    const host = hostsNow()[0];
    if (status?.debug && host)
      raw.hostDebug.push({
        t,
        name: host.name,
        members: status.debug.hub?.members ?? -1,
        debug: status.debug,
      });
  };

  /** Waits for one host and every live instance a peer of it; returns ms or null on timeout. */
  const settle = async (from: number): Promise<number | null> => {
    try {
      // An instance we ended is out of the count only once it exited (a closed parent channel
      // leaves it running for a moment, still a host in its own eyes).
      const exiting = [...ended.keys()].filter((i) => i.proc.alive).map((i) => i.proc.exited);
      await Promise.race([Promise.all(exiting), sleep(opts.settleTimeoutMs)]);
      await cluster.waitForStableRoles(opts.settleTimeoutMs);
      return now() - from;
    } catch (error) {
      log(`  roles did not settle: ${(error as Error).message.slice(0, 500)}`);
      return null;
    }
  };

  const perform = async (kind: EventKind): Promise<SoakEvent> => {
    const t = now();
    const live = liveInstances();
    const host = hostsNow()[0];
    const peers = live.filter((i) => i !== host);
    const roomOf = (inst: Instance) => raw.rooms.find((r) => r.instance === inst);
    const allRooms = raw.rooms.filter((r) => r.endedAt === undefined).map((r) => r.id);
    let detail = '';
    let rooms: string[] = [];
    let settledMs: number | null | undefined;
    /** Roles settle among the survivors first (that is the failover), then Entry HW starts again. */
    const replace = async (room: Room | undefined) => {
      settledMs = await settle(t);
      if (!room) return;
      await sleep(500 + rand() * 1000);
      await startInstance(room);
    };
    const seatsNewStudent = kind === 'killPeer' || kind === 'lateRoomId' || kind === 'neverRoomId';
    if (seatsNewStudent && peers.length === 0) kind = 'killHost';
    if (kind === 'killHost' && host) {
      const how = rand() < 0.5 ? 'sigkill' : 'disconnect';
      const room = roomOf(host);
      detail = `${host.name} ${how === 'sigkill' ? 'SIGKILL' : 'parent disconnect'}`;
      rooms = allRooms;
      endInstance(host, how);
      await replace(room);
    } else if (kind === 'killPeer' || kind === 'lateRoomId' || kind === 'neverRoomId') {
      // A student leaves (their Entry HW is killed) and a new one sits down. For the roomId kinds
      // the new Entry HW is started from the Entry page's link: a first launch, which sends no
      // roomId; the student presses connect again a while later (late) or never.
      const victim = pick(peers);
      const old = roomOf(victim);
      const fresh = newRoom(kind === 'lateRoomId' ? 'late' : kind === 'neverRoomId' ? 'never' : 'given');
      detail = `${victim.name} SIGKILL, new student ${fresh.id}${kind === 'killPeer' ? '' : ' (first launch: no roomId)'}`;
      endInstance(victim, 'sigkill');
      if (old) {
        old.endedAt = now();
        old.tab?.close();
        old.tab = undefined;
        rooms.push(old.id);
      }
      rooms.push(fresh.id);
      openTab(fresh);
      await startInstance(fresh);
      if (kind === 'lateRoomId') {
        const delay = LATE_ROOM_ID_MS.min + rand() * (LATE_ROOM_ID_MS.max - LATE_ROOM_ID_MS.min);
        await sleep(delay);
        await giveRoomId(fresh);
        detail += `; roomId ${Math.round(delay)} ms after its start`;
      }
    } else if (kind === 'reloadTab') {
      const room = pick(raw.rooms.filter((r) => r.endedAt === undefined));
      const delay = 300 + rand() * 1200;
      detail = `room ${room.id}, page load ${Math.round(delay)} ms`;
      rooms = [room.id];
      await reloadTab(room, delay);
    } else {
      const victim = pick(live);
      const room = roomOf(victim);
      const wasHost = victim === host;
      detail = `${victim.name}${wasHost ? ' (host)' : ''} parent closed and reopened`;
      rooms = wasHost ? allRooms : room ? [room.id] : [];
      endInstance(victim, 'disconnect');
      await replace(room);
    }
    const all = await settle(t);
    return {
      t: t - raw.t0,
      kind,
      detail,
      rooms,
      hostsAfter: hostsNow().length,
      settledMs: settledMs === undefined ? all : settledMs,
    };
  };

  let ticker: NodeJS.Timeout | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    log(`soak: ${opts.instances} instances on port ${port}, seed ${opts.seed}`);
    for (let i = 0; i < opts.instances; i += 1) {
      const room = newRoom(i === 0 && opts.roomlessHost ? 'never' : 'given');
      await startInstance(room);
      openTab(room);
    }
    if ((await settle(now())) === null) throw new Error(`the cluster never settled: ${cluster.describe()}`);
    for (const room of raw.rooms) {
      const started = now();
      while (!room.tab?.connected) {
        if (now() - started > 15_000) throw new Error(`tab of room ${room.id} never connected`);
        await sleep(20);
      }
    }
    raw.trafficFrom = now();
    raw.t0 = Number.POSITIVE_INFINITY;
    for (const room of raw.rooms) room.createdAt = raw.trafficFrom;
    traffic = true;
    ticker = setInterval(tick, 8);
    await sleep(opts.warmupMs);
    raw.t0 = now();
    await sample();
    sampler = setInterval(() => void sample(), opts.sampleMs);
    const stopAt = raw.t0 + opts.durationMs;
    let events = 0;
    while (events < opts.maxEvents) {
      const wait = opts.eventMinMs + rand() * (opts.eventMaxMs - opts.eventMinMs);
      if (now() + wait > stopAt - 5000 && events >= opts.minEvents) break;
      await sleep(wait);
      const kind = opts.eventSequence[events] ?? pick([...opts.eventKinds]);
      const event = await perform(kind);
      events += 1;
      raw.events.push(event);
      raw.eventTimes.push(raw.t0 + event.t);
      log(
        `  ${(event.t / 1000).toFixed(1)} s: ${event.kind} ${event.detail}; settled in ${event.settledMs === null ? 'never' : `${Math.round(event.settledMs)} ms`}, hosts ${event.hostsAfter}`,
      );
    }
    // At least 5 s of traffic after the last event, so its rooms can show they recovered.
    await sleep(
      Math.max(stopAt - now(), raw.eventTimes.length ? 5000 - (now() - (raw.eventTimes.at(-1) ?? 0)) : 0, 0),
    );
    traffic = false;
    clearInterval(ticker);
    await sleep(3000); // let what is in flight arrive
    clearInterval(sampler);
    await sample();
    raw.end = now();
    for (const inst of hostsNow()) endHostSpan(inst, raw.end);
    raw.roomsAtEnd = raw.rooms
      .filter((room) => room.endedAt === undefined)
      .map((room) => {
        const mode = room.instance ? lastValue(room.instance.proc, 'runningModeChanged') : undefined;
        return { room: room.id, plan: room.plan, role: mode === 2 ? 'host' : mode === 3 ? 'peer' : 'none' };
      });
  } finally {
    traffic = false;
    clearInterval(ticker);
    clearInterval(sampler);
    for (const room of raw.rooms) room.tab?.close();
    await cluster.destroy();
  }
  const { log: _log, verbose: _verbose, ...recorded } = opts;
  return analyzeSoak(raw, recorded);
}

// ---------------------------------------------------------------------------------------------
// Analysis

/**
 * One lost message with what surrounds it, so a loss can be told apart from a connection that
 * dropped (a run of losses ending the stream) or a routing race (one loss between deliveries).
 *
 * @example
 * describeLoss(stream, 7260, windows, t0);
 * // '#7260 sent at 120.065 s; last delivered before: #7259 (sent 120.048 s, arrived 120.050 s);
 * //  next delivered: #7262 (sent 120.098 s); 1 lost in a row; windows: 118.1–119.9 s'
 */
function describeLoss(
  s: SeqStream,
  i: number,
  windows: readonly { start: number; end: number }[],
  t0: number,
): string {
  const sec = (at: number) => `${((at - t0) / 1000).toFixed(3)} s`;
  let before = i - 1;
  while (before >= 0 && (s.recvAt[before] as number) < 0) before -= 1;
  let after = i + 1;
  while (after < s.sentAt.length && (s.recvAt[after] as number) < 0) after += 1;
  const prev =
    before >= 0
      ? `#${before} (sent ${sec(s.sentAt[before] as number)}, arrived ${sec(s.recvAt[before] as number)})`
      : 'none';
  const next = after < s.sentAt.length ? `#${after} (sent ${sec(s.sentAt[after] as number)})` : 'none';
  const shown = windows.map((w) => `${sec(w.start)}–${sec(w.end)}`).join(', ') || 'none';
  return `#${i} sent at ${sec(s.sentAt[i] as number)}; last delivered before: ${prev}; next delivered: ${next}; ${after - before - 1} lost in a row; windows: ${shown}`;
}

export interface DirWindow {
  /** Send times of the window's first message and of the one that ended it (ms, soak clock). */
  start: number;
  end: number;
  /** The same as sequence numbers: the window holds messages firstSeq ≤ seq < endSeq. */
  firstSeq: number;
  endSeq: number;
}

/** Whether message `seq` of a stream is inside `window`. */
export function inWindow(window: DirWindow, seq: number): boolean {
  return seq >= window.firstSeq && seq < window.endSeq;
}

/** First index whose send time is at or after `at` (send times never decrease). */
function firstSentAtOrAfter(stream: SeqStream, at: number): number {
  let lo = 0;
  let hi = stream.sentAt.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((stream.sentAt[mid] as number) < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function windowFor(
  stream: SeqStream,
  t0: number,
  t1: number,
  runEnd: number,
): { window: DirWindow; recovered: boolean } {
  let start = t0 - IN_FLIGHT_MS;
  let firstSeq = firstSentAtOrAfter(stream, start);
  const atT0 = firstSentAtOrAfter(stream, t0);
  for (let i = atT0 - 1; i >= firstSeq; i -= 1) {
    if ((stream.recvAt[i] as number) >= 0) {
      start = stream.sentAt[i] as number;
      firstSeq = i;
      break;
    }
  }
  const atT1 = firstSentAtOrAfter(stream, t1);
  for (let i = atT1; i < stream.sentAt.length; i += 1) {
    if ((stream.recvAt[i] as number) >= 0) {
      return { window: { start, end: stream.sentAt[i] as number, firstSeq, endSeq: i }, recovered: true };
    }
  }
  // Nothing delivered after t1: the room ended (nothing sent) or never recovered.
  if (atT1 < stream.sentAt.length) {
    return { window: { start, end: runEnd, firstSeq, endSeq: stream.sentAt.length }, recovered: false };
  }
  return { window: { start, end: t1, firstSeq, endSeq: atT1 }, recovered: true };
}

/**
 * Whether message `i` of a room's stream was sent while the room's Entry HW had no roomId (see
 * the header): the parent's before it sent the roomId, the tab's before that moment.
 */
function sentUnserved(room: Room, dir: 'b2p' | 'p2b', i: number): boolean {
  if (room.plan === 'given') return false;
  if (dir === 'p2b') return room.p2bServedFrom === undefined || i < room.p2bServedFrom;
  return room.roomIdAt === undefined || (room.b2p.sentAt[i] as number) < room.roomIdAt;
}

/** Whether a message is counted apart as unserved: sent while unserved and (rightly) not delivered. */
function unservedLoss(room: Room, dir: 'b2p' | 'p2b', i: number): boolean {
  return (room[dir].recvAt[i] as number) < 0 && sentUnserved(room, dir, i);
}

function analyzeSoak(raw: Raw, options: SoakResult['options']): SoakResult {
  const windowsOf = new Map<string, { b2p: DirWindow[]; p2b: DirWindow[] }>();
  const rows: WindowRow[] = [];
  const windowOf = (room: Room) => {
    let w = windowsOf.get(room.id);
    if (!w) {
      w = { b2p: [], p2b: [] };
      windowsOf.set(room.id, w);
    }
    return w;
  };
  const roomById = new Map(raw.rooms.map((r) => [r.id, r]));
  // A room created after the start (a new student) is affected from its creation, until its
  // traffic flows; for a student whose roomId came late, until it flows after the roomId. A
  // student whose roomId never came is never served: no window.
  for (const room of raw.rooms) {
    if (room.createdAt > raw.t0 && room.plan !== 'never') {
      const t1 = room.plan === 'late' ? (room.roomIdAt ?? raw.end) : room.createdAt;
      for (const dir of ['b2p', 'p2b'] as const) {
        const { window } = windowFor(room[dir], room.createdAt, t1, raw.end);
        windowOf(room)[dir].push(window);
      }
    }
  }
  raw.events.forEach((event, index) => {
    const t0 = raw.eventTimes[index] as number;
    let length = 0;
    const never: string[] = [];
    const perEvent: { room: Room; dir: 'b2p' | 'p2b'; window: DirWindow }[] = [];
    for (const id of event.rooms) {
      const room = roomById.get(id);
      if (!room || room.plan === 'never') continue;
      for (const dir of ['b2p', 'p2b'] as const) {
        const from = Math.max(t0, room.createdAt);
        const settled = event.settledMs === null ? raw.end : Math.max(from, t0 + event.settledMs);
        const t1 = room.plan === 'late' ? Math.max(settled, room.roomIdAt ?? raw.end) : settled;
        const { window, recovered } = windowFor(room[dir], from, t1, raw.end);
        if (!recovered) never.push(`${id} ${dir}`);
        length = Math.max(length, window.end - t0);
        windowOf(room)[dir].push(window);
        perEvent.push({ room, dir, window });
      }
    }
    const lost = { b2p: 0, p2b: 0 };
    for (const { room, dir, window } of perEvent) {
      const s = room[dir];
      for (let i = window.firstSeq; i < window.endSeq; i += 1) {
        if ((s.recvAt[i] as number) < 0 && !sentUnserved(room, dir, i)) lost[dir] += 1;
      }
    }
    rows.push({
      event: index + 1,
      kind: event.kind,
      t: event.t,
      lengthMs: length,
      lostInside: lost,
      neverRecovered: never,
    });
  });

  const sent = { b2p: 0, p2b: 0 };
  const delivered = { b2p: 0, p2b: 0 };
  const lostOutside = { b2p: 0, p2b: 0 };
  const lostInside = { b2p: 0, p2b: 0 };
  const unserved = { b2p: 0, p2b: 0 };
  const lostOutsideExamples: string[] = [];
  let duplicates = 0;
  let reordered = 0;
  for (const room of raw.rooms) {
    for (const dir of ['b2p', 'p2b'] as const) {
      const s = room[dir];
      duplicates += s.duplicates;
      reordered += s.reordered;
      const windows = windowsOf.get(room.id)?.[dir] ?? [];
      for (let i = 0; i < s.sentAt.length; i += 1) {
        const at = s.sentAt[i] as number;
        if (at < raw.t0) continue; // warm-up
        if (unservedLoss(room, dir, i)) {
          unserved[dir] += 1;
          continue;
        }
        sent[dir] += 1;
        if ((s.recvAt[i] as number) >= 0) {
          delivered[dir] += 1;
          continue;
        }
        if (windows.some((w) => inWindow(w, i))) lostInside[dir] += 1;
        else {
          lostOutside[dir] += 1;
          if (lostOutsideExamples.length < 20)
            lostOutsideExamples.push(`room ${room.id} ${dir} ${describeLoss(s, i, windows, raw.t0)}`);
        }
      }
    }
  }

  // Hosts at once: sweep over host spans.
  const points: [number, number][] = [];
  for (const span of raw.hostSpans) {
    if (span.to <= span.from) continue;
    points.push([span.from, 1], [span.to, -1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let maxHosts = 0;
  for (const [, delta] of points) {
    current += delta;
    maxHosts = Math.max(maxHosts, current);
  }

  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      n: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    };
  };
  const binsPerMinute = 60_000 / BIN_MS;
  const nBins = Math.max(raw.latencies.b2p.length, raw.latencies.p2b.length);
  const latencyPerMinute: LatencyRow[] = [];
  for (let m = 0; m * binsPerMinute < nBins; m += 1) {
    const collect = (dir: 'b2p' | 'p2b') =>
      raw.latencies[dir].slice(m * binsPerMinute, (m + 1) * binsPerMinute).flat();
    latencyPerMinute.push({ minute: m + 1, b2p: stats(collect('b2p')), p2b: stats(collect('p2b')) });
  }
  const nullable = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : null);
  const latencyBins: SoakResult['latencyBins'] = [];
  for (let b = 0; b < nBins; b += 1) {
    const b2p = stats(raw.latencies.b2p[b] ?? []);
    const p2b = stats(raw.latencies.p2b[b] ?? []);
    latencyBins.push([
      b * BIN_MS,
      nullable(b2p.p50),
      nullable(b2p.p99),
      nullable(p2b.p50),
      nullable(p2b.p99),
    ]);
  }

  const durationMs = raw.end - raw.t0;
  const driftFromMs = Math.min(5 * 60_000, durationMs / 3);
  const memory: SoakResult['memory'] = [];
  const byName = new Map<string, ProcessSample[]>();
  for (const s of raw.processSamples) {
    const list = byName.get(s.name) ?? [];
    list.push(s);
    byName.set(s.name, list);
  }
  const lastT = raw.processSamples.reduce((m, s) => Math.max(m, s.t), 0);
  for (const [name, list] of byName) {
    const first = list[0] as ProcessSample;
    const last = list[list.length - 1] as ProcessSample;
    if (last.t < lastT) continue; // not alive at the end
    const from = list.find((s) => s.t >= driftFromMs) ?? last;
    if (first.t > driftFromMs) continue; // started after the drift point: no comparable baseline
    // Open files are compared from the first sample after the instance settled into a role: a
    // sample taken while it was still starting has not opened its IPC, port or link yet.
    const settled = list.find((s) => s.role !== 'other') ?? first;
    memory.push({
      name,
      role: last.role,
      startKiB: first.privateKiB,
      fromKiB: from.privateKiB,
      endKiB: last.privateKiB,
      rssStartKiB: first.rssKiB,
      rssEndKiB: last.rssKiB,
      fdsStart: settled.fds,
      fdsEnd: last.fds,
      driftPct: ((last.privateKiB - from.privateKiB) / from.privateKiB) * 100,
      cpuPct: last.t > from.t ? ((last.cpuMs - from.cpuMs) / (last.t - from.t)) * 100 : undefined,
      roleChanged: list.some((x) => x.t >= from.t && x.role !== last.role),
    });
  }

  return {
    options,
    startedAt: raw.startedAt,
    durationMs,
    port: raw.port,
    sent,
    delivered,
    misrouted: raw.misrouted,
    misroutedExamples: raw.misroutedExamples,
    unserved,
    lateRooms: raw.rooms
      .filter((room) => room.plan !== 'given')
      .map((room) => ({
        room: room.id,
        plan: room.plan,
        createdMs: Math.round(room.createdAt - raw.t0),
        roomIdMs: room.roomIdAt === undefined ? null : Math.round(room.roomIdAt - raw.t0),
      })),
    roomsAtEnd: raw.roomsAtEnd,
    lostOutside,
    lostOutsideExamples,
    lostInside,
    duplicates,
    reordered,
    maxSimultaneousHosts: maxHosts,
    tabsGaveUp: raw.tabsGaveUp,
    childErrors: raw.childErrors,
    events: raw.events,
    windows: rows,
    latencyPerMinute,
    latencyBins,
    processSamples: raw.processSamples,
    hostDebug: raw.hostDebug,
    memory,
    driftFromMs,
  };
}
