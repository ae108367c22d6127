// Memory with a ceiling (docs/SECURITY.md): the server's peak RSS under the large-message attacks
// described there, while a tab of another room sends 60 messages a second and the parent counts
// how many arrive. Each attack runs on a fresh server (`node dist/main.cjs`, or ENTRY_HW_TEST_BIN / --bin),
// and the peak is the kernel's high-water mark (VmHWM in /proc/PID/status), so nothing between two
// samples is missed.
//
//   page-1x95   no attack: one 95 MB message from an allowed page (what one maximal message costs)
//   local-8x95  eight connections without an Origin (a local program) each send a 95 MB message
//   page-3x95   one allowed page with three tabs, each sends a 95 MB message
//   page-8x95   eight allowed-page connections, each sends a 95 MB message
//   page-2x66   two allowed-page tabs send 66 MB each: both fit in the 128 MiB budget (its worst case)
//   peers-4x60  four local peers each send a 60 MB diagnostics report
//
// Usage: node --import tsx bench/memory-attack.ts [--bin PATH] [--attacks a,b] [--tab-seconds 6]
// Linux only (/proc). Prints one row per attack; results go to docs/SECURITY.md and BENCHMARKS.md.
import { readFileSync } from 'node:fs';
import { BrowserPool, randomRoomId } from '../harness/browser-client';
import { RawWebSocket } from '../harness/raw-websocket';
import { freePort, ServerProcess } from '../harness/server-process';
import { commit, loadAverage, machine } from './machine';
import { arg, sleep } from './support';

const ENTRY = 'https://playentry.org';
const MB = 1_000_000;

interface Attack {
  name: string;
  what: string;
  senders: number;
  bytes: number;
  origin: string | undefined;
  peer: boolean;
}

const ATTACKS: Attack[] = [
  {
    name: 'page-1x95',
    what: 'no attack: one 95 MB message from an allowed page',
    senders: 1,
    bytes: 95 * MB,
    origin: ENTRY,
    peer: false,
  },
  {
    name: 'local-8x95',
    what: 'local program, 8 × 95 MB',
    senders: 8,
    bytes: 95 * MB,
    origin: undefined,
    peer: false,
  },
  {
    name: 'page-3x95',
    what: 'allowed page, 3 tabs × 95 MB',
    senders: 3,
    bytes: 95 * MB,
    origin: ENTRY,
    peer: false,
  },
  {
    name: 'page-8x95',
    what: 'allowed page, 8 × 95 MB',
    senders: 8,
    bytes: 95 * MB,
    origin: ENTRY,
    peer: false,
  },
  {
    name: 'page-2x66',
    what: 'allowed page, 2 tabs × 66 MB (both fit in the budget)',
    senders: 2,
    bytes: 66 * MB,
    origin: ENTRY,
    peer: false,
  },
  {
    name: 'peers-4x60',
    what: '4 local peers × 60 MB report',
    senders: 4,
    bytes: 60 * MB,
    origin: undefined,
    peer: true,
  },
];

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? Number.NaN);
}

/** A local peer's diagnostics report whose `junk` field is the filler. */
const REPORT_ENVELOPE = { prefix: '42["diagnosticsReport",{"version":"3.0.0","junk":"', suffix: '"}]' };

/** Sends one message of `bytes` as fast as the socket drains; resolves when written or closed. */
async function sendLarge(raw: RawWebSocket, bytes: number, peer: boolean): Promise<void> {
  const message = raw.startMessage(bytes, 0, peer ? REPORT_ENVELOPE : undefined);
  await Promise.race([message.rest(), raw.closed]);
}

interface Row {
  attack: string;
  baselineMiB: number;
  peakMiB: number;
  closed: number;
  delivered: number;
  tabSent: number;
  tabArrived: number;
  seconds: number;
}

async function run(attack: Attack, tabSeconds: number): Promise<Row> {
  const port = await freePort();
  const server = new ServerProcess({
    port,
    name: attack.name,
    quiet: true,
    bin: process.argv.includes('--bin') ? arg('bin', '') : undefined,
    // Keep only what the bench counts: the big values would otherwise sit in this process.
    record: (m) => m.key !== 'data' || JSON.stringify(m.value).length < 10_000,
  });
  let delivered = 0;
  server.child.on('message', (m: { key: string; value: unknown }) => {
    if (m.key === 'data' && typeof (m.value as { data?: unknown })?.data === 'string')
      if (((m.value as { data: string }).data.length ?? 0) > MB) delivered += 1;
  });
  try {
    await server.open();
    const pool = new BrowserPool();
    const tabRoom = randomRoomId();
    // The host's own room: its tab stays served when the peers of the last attack make it a cloud.
    server.send({ key: 'addRoomId', value: tabRoom });
    const tab = await pool.connect({
      version: 'v2',
      url: `http://127.0.0.1:${port}`,
      roomId: tabRoom,
      origin: ENTRY,
    });
    await sleep(1000);
    const baselineMiB = statusKiB(server.child.pid as number, 'VmRSS') / 1024;
    const senders = await Promise.all(
      Array.from({ length: attack.senders }, (_, i) =>
        RawWebSocket.open({
          port,
          origin: attack.origin,
          // The tab's room, which the host serves: each message that gets in goes on to the parent
          // (the worst case: it is parsed, routed and written to IPC).
          query: attack.peer ? 'childServer=true' : `client=true&roomId=${tabRoom}&n=${i}`,
        }),
      ),
    );
    let tabSent = 0;
    const marker = `tab-${tabRoom}`;
    const ticker = setInterval(() => {
      tab.send({ data: JSON.stringify({ marker, n: tabSent }), type: 'utf8' });
      tabSent += 1;
    }, 1000 / 60);
    const t0 = Date.now();
    await Promise.all(senders.map((raw) => sendLarge(raw, attack.bytes, attack.peer)));
    const elapsed = Date.now() - t0;
    await sleep(Math.max(0, tabSeconds * 1000 - elapsed));
    clearInterval(ticker);
    await sleep(1500);
    const tabArrived = server.messages.filter(
      (m) => m.key === 'data' && JSON.stringify(m.value).includes(marker),
    ).length;
    const peakMiB = statusKiB(server.child.pid as number, 'VmHWM') / 1024;
    const closed = senders.filter((raw) => raw.isClosed).length;
    for (const raw of senders) raw.close();
    pool.closeAll();
    return {
      attack: attack.what,
      baselineMiB,
      peakMiB,
      closed,
      delivered,
      tabSent,
      tabArrived,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const names = arg('attacks', ATTACKS.map((a) => a.name).join(',')).split(',');
  const tabSeconds = Number(arg('tab-seconds', '8'));
  const bin = process.argv.includes('--bin')
    ? arg('bin', '')
    : (process.env.ENTRY_HW_TEST_BIN ?? 'node dist/main.cjs');
  console.log(`memory-attack: ${bin}; ${machine()}; load ${loadAverage()}; commit ${commit()}`);
  console.log(
    '| attack | RSS before (MiB) | peak RSS (MiB) | senders closed | large messages delivered | tab messages arrived |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const name of names) {
    const attack = ATTACKS.find((a) => a.name === name);
    if (!attack) throw new Error(`unknown attack ${name}`);
    const row = await run(attack, tabSeconds);
    console.log(
      `| ${row.attack} | ${row.baselineMiB.toFixed(0)} | ${row.peakMiB.toFixed(0)} | ${row.closed} of ${attack.senders} | ${row.delivered} | ${row.tabArrived} of ${row.tabSent} |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
