// Routing throughput, memory and latency benchmark. Not a test: it measures and prints Markdown.
//
//   npm run bench:throughput                     # defaults below, about 1.5 minutes
//   node --import tsx bench/throughput.ts --reps 9 --count 20000 --count-large 5000 \
//        --connections 1,50,200 --latency-seconds 5 --verbose
//
// Everything runs in one process so the ratios are comparable on a noisy machine: the script plays
// the Entry HW parent of every server (IPC, harness/server-process.ts) and every browser
// (harness/browser-client.ts, websocket transport), all on loopback. It is therefore also
// the load generator, and on a 2-core machine it competes with the servers for the CPU: the
// second table shows how busy each process was.
//
// Set-up: a single server (`node dist/main.cjs` or ENTRY_HW_TEST_BIN, never part of a cloud, no
// roomId) on one free port, and a cloud pair on another: a host with its own roomId and a peer
// with roomId P. A "cloud" browser connects to the host with roomId P, so its messages go
// browser → host → peer → peer's parent, and the peer's parent's sends go back the same way.
//
// 1. Memory: the single server's VmRSS and RssAnon (/proc/<pid>/status) idle after open, then with
//    1, 50 and 200 connected socket.io-client 4.x browsers, after they left, and after the bursts
//    (2 below); VmHWM gives the peak. Each reading is the median of 5 reads 200 ms apart, 1 s after
//    the change settled (GET /status reports the browser count). Per-connection figures use
//    RssAnon: VmRSS also counts node's own code pages, which are touched once, not per connection.
// 2. Throughput: a burst of --count messages of ~100 B (--count-large of 4 KB) sent as fast as
//    possible (chunks of 500 per event-loop turn), timed from the first send until the last one
//    arrives: browser → parent (the browser emits `{ data: '<JSON>', type: 'utf8' }`, the parent
//    gets `data`) and parent → browser (the parent sends `send`, the browser gets `{ data }`).
//    Variants: path (single, cloud) × client (socket.io-client 2.5.0, 4.x) × direction × payload,
//    each burst on a fresh browser proven by one round trip first, after one short warm-up burst
//    of every variant. Every burst is checked for lost and reordered messages. Per repetition the
//    variants run in a rotated order and a single and a cloud burst of the same kind run back to
//    back (order alternating), so the cloud/single ratio is taken per pair; the tables give
//    medians. CPU time (utime + stime from /proc/<pid>/stat, 10 ms ticks) of the server
//    process(es) on the path is divided by the message count and by the burst's duration.
// 3. Latency at the entryjs rate: one socket.io-client 2.5.0 browser per path emits a ~100 B message
//    at 60 Hz; the parent answers each `data` with a `send`; round trip measured in the browser.
//    1 s segments alternating single and cloud, --latency-seconds segments per path.
//
// --compare-program PATH: the same, but the second single server is another program (an executable
// or a `#!/bin/sh exec node x.cjs "$@"` wrapper, e.g. main's build), to compare two builds in one run.
// Every server runs with ENTRY_HW_SESSION_PAIRING=on, as shipped (the OS-session lookups included).
//
// --compare-room-stats: the second path is not the cloud pair but another single server started
// with ENTRY_HW_ROOM_STATS=off (no per-room counting for the diagnostics page), so every table
// compares counting on (first path) with counting off (second) in one run, pair by pair.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type BrowserClient, type ClientVersion, connectBrowser } from '../harness/browser-client';
import { CloudCluster, fetchStatus, randomRoomId, sleep } from '../harness/cloud-cluster';
import { freePort, type ServerProcess, spawnServer } from '../harness/server-process';
import { commit, loadAverage, machine } from './machine';
import { arg, median, percentile } from './support';

const REPS = Number(arg('reps', '9'));
const COUNT = Number(arg('count', '20000'));
const COUNT_LARGE = Number(arg('count-large', '5000'));
const CONNECTIONS = arg('connections', '1,50,200').split(',').map(Number);
const LATENCY_SECONDS = Number(arg('latency-seconds', '5'));
const VERBOSE = process.argv.includes('--verbose');
const COMPARE_ROOM_STATS = process.argv.includes('--compare-room-stats');
/** --compare-program PATH: the second path is a single server of another program (e.g. main's build). */
const COMPARE_PROGRAM = arg('compare-program', '');
/** Whether the second path is a second single server (counting off, or another program). */
const SECOND_SINGLE = COMPARE_ROOM_STATS || COMPARE_PROGRAM !== '';
/** Every server pairs by OS session, as shipped (the test helpers turn it off by default). */
const PAIRING_ON = { ENTRY_HW_SESSION_PAIRING: 'on' };
/** Column names of the two paths. */
const LABEL = COMPARE_ROOM_STATS
  ? { single: 'counting on', cloud: 'counting off' }
  : COMPARE_PROGRAM
    ? { single: 'this build', cloud: 'compared program' }
    : { single: 'single', cloud: 'cloud' };
const CHUNK = 500;
const BURST_TIMEOUT_MS = 30_000;
const SMALL_BYTES = 100;
const LARGE_BYTES = 4096;

type Path = 'single' | 'cloud';
type Direction = 'b2p' | 'p2b';
type Size = 'small' | 'large';

interface Route {
  path: Path;
  port: number;
  /** roomId the browser connects with. */
  browserRoom: string;
  /** The parent that receives this browser's messages and sends to it. */
  parent: ServerProcess;
  /** Server processes the messages pass through (for CPU time). */
  servers: ServerProcess[];
}

interface BurstResult {
  ms: number;
  rate: number;
  lost: number;
  reordered: number;
  /** Server CPU (all processes on the path), µs per message. */
  cpuUs: number;
  /** Share of one core each server process on the path used during the burst (single: [server]; cloud: [host, peer]). */
  busy: number[];
  /** Share of one core this script (browser and parent, the load generator) used. */
  generatorBusy: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

const mib = (kib: number) => (kib / 1024).toFixed(1);
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

// ---------------------------------------------------------------------------------------------
// /proc readings

function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon'): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(
      new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'),
    );
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

let clockTicks = 100;
try {
  clockTicks = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
} catch {
  // keep 100
}

/** utime + stime of a process, in µs. */
function cpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
  } catch {
    return Number.NaN;
  }
}

interface Rss {
  /** VmRSS, KiB. */
  rss: number;
  /** RssAnon, KiB: the heap and other private memory, without the mapped code of node itself. */
  anon: number;
}

async function stableRss(pid: number): Promise<Rss> {
  const rss: number[] = [];
  const anon: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    rss.push(procStatusKiB(pid, 'VmRSS'));
    anon.push(procStatusKiB(pid, 'RssAnon'));
    await sleep(200);
  }
  return { rss: median(rss), anon: median(anon) };
}

// ---------------------------------------------------------------------------------------------
// Payloads. Sequence numbers come first so the receiver reads them without parsing everything.

function padding(bytes: number, base: number): string {
  return 'x'.repeat(Math.max(0, bytes - base));
}

// entryjs-like: { data: JSON.stringify(sendQueue), type: 'utf8' }, the JSON string ~100 B.
const B2P_BASE = `{"seq":10000,"SET":{"13":{"type":0,"data":255,"time":1764201600000}},"GET":{"0":{"type":2}},"pad":""}`;
const B2P_PAD: Record<Size, string> = {
  small: padding(SMALL_BYTES, B2P_BASE.length),
  large: padding(LARGE_BYTES, B2P_BASE.length),
};
function b2pPayload(seq: number, size: Size): { data: string; type: 'utf8' } {
  return {
    data: `{"seq":${seq},"SET":{"13":{"type":0,"data":255,"time":1764201600000}},"GET":{"0":{"type":2}},"pad":"${B2P_PAD[size]}"}`,
    type: 'utf8',
  };
}
function seqOfParentData(value: unknown): number {
  const data = (value as { data?: unknown } | null)?.data;
  return typeof data === 'string' && data.startsWith('{"seq":') ? Number.parseInt(data.slice(7, 20), 10) : -1;
}

// Entry HW-like device state, ~100 B of JSON.
const P2B_BASE = JSON.stringify({
  seq: 10000,
  ANALOG: { 0: 512, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 },
  DIGITAL: { 2: 0, 3: 1 },
  pad: '',
});
const P2B_PAD: Record<Size, string> = {
  small: padding(SMALL_BYTES, P2B_BASE.length),
  large: padding(LARGE_BYTES, P2B_BASE.length),
};
function p2bValue(seq: number, size: Size): unknown {
  return {
    seq,
    ANALOG: { 0: 512, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 },
    DIGITAL: { 2: 0, 3: 1 },
    pad: P2B_PAD[size],
  };
}
function seqOfBrowserMessage(payload: unknown): number {
  const seq = ((payload as { data?: { seq?: unknown } } | null)?.data as { seq?: unknown } | undefined)?.seq;
  return typeof seq === 'number' ? seq : -1;
}

// ---------------------------------------------------------------------------------------------
// Parents: one 'message' listener per process, dispatching to the current phase's handler.

const sinks = new Map<ServerProcess, (message: { key: string; value?: unknown }) => void>();
/** Role changes and errors seen during the run (none expected). */
const incidents: string[] = [];

function watchParent(proc: ServerProcess): void {
  proc.child.on('error', (error) => incidents.push(`${proc.name}: child error ${error.message}`));
  proc.child.on('message', (message: { key: string; value?: unknown }) => {
    const roleOrError =
      message.key === 'runningModeChanged' || message.key === 'cloudModeChanged' || message.key === 'error';
    if (measuring && roleOrError)
      incidents.push(`${proc.name}: ${message.key} ${JSON.stringify(message.value)}`);
    sinks.get(proc)?.(message);
  });
  proc.child.once('exit', (code, signal) => {
    if (!shuttingDown) incidents.push(`${proc.name}: exited (${code ?? signal}) during the run`);
  });
}

/** ServerProcess keeps every message; drop them between phases so the script stays light. */
function forgetMessages(procs: ServerProcess[]): void {
  for (const proc of procs) proc.messages.length = 0;
}

/** One browser ↔ parent round trip on a fresh browser, so a burst starts on a proven route. */
async function probe(route: Route, browser: BrowserClient): Promise<void> {
  const nonce = randomRoomId();
  let atParent = false;
  let atBrowser = false;
  sinks.set(route.parent, (m) => {
    if (m.key === 'data' && (m.value as { data?: string })?.data === `{"probe":"${nonce}"}`) atParent = true;
  });
  const onMessage = (payload: unknown) => {
    if ((payload as { data?: { probe?: string } })?.data?.probe === nonce) atBrowser = true;
  };
  browser.socket.on('message', onMessage);
  const deadline = Date.now() + 10_000;
  try {
    while (!(atParent && atBrowser)) {
      if (Date.now() > deadline)
        throw new Error(`${route.path}: no round trip (parent ${atParent}, browser ${atBrowser})`);
      if (!atParent) browser.send({ data: `{"probe":"${nonce}"}`, type: 'utf8' });
      if (!atBrowser) route.parent.send({ key: 'send', value: { probe: nonce } });
      await sleep(30);
    }
  } finally {
    sinks.delete(route.parent);
    (browser.socket as unknown as { off(event: string, fn: unknown): void }).off('message', onMessage);
  }
}

async function openBrowser(route: Route, version: ClientVersion): Promise<BrowserClient> {
  const browser = await connectBrowser(
    { version, url: `http://127.0.0.1:${route.port}`, roomId: route.browserRoom },
    10_000,
  );
  await probe(route, browser);
  return browser;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function burst(
  route: Route,
  version: ClientVersion,
  direction: Direction,
  size: Size,
  count: number,
): Promise<BurstResult> {
  const browser = await openBrowser(route, version);
  try {
    let received = 0;
    let expected = 1;
    let reordered = 0;
    let lastAt = Number.NaN;
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const onSeq = (seq: number) => {
      if (seq < 0) return;
      received += 1;
      if (seq !== expected) reordered += 1;
      expected = seq + 1;
      if (seq === count || received === count) {
        lastAt = performance.now();
        finish();
      }
    };
    if (direction === 'b2p') {
      sinks.set(route.parent, (m) => {
        if (m.key === 'data') onSeq(seqOfParentData(m.value));
      });
    } else {
      browser.socket.on('message', (payload: unknown) => onSeq(seqOfBrowserMessage(payload)));
    }
    const cpuBefore = route.servers.map((s) => cpuUs(s.child.pid as number));
    const generatorBefore = process.cpuUsage();
    const t0 = performance.now();
    for (let seq = 1; seq <= count; seq += 1) {
      if (direction === 'b2p') browser.send(b2pPayload(seq, size));
      else route.parent.send({ key: 'send', value: p2bValue(seq, size) });
      if (seq % CHUNK === 0) await nextTurn();
    }
    const timer = setTimeout(finish, BURST_TIMEOUT_MS);
    await done;
    clearTimeout(timer);
    if (received < count) await sleep(200); // a straggler or two, to tell "lost" from "late"
    const generator = process.cpuUsage(generatorBefore);
    const cpuAfter = route.servers.map((s) => cpuUs(s.child.pid as number));
    const spent = cpuAfter.map((after, i) => after - (cpuBefore[i] as number));
    const ms = Number.isFinite(lastAt) ? lastAt - t0 : Number.NaN;
    const wallUs = (performance.now() - t0) * 1000;
    return {
      ms,
      rate: (count / ms) * 1000,
      lost: count - received,
      reordered,
      cpuUs: spent.reduce((sum, x) => sum + x, 0) / count,
      busy: spent.map((x) => x / wallUs),
      generatorBusy: (generator.user + generator.system) / wallUs,
    };
  } finally {
    sinks.delete(route.parent);
    browser.close();
    forgetMessages(route.servers);
  }
}

// ---------------------------------------------------------------------------------------------
// Phases

interface MemoryRow {
  label: string;
  connections: number;
  mem: Rss;
}

async function waitForBrowsers(port: number, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await fetchStatus(port, 2000);
    if (status?.browsers === count) return;
    if (Date.now() > deadline) throw new Error(`/status browsers ${status?.browsers}, expected ${count}`);
    await sleep(50);
  }
}

async function memoryPhase(single: ServerProcess): Promise<MemoryRow[]> {
  const pid = single.child.pid as number;
  const rows: MemoryRow[] = [];
  await sleep(1000);
  rows.push({ label: 'idle after open', connections: 0, mem: await stableRss(pid) });
  log(`  memory: idle ${mib(rows[0]?.mem.rss ?? 0)} MiB`);
  const browsers: BrowserClient[] = [];
  try {
    for (const target of CONNECTIONS) {
      while (browsers.length < target) {
        const batch = Math.min(25, target - browsers.length);
        browsers.push(
          ...(await Promise.all(
            Array.from({ length: batch }, () =>
              connectBrowser(
                { version: 'v4', url: `http://127.0.0.1:${single.port}`, roomId: randomRoomId() },
                10_000,
              ),
            ),
          )),
        );
      }
      await waitForBrowsers(single.port, target);
      await sleep(1000);
      const mem = await stableRss(pid);
      rows.push({
        label: `${target} browser${target === 1 ? '' : 's'} connected`,
        connections: target,
        mem,
      });
      log(`  memory: ${target} browsers ${mib(mem.rss)} MiB (anonymous ${mib(mem.anon)} MiB)`);
      forgetMessages([single]);
    }
  } finally {
    for (const b of browsers) b.close();
  }
  await waitForBrowsers(single.port, 0);
  await sleep(1000);
  rows.push({ label: 'after they disconnected', connections: 0, mem: await stableRss(pid) });
  forgetMessages([single]);
  return rows;
}

interface Kind {
  version: ClientVersion;
  direction: Direction;
  size: Size;
}

const KINDS: Kind[] = [];
for (const direction of ['b2p', 'p2b'] as const)
  for (const size of ['small', 'large'] as const)
    for (const version of ['v2', 'v4'] as const) KINDS.push({ version, direction, size });

const kindKey = (k: Kind) => `${k.direction}/${k.size}/${k.version}`;
const countOf = (size: Size) => (size === 'small' ? COUNT : COUNT_LARGE);

/** The single server's VmRSS after each repetition, KiB (does memory level off?). */
const rssPerRep: number[] = [];

async function throughputPhase(
  routes: Record<Path, Route>,
): Promise<Map<string, Record<Path, BurstResult[]>>> {
  const results = new Map<string, Record<Path, BurstResult[]>>();
  for (const kind of KINDS) results.set(kindKey(kind), { single: [], cloud: [] });
  log('  warm-up: one short burst of every variant');
  for (const kind of KINDS)
    for (const path of ['single', 'cloud'] as const)
      await burst(routes[path], kind.version, kind.direction, kind.size, Math.ceil(countOf(kind.size) / 10));
  for (let rep = 0; rep < REPS; rep += 1) {
    const rotated = [...KINDS.slice(rep % KINDS.length), ...KINDS.slice(0, rep % KINDS.length)];
    for (const [i, kind] of rotated.entries()) {
      const order: Path[] = (rep + i) % 2 === 0 ? ['single', 'cloud'] : ['cloud', 'single'];
      for (const path of order) {
        const result = await burst(routes[path], kind.version, kind.direction, kind.size, countOf(kind.size));
        results.get(kindKey(kind))?.[path].push(result);
        const problems =
          result.lost || result.reordered ? ` LOST ${result.lost} REORDERED ${result.reordered}` : '';
        if (VERBOSE || problems)
          log(
            `  #${rep + 1} ${path} ${kindKey(kind)}: ${result.rate.toFixed(0)} msg/s, ${result.ms.toFixed(0)} ms, server CPU ${result.cpuUs.toFixed(1)} µs/msg, busy ${result.busy.map((b) => (b * 100).toFixed(0)).join('+')} %, script ${(result.generatorBusy * 100).toFixed(0)} %${problems}`,
          );
      }
    }
    rssPerRep.push(procStatusKiB(routes.single.parent.child.pid as number, 'VmRSS'));
    log(
      `  throughput repetition ${rep + 1}/${REPS} done, single server VmRSS ${mib(rssPerRep.at(-1) ?? 0)} MiB`,
    );
  }
  return results;
}

interface LatencyResult {
  rtts: number[];
  lost: number;
}

async function latencyPhase(routes: Record<Path, Route>): Promise<Record<Path, LatencyResult>> {
  const out: Record<Path, LatencyResult> = { single: { rtts: [], lost: 0 }, cloud: { rtts: [], lost: 0 } };
  const browsers = {
    single: await openBrowser(routes.single, 'v2'),
    cloud: await openBrowser(routes.cloud, 'v2'),
  };
  try {
    for (let segment = 0; segment < LATENCY_SECONDS; segment += 1) {
      const order: Path[] = segment % 2 === 0 ? ['single', 'cloud'] : ['cloud', 'single'];
      for (const path of order) {
        const route = routes[path];
        const browser = browsers[path];
        const sentAt = new Map<number, number>();
        const rtts: number[] = [];
        sinks.set(route.parent, (m) => {
          if (m.key !== 'data') return;
          const seq = seqOfParentData(m.value);
          if (seq >= 0) route.parent.send({ key: 'send', value: p2bValue(seq, 'small') });
        });
        const onMessage = (payload: unknown) => {
          const seq = seqOfBrowserMessage(payload);
          const at = sentAt.get(seq);
          if (at !== undefined) {
            rtts.push(performance.now() - at);
            sentAt.delete(seq);
          }
        };
        browser.socket.on('message', onMessage);
        const start = performance.now();
        for (let i = 0; i < 60; i += 1) {
          const due = start + (i * 1000) / 60;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
          const seq = segment * 1000 + i + 1;
          sentAt.set(seq, performance.now());
          browser.send(b2pPayload(seq, 'small'));
        }
        const deadline = performance.now() + 1000;
        while (sentAt.size > 0 && performance.now() < deadline) await sleep(5);
        (browser.socket as unknown as { off(event: string, fn: unknown): void }).off('message', onMessage);
        sinks.delete(route.parent);
        out[path].rtts.push(...rtts);
        out[path].lost += sentAt.size;
        forgetMessages(route.servers);
      }
    }
  } finally {
    browsers.single.close();
    browsers.cloud.close();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

let shuttingDown = false;
/** Set once the set-up has settled: role changes after that are incidents. */
let measuring = false;

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadAverage();
  const quiet = !VERBOSE;
  const singlePort = await freePort();
  const single = spawnServer({ port: singlePort, name: 'single', quiet, env: PAIRING_ON });
  const cluster = new CloudCluster(await freePort(), quiet);
  const countingOff = COMPARE_ROOM_STATS
    ? spawnServer({
        port: await freePort(),
        name: 'counting-off',
        quiet,
        env: { ...PAIRING_ON, ENTRY_HW_ROOM_STATS: 'off' },
      })
    : COMPARE_PROGRAM
      ? spawnServer({
          port: await freePort(),
          name: 'compared',
          quiet,
          bin: COMPARE_PROGRAM,
          env: PAIRING_ON,
        })
      : undefined;
  const cleanup = async () => {
    shuttingDown = true;
    await Promise.all([single.stop(), cluster.destroy(), countingOff?.stop()]);
  };
  process.once('SIGINT', () => {
    void cleanup().then(() => process.exit(130));
  });
  try {
    watchParent(single);
    await single.open('production');
    let host: { proc: ServerProcess };
    let peer: { proc: ServerProcess };
    const peerRoom = randomRoomId();
    if (countingOff) {
      // Same shape as the single path; "host" and "peer" both name it for the figures below.
      watchParent(countingOff);
      await countingOff.open('production');
      host = { proc: countingOff };
      peer = { proc: countingOff };
    } else {
      host = await cluster.start('host', { roomId: randomRoomId(), env: PAIRING_ON });
      peer = await cluster.start('peer', { roomId: peerRoom, env: PAIRING_ON });
      await cluster.waitForStableRoles(15_000);
      watchParent(host.proc);
      watchParent(peer.proc);
    }
    const routes: Record<Path, Route> = {
      single: {
        path: 'single',
        port: singlePort,
        browserRoom: randomRoomId(),
        parent: single,
        servers: [single],
      },
      cloud: {
        path: 'cloud',
        port: countingOff ? countingOff.port : cluster.port,
        browserRoom: countingOff ? randomRoomId() : peerRoom,
        parent: peer.proc,
        servers: countingOff ? [countingOff] : [host.proc, peer.proc],
      },
    };
    await sleep(500);
    measuring = true;
    const header = `${new Date().toISOString().slice(0, 10)}; ${machine()}; load average before the run ${loadBefore}; commit ${commit()}; program: ${process.env.ENTRY_HW_TEST_BIN ?? 'node dist/main.cjs'}`;
    log(header);

    log('memory phase');
    const memory = await memoryPhase(single);
    log('throughput phase');
    const hwmBefore = procStatusKiB(single.child.pid as number, 'VmHWM');
    const throughput = await throughputPhase(routes);
    await sleep(2000);
    const afterBursts = await stableRss(single.child.pid as number);
    const peak = procStatusKiB(single.child.pid as number, 'VmHWM');
    const cloudRss = {
      host: procStatusKiB(host.proc.child.pid as number, 'VmRSS'),
      hostPeak: procStatusKiB(host.proc.child.pid as number, 'VmHWM'),
      peer: procStatusKiB(peer.proc.child.pid as number, 'VmRSS'),
      peerPeak: procStatusKiB(peer.proc.child.pid as number, 'VmHWM'),
    };
    log('latency phase');
    const latency = await latencyPhase(routes);
    const status = await fetchStatus(singlePort);
    const totalS = (performance.now() - started) / 1000;

    // Throughput table
    const lines: string[] = [];
    lines.push(
      `Run: ${header}; ${REPS} repetitions; bursts of ${COUNT} × ~${SMALL_BYTES} B and ${COUNT_LARGE} × ~${LARGE_BYTES} B; total ${totalS.toFixed(0)} s.`,
    );
    lines.push('');
    lines.push(
      `| direction | payload | client | ${LABEL.single}, msg/s | ${LABEL.cloud}, msg/s | ${LABEL.cloud} / ${LABEL.single} | server CPU, µs/msg: ${LABEL.single} | ${SECOND_SINGLE ? LABEL.cloud : 'cloud (host + peer)'} | lost / reordered |`,
    );
    lines.push('|---|---|---|---:|---:|---:|---:|---:|---:|');
    let anyLoss = false;
    for (const kind of KINDS) {
      const r = throughput.get(kindKey(kind)) as Record<Path, BurstResult[]>;
      const ratios = r.single.map((s, i) => (r.cloud[i]?.rate ?? Number.NaN) / s.rate);
      const lost = [...r.single, ...r.cloud].reduce((sum, x) => sum + x.lost, 0);
      const reordered = [...r.single, ...r.cloud].reduce((sum, x) => sum + x.reordered, 0);
      if (lost || reordered) anyLoss = true;
      lines.push(
        `| ${kind.direction === 'b2p' ? 'browser → parent' : 'parent → browser'} | ${kind.size === 'small' ? `${SMALL_BYTES} B` : '4 KB'} | ${kind.version === 'v2' ? '2.5.0' : '4.x'} | ${int(median(r.single.map((x) => x.rate)))} | ${int(median(r.cloud.map((x) => x.rate)))} | ${median(ratios).toFixed(2)} | ${median(r.single.map((x) => x.cpuUs)).toFixed(1)} | ${median(r.cloud.map((x) => x.cpuUs)).toFixed(1)} | ${lost} / ${reordered} |`,
      );
    }
    lines.push('');
    lines.push(
      SECOND_SINGLE
        ? `| direction | payload | client | ${LABEL.single}: server, % of a core | script, % | ${LABEL.cloud}: server, % | (unused) | script, % |`
        : '| direction | payload | client | single: server, % of a core | script, % | cloud: host, % | peer, % | script, % |',
    );
    lines.push('|---|---|---|---:|---:|---:|---:|---:|');
    const pct = (values: number[]) => (median(values) * 100).toFixed(0);
    for (const kind of KINDS) {
      const r = throughput.get(kindKey(kind)) as Record<Path, BurstResult[]>;
      lines.push(
        `| ${kind.direction === 'b2p' ? 'browser → parent' : 'parent → browser'} | ${kind.size === 'small' ? `${SMALL_BYTES} B` : '4 KB'} | ${kind.version === 'v2' ? '2.5.0' : '4.x'} | ${pct(r.single.map((x) => x.busy[0] ?? Number.NaN))} | ${pct(r.single.map((x) => x.generatorBusy))} | ${pct(r.cloud.map((x) => x.busy[0] ?? Number.NaN))} | ${pct(r.cloud.map((x) => x.busy[1] ?? Number.NaN))} | ${pct(r.cloud.map((x) => x.generatorBusy))} |`,
      );
    }
    lines.push('');
    lines.push(
      '| single server | VmRSS, MiB | RssAnon, MiB | Δ RssAnon from idle, MiB | per connection, KiB | each browser after the first, KiB |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|');
    const idle = memory[0]?.mem ?? { rss: Number.NaN, anon: Number.NaN };
    // The first connection also compiles and allocates what every later one reuses.
    const first = memory.find((m) => m.connections === 1);
    for (const row of memory) {
      const delta = row.mem.anon - idle.anon;
      const per = row.connections > 0 ? (delta / row.connections).toFixed(0) : '';
      const afterFirst =
        first !== undefined && row.connections > 1
          ? ((row.mem.anon - first.mem.anon) / (row.connections - 1)).toFixed(0)
          : '';
      lines.push(
        `| ${row.label} | ${mib(row.mem.rss)} | ${mib(row.mem.anon)} | ${mib(delta)} | ${per} | ${afterFirst} |`,
      );
    }
    lines.push(
      `| after the bursts (2 s later) | ${mib(afterBursts.rss)} | ${mib(afterBursts.anon)} | ${mib(afterBursts.anon - idle.anon)} | | |`,
    );
    lines.push(`| peak during the run (VmHWM) | ${mib(peak)} | | | | |`);
    lines.push('');
    lines.push(
      `Single server VmRSS after each repetition of the bursts: ${rssPerRep.map(mib).join(', ')} MiB.`,
    );
    lines.push(
      `VmHWM before the bursts ${mib(hwmBefore)} MiB. ${SECOND_SINGLE ? `${LABEL.cloud} server (named twice)` : 'Cloud pair'} after the bursts: host ${mib(cloudRss.host)} MiB (peak ${mib(cloudRss.hostPeak)}), peer ${mib(cloudRss.peer)} MiB (peak ${mib(cloudRss.peerPeak)}).`,
    );
    lines.push('');
    lines.push(
      '| 60 Hz round trip, socket.io-client 2.5.0 | samples | p50, ms | p90, ms | p99, ms | max, ms | lost |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const path of ['single', 'cloud'] as const) {
      const { rtts, lost } = latency[path];
      lines.push(
        `| ${SECOND_SINGLE ? LABEL[path] : path === 'single' ? 'single server' : 'cloud (host → peer)'} | ${rtts.length} | ${percentile(rtts, 50).toFixed(2)} | ${percentile(rtts, 90).toFixed(2)} | ${percentile(rtts, 99).toFixed(2)} | ${Math.max(...rtts).toFixed(2)} | ${lost} |`,
      );
    }
    const single50 = percentile(latency.single.rtts, 50);
    const cloud50 = percentile(latency.cloud.rtts, 50);
    lines.push('');
    lines.push(`${LABEL.cloud} / ${LABEL.single} round trip at p50: ${(cloud50 / single50).toFixed(2)}.`);
    if (status?.browsers !== 0)
      lines.push(`Note: /status after the run reports ${status?.browsers} browsers.`);
    if (COMPARE_PROGRAM)
      lines.push(
        `Compared: this build (first path) and ${COMPARE_PROGRAM} (second path), two single servers; "cloud" in the other tables names the compared program's server.`,
      );
    if (COMPARE_ROOM_STATS)
      lines.push(
        'Compared: per-room counting on (first path) and off (ENTRY_HW_ROOM_STATS=off, second path), two single servers; "cloud" in the other tables names the counting-off server.',
      );
    if (incidents.length > 0) lines.push(`Incidents: ${incidents.join('; ')}`);
    if (anyLoss) lines.push('**Messages were lost or reordered: see the last column.**');
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
