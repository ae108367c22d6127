// Same-run A/B of two builds at the entryjs rate: is one program slower than the other? Not a test.
//
//   node --import tsx bench/ab-latency.ts --a /path/to/old-program --b /path/to/new-program [--seconds 60]
//
// Each program is an executable (an SEA binary, or a `#!/bin/sh exec node x.cjs "$@"` wrapper), run
// twice: as a single server (no roomId), and as a cloud pair on another port (a host with roomId
// `host-room` and a peer with roomId `peer-room`, so a browser of `peer-room` goes browser → host →
// peer → peer's parent and back). One socket.io-client 2.5.0 browser per path emits ~100 B messages
// at 60 Hz; its parent answers each `data` with a `send`; the round trip is measured in the browser.
// The four paths take turns in 1 s segments (the order rotates every segment), so both programs see
// the same machine at nearly the same moments: on a shared, noisy machine the B / A ratios of one
// run are what to compare, not the absolute figures of separate runs.
import { performance } from 'node:perf_hooks';
import { type BrowserClient, connectBrowser } from '../harness/browser-client';
import { freePort, type ServerProcess, spawnServer } from '../harness/server-process';
import { commit, loadAverage, machine } from './machine';
import { arg, percentile, sleep } from './support';

const A = arg('a', '');
const B = arg('b', '');
const SECONDS = Number(arg('seconds', '60'));
if (!A || !B) {
  console.error('usage: node --import tsx bench/ab-latency.ts --a PROGRAM --b PROGRAM [--seconds 60]');
  process.exit(2);
}

interface Path {
  label: string;
  /** The parent that answers the browser (the single server's, or the peer's). */
  parent: ServerProcess;
  servers: ServerProcess[];
  browser: BrowserClient;
  rtts: number[];
  lost: number;
}

function seqOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return -1;
  const data = (value as { data?: unknown }).data;
  if (typeof data === 'string') {
    try {
      const parsed = JSON.parse(data) as { seq?: unknown };
      return typeof parsed.seq === 'number' ? parsed.seq : -1;
    } catch {
      return -1;
    }
  }
  if (typeof data === 'object' && data !== null) {
    const seq = (data as { seq?: unknown }).seq;
    return typeof seq === 'number' ? seq : -1;
  }
  return -1;
}

const FILL = 'x'.repeat(80);

async function start(bin: string, port: number, name: string, roomId?: string): Promise<ServerProcess> {
  // Only `data` needs answering; nothing is kept, so memory stays flat over a long run.
  // Pairing by OS session on, as shipped (the test helpers turn it off by default; older builds ignore it).
  const proc = spawnServer({
    port,
    bin,
    name,
    quiet: true,
    record: (m) => m.key !== 'data',
    env: { ENTRY_HW_SESSION_PAIRING: 'on' },
  });
  proc.child.on('message', (m: { key: string; value?: unknown }) => {
    if (m.key !== 'data') return;
    const seq = seqOf(m.value);
    if (seq >= 0) proc.send({ key: 'send', value: { seq, fill: FILL } });
  });
  await proc.open('production');
  if (roomId !== undefined) proc.send({ key: 'addRoomId', value: roomId });
  return proc;
}

async function paths(label: string, bin: string): Promise<Path[]> {
  const singlePort = await freePort();
  const single = await start(bin, singlePort, `${label}-single`);
  const cloudPort = await freePort();
  const host = await start(bin, cloudPort, `${label}-host`, 'host-room');
  const peer = await start(bin, cloudPort, `${label}-peer`, 'peer-room');
  await sleep(300); // the peer's claim reaches the host
  const open = (port: number, roomId: string) =>
    connectBrowser({ url: `http://127.0.0.1:${port}`, roomId, version: 'v2' });
  return [
    {
      label: `${label} single`,
      parent: single,
      servers: [single],
      browser: await open(singlePort, 'single-room'),
      rtts: [],
      lost: 0,
    },
    {
      label: `${label} cloud`,
      parent: peer,
      servers: [host, peer],
      browser: await open(cloudPort, 'peer-room'),
      rtts: [],
      lost: 0,
    },
  ];
}

async function segment(path: Path, index: number): Promise<void> {
  const sentAt = new Map<number, number>();
  const onMessage = (payload: unknown) => {
    const seq = seqOf(payload);
    const at = sentAt.get(seq);
    if (at === undefined) return;
    path.rtts.push(performance.now() - at);
    sentAt.delete(seq);
  };
  path.browser.socket.on('message', onMessage);
  const begin = performance.now();
  for (let i = 0; i < 60; i += 1) {
    const wait = begin + (i * 1000) / 60 - performance.now();
    if (wait > 0) await sleep(wait);
    const seq = index * 1000 + i + 1;
    sentAt.set(seq, performance.now());
    path.browser.send({ data: JSON.stringify({ seq, fill: FILL }), type: 'utf8' });
  }
  const deadline = performance.now() + 1000;
  while (sentAt.size > 0 && performance.now() < deadline) await sleep(5);
  (path.browser.socket as unknown as { off(event: string, fn: unknown): void }).off('message', onMessage);
  path.lost += sentAt.size;
}

async function main(): Promise<void> {
  const load = loadAverage();
  const all = [...(await paths('A', A)), ...(await paths('B', B))];
  try {
    for (let s = 0; s < SECONDS; s += 1) {
      const order = all.map((_, i) => all[(i + s) % all.length] as Path);
      for (const path of order) await segment(path, s);
    }
  } finally {
    for (const path of all) path.browser.close();
    await Promise.all(all.flatMap((p) => p.servers.map((proc) => proc.stop())));
  }
  const row = (p: Path) =>
    `| ${p.label} | ${p.rtts.length} | ${[50, 90, 99].map((q) => percentile(p.rtts, q).toFixed(2)).join(' | ')} | ${p.lost} |`;
  console.log(
    `Run: ${new Date().toISOString().slice(0, 10)}; ${machine()}; load average before ${load}; bench commit ${commit()}; ${SECONDS} s per path in 1 s turns.`,
  );
  console.log(`A = ${A}\nB = ${B}\n`);
  console.log('| path | samples | p50, ms | p90, ms | p99, ms | lost |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const p of all) console.log(row(p));
  console.log('');
  for (const kind of ['single', 'cloud']) {
    const a = all.find((p) => p.label === `A ${kind}`) as Path;
    const b = all.find((p) => p.label === `B ${kind}`) as Path;
    const ratio = (q: number) => (percentile(b.rtts, q) / percentile(a.rtts, q)).toFixed(2);
    console.log(`${kind}: B / A at p50 ${ratio(50)}, p90 ${ratio(90)}, p99 ${ratio(99)}`);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
