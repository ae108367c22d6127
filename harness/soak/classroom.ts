// The classroom a soak runs: one cluster on a free port, the rooms (students) with their Entry HW
// instance and entryjs tab, which instances we ended and when each was host. engine.ts drives it;
// traffic.ts, failover.ts and samples.ts act on it; the ledger records what arrives.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CloudCluster, type Instance, lastValue } from '../cloud-cluster';
import { EntryjsTab } from './entryjs-tab';
import { parentReceived, type Raw, type Room, SeqStream, tabReceived } from './ledger';
import type { ResolvedOptions, RoomPlan } from './plan';

export class Classroom {
  readonly cluster: CloudCluster;
  readonly raw: Raw;
  /** Instances whose parent is gone (killed or disconnected by us), with the time. */
  readonly ended = new Map<Instance, number>();
  /** Whether the rooms send (traffic.ts); off before the warm-up and after the run. */
  traffic = false;
  private readonly hostSince = new Map<Instance, number>();
  /** Instances of late or never rooms whose parent heard `connection` for their room after the roomId. */
  private readonly servedInstances = new Set<Instance>();
  private counter = 0;

  constructor(
    readonly port: number,
    readonly opts: ResolvedOptions,
    readonly rand: () => number,
    readonly log: (line: string) => void,
  ) {
    this.cluster = new CloudCluster(port, !opts.verbose);
    this.raw = {
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
      childErrors: this.cluster.childErrors,
      trafficFrom: 0,
      t0: 0,
      end: 0,
      roomsAtEnd: [],
      port,
      startedAt: new Date().toISOString(),
    };
  }

  now(): number {
    return performance.now();
  }

  pick<T>(items: T[]): T {
    return items[Math.floor(this.rand() * items.length)] as T;
  }

  endHostSpan(inst: Instance, at: number): void {
    const since = this.hostSince.get(inst);
    if (since !== undefined) {
      this.raw.hostSpans.push({ name: inst.name, from: since, to: at });
      this.hostSince.delete(inst);
    }
  }

  newRoom(plan: RoomPlan = 'given'): Room {
    const room: Room = {
      id: randomBytes(5).toString('hex'),
      plan,
      roomIdAt: undefined,
      p2bServedFrom: undefined,
      b2p: new SeqStream(),
      p2b: new SeqStream(),
      instance: undefined,
      tab: undefined,
      createdAt: this.now(),
      endedAt: undefined,
      b2pSlots: 0,
      p2bSlots: 0,
    };
    this.raw.rooms.push(room);
    return room;
  }

  openTab(room: Room): void {
    const tab = new EntryjsTab(
      this.port,
      room.id,
      (payload) => tabReceived(this.raw, room, payload, () => this.now()),
      () => {
        this.raw.tabsGaveUp += 1;
        this.log(`  tab of room ${room.id} gave up reconnecting (entryjs reconnect_failed); reloading it`);
        setTimeout(() => this.reloadTab(room, 0), 1500);
      },
    );
    room.tab = tab;
  }

  reloadTab(room: Room, delayMs: number): Promise<void> {
    room.tab?.close();
    room.tab = undefined;
    return new Promise((resolve) =>
      setTimeout(() => {
        if (room.endedAt === undefined) this.openTab(room);
        resolve();
      }, delayMs),
    );
  }

  /**
   * Starts the room's Entry HW: told its roomId right after `open`, as every restart in this soak
   * is, unless its student's roomId has not come yet (a first launch: no `addRoomId`).
   */
  async startInstance(room: Room): Promise<Instance> {
    this.counter += 1;
    const name = `I${this.counter}`;
    const withRoomId = room.plan === 'given' || room.roomIdAt !== undefined;
    const inst = await this.cluster.start(name, {
      roomId: withRoomId ? room.id : undefined,
      waitForRole: false,
      record: (m) => m.key !== 'data',
    });
    inst.proc.child.on('message', (m: { key?: string; value?: unknown }) => {
      if (m?.key === 'runningModeChanged') {
        if (m.value === 2 && !this.ended.has(inst)) this.hostSince.set(inst, this.now());
        if (m.value !== 2) this.endHostSpan(inst, this.now());
        return;
      }
      if (m?.key === 'connection') {
        if ((m.value as { roomId?: unknown } | undefined)?.roomId === room.id && inst.roomId === room.id)
          this.servedInstances.add(inst);
        return;
      }
      if (m?.key !== 'data') return;
      parentReceived(this.raw, room, inst, this.servedInstances.has(inst), m.value, () => this.now());
    });
    void inst.proc.exited.then(() => this.endHostSpan(inst, this.ended.get(inst) ?? this.now()));
    await inst.proc.waitFor('runningModeChanged', () => true, { timeoutMs: 15_000 });
    room.instance = inst;
    return inst;
  }

  liveInstances(): Instance[] {
    return this.cluster.live().filter((i) => !this.ended.has(i));
  }

  hostsNow(): Instance[] {
    return this.liveInstances().filter((i) => lastValue(i.proc, 'runningModeChanged') === 2);
  }
}
