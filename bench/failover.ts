// Failover benchmark (docs/PROTOCOL.md §5). Not a test: it measures and prints a Markdown table.
//
//   npm run bench:failover                      # sizes 2,5,20; 5 repetitions per size and kill method
//   node --import tsx bench/failover.ts --sizes 2,5,20 --reps 5 --methods sigkill,disconnect
//   ... --browser-reconnect-ms 1500   # browsers wait like entryjs: (c) without browser contention
//   ... --verbose                     # keep the servers' log output
//   ... --detail                      # print every room's re-match time, sorted
//
// Set-up per size N: N instances of `node dist/main.cjs` (or ENTRY_HW_TEST_BIN) on one free port,
// each with its own IPC parent (this script) and roomId, and one socket.io-client 2.5.0 browser per
// room, all verified by a browser ↔ parent round trip. Then, per repetition, the current host is
// killed (SIGKILL, or its parent disconnects) at t0 and we record, relative to t0:
//   (a) new host: the first `runningModeChanged 2` a survivor's parent receives over IPC;
//   (b) rooms re-matched: the latest, over every survivor's room, of the first browser message
//       that reaches that room's parent after t0. The host drops a browser message whose room no
//       instance has matched (every instance has a roomId), so delivery proves that the room's
//       peer has rejoined the new host and re-sent matchTarget, and that routing works end to end.
//       The browsers here reconnect 25 ms after a disconnect (entryjs waits 1500 ms) and, once
//       connected, emit a probe every 10 ms until their parent has one, so (b) is an upper bound of
//       the rematch time: it adds up to ~25 ms of browser reconnect, and 2(N-1) clients compete
//       for the 2 cores during the election.
//   (c) /status: the new host's GET /status first reports peers = N-2 (polled every 10 ms).
// For 'disconnect', t0 is the moment the parent closes the IPC channel, so the figures include
// the old host noticing and shutting down; the table also shows t0 → exit event.
// After each repetition a fresh instance and browser replace the killed one, so N stays constant.
import { performance } from 'node:perf_hooks';
import {
  browserPayload,
  CloudCluster,
  fetchStatus,
  type Instance,
  lastValue,
  parentTags,
  randomRoomId,
  roundTrip,
  sleep,
  type TestBrowser,
} from '../harness/cloud-cluster';
import { freePort } from '../harness/server-process';
import { loadAverage, machine } from './machine';
import { arg, median } from './support';

type Method = 'sigkill' | 'disconnect';

interface Sample {
  newHostMs: number;
  rematchMs: number;
  statusMs: number;
  exitMs: number;
}

const sizes = arg('sizes', '2,5,20').split(',').map(Number);
const reps = Number(arg('reps', '5'));
const methods = arg('methods', 'sigkill,disconnect').split(',') as Method[];
const BROWSER_RECONNECT_MS = Number(arg('browser-reconnect-ms', '25'));
const PROBE_EVERY_MS = 10;
const TIMEOUT_MS = 15_000;

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(0) : 'n/a');

class Bench {
  readonly cluster: CloudCluster;
  private readonly browserOf = new Map<Instance, TestBrowser>();
  private readonly modeAt = new Map<Instance, { value: unknown; at: number }[]>();
  private counter = 0;

  constructor(port: number) {
    this.cluster = new CloudCluster(port, !process.argv.includes('--verbose'));
  }

  async add(): Promise<Instance> {
    this.counter += 1;
    const inst = await this.cluster.start(`I${this.counter}`, { roomId: randomRoomId() });
    const times: { value: unknown; at: number }[] = [];
    this.modeAt.set(inst, times);
    inst.proc.child.on('message', (m: { key?: string; value?: unknown }) => {
      if (m?.key === 'runningModeChanged') times.push({ value: m.value, at: performance.now() });
    });
    const browser = this.cluster.browser({
      roomId: inst.roomId,
      version: 2,
      reconnectDelayMs: BROWSER_RECONNECT_MS,
      name: `browser-${inst.name}`,
    });
    this.browserOf.set(inst, browser);
    return inst;
  }

  host(): Instance {
    const hosts = this.cluster.hosts();
    if (hosts.length !== 1) throw new Error(`expected one host: ${this.cluster.describe()}`);
    return hosts[0] as Instance;
  }

  async settle(): Promise<void> {
    await this.cluster.waitForStableRoles(TIMEOUT_MS);
    for (const inst of this.cluster.live()) {
      await roundTrip(inst, this.browserOf.get(inst) as TestBrowser, { timeoutMs: TIMEOUT_MS });
    }
  }

  async failover(method: Method): Promise<Sample> {
    const old = this.host();
    const survivors = this.cluster.live().filter((i) => i !== old);
    const n = survivors.length + 1;
    const marks = new Map(
      survivors.map((s) => [s, { parent: s.proc.messages.length, modes: this.modeAt.get(s)?.length ?? 0 }]),
    );
    const nonce = randomRoomId();
    const firstDelivery = new Map<Instance, number>();
    let statusAt = Number.NaN;
    let exitAt = Number.NaN;
    void old.proc.exited.then(() => {
      exitAt = performance.now();
    });

    const t0 = performance.now();
    const t0Wall = Date.now();
    if (method === 'sigkill') old.proc.child.kill('SIGKILL');
    else old.proc.disconnectParent();

    let done = false;
    const probeTimer = setInterval(() => {
      for (const s of survivors) {
        if (firstDelivery.has(s)) continue;
        const browser = this.browserOf.get(s) as TestBrowser;
        // Only a connection made after t0 is a connection to the new host.
        if ((browser.connectTimes.at(-1) ?? 0) < t0Wall) continue;
        browser.emit(browserPayload({ room: s.roomId as string, kind: 'bench', seq: 0, nonce }));
      }
    }, PROBE_EVERY_MS);
    const deliveryWatch = setInterval(() => {
      const now = performance.now();
      for (const s of survivors) {
        if (firstDelivery.has(s)) continue;
        const mark = marks.get(s)?.parent ?? 0;
        if (parentTags(s.proc, mark).some((t) => t.kind === 'bench' && t.nonce === nonce))
          firstDelivery.set(s, now);
      }
    }, 1);
    const statusPoll = (async () => {
      while (!done && Number.isNaN(statusAt)) {
        // Until a survivor has announced itself, whatever answers is the old host shutting down.
        if (
          !survivors.some((s) =>
            (this.modeAt.get(s) ?? []).slice(marks.get(s)?.modes ?? 0).some((t) => t.value === 2),
          )
        ) {
          await sleep(2);
          continue;
        }
        const status = await fetchStatus(this.cluster.port, 500);
        if (status?.runningMode === 2 && status.peers === n - 2) statusAt = performance.now();
        else await sleep(10);
      }
    })();

    const deadline = t0 + TIMEOUT_MS;
    while (
      (firstDelivery.size < survivors.length || Number.isNaN(statusAt)) &&
      performance.now() < deadline
    ) {
      await sleep(2);
    }
    done = true;
    clearInterval(probeTimer);
    clearInterval(deliveryWatch);
    await statusPoll;
    if (firstDelivery.size < survivors.length) {
      throw new Error(
        `only ${firstDelivery.size}/${survivors.length} rooms re-matched within ${TIMEOUT_MS} ms; ${this.cluster.describe()}`,
      );
    }
    let newHostAt = Number.POSITIVE_INFINITY;
    for (const s of survivors) {
      const times = (this.modeAt.get(s) ?? []).slice(marks.get(s)?.modes ?? 0);
      for (const t of times) if (t.value === 2) newHostAt = Math.min(newHostAt, t.at);
    }
    await old.proc.exited;
    const errors = survivors.flatMap((s) => s.proc.all('error').map((m) => `${s.name}: ${m.value.code}`));
    if (errors.length > 0) process.stderr.write(`  errors reported to parents: ${errors.join(', ')}\n`);
    const claimed = survivors.filter((s) => lastValue(s.proc, 'runningModeChanged') === 2);
    if (claimed.length !== 1) throw new Error(`expected one new host: ${this.cluster.describe()}`);
    if (process.argv.includes('--detail')) {
      const perRoom = [...firstDelivery.values()].map((at) => Math.round(at - t0)).sort((x, y) => x - y);
      process.stderr.write(`  per-room first delivery, ms after t0: ${perRoom.join(' ')}\n`);
    }
    return {
      newHostMs: newHostAt - t0,
      rematchMs: Math.max(...firstDelivery.values()) - t0,
      statusMs: statusAt - t0,
      exitMs: exitAt - t0,
    };
  }
}

async function runSize(n: number, method: Method): Promise<Sample[]> {
  const bench = new Bench(await freePort());
  try {
    for (let i = 0; i < n; i += 1) await bench.add();
    await bench.settle();
    const samples: Sample[] = [];
    for (let rep = 0; rep < reps; rep += 1) {
      await sleep(300); // quiet before the kill
      const sample = await bench.failover(method);
      samples.push(sample);
      process.stderr.write(
        `  N=${n} ${method} #${rep + 1}: new host ${fmt(sample.newHostMs)} ms, rooms re-matched ${fmt(sample.rematchMs)} ms, /status ${fmt(sample.statusMs)} ms, exit event ${fmt(sample.exitMs)} ms\n`,
      );
      await bench.add();
      await bench.settle();
    }
    return samples;
  } finally {
    await bench.cluster.destroy();
  }
}

async function main(): Promise<void> {
  const header = `${new Date().toISOString().slice(0, 10)}; ${machine()}, load average before the run ${loadAverage()}; ${reps} repetitions per row; browsers reconnect ${BROWSER_RECONNECT_MS} ms after a disconnect; program: ${process.env.ENTRY_HW_TEST_BIN ?? 'node dist/main.cjs'}`;
  process.stderr.write(`${header}\n`);
  const rows: string[] = [];
  for (const n of sizes) {
    for (const method of methods) {
      const samples = await runSize(n, method);
      const col = (pick: (s: Sample) => number) => {
        const values = samples.map(pick).filter(Number.isFinite);
        return `${fmt(median(values))} / ${fmt(Math.max(...values))}`;
      };
      rows.push(
        `| ${n} | ${method === 'sigkill' ? 'SIGKILL' : 'parent disconnect'} | ${col((s) => s.newHostMs)} | ${col((s) => s.rematchMs)} | ${col((s) => s.statusMs)} | ${col((s) => s.exitMs)} |`,
      );
    }
  }
  const table = [
    `Run: ${header}`,
    '',
    '| instances | host killed by | (a) new host, ms (median / max) | (b) all rooms re-matched, ms | (c) /status peers = N-2, ms | t0 → exit event, ms |',
    '|---:|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
  process.stdout.write(`${table}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
