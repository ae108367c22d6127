// What one OS-session lookup (src/os-session, docs/SESSIONS.md §3) costs with 10, 100 and 1000
// connections open: wall time per lookup (median, p99), the part that runs on the event loop
// (parsing the table: the only synchronous work), and a failover burst of 30 lookups asked at
// once (how many table reads they share). Not a test.
//
//   node --import tsx bench/session-lookup.ts [--lookups 300] [--lsof]
//
// On Linux the /proc/net/tcp mechanism; --lsof also times the lsof mechanism (macOS's) on this
// machine, with fewer lookups. The connections come from this process to its own server on
// 127.0.0.1, so each shows twice in the table (its two ends), plus whatever else the machine has.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { linuxSessionTable } from '../src/os-session/linux';
import { lsofSessionTable } from '../src/os-session/lsof-table';
import { parseProcNetTcp } from '../src/os-session/proc-net-tcp';
import { lookupWith } from '../src/os-session/session-lookup';
import type { SessionTable } from '../src/os-session/table';
import { commit, loadAverage, machine } from './machine';
import { arg, median, percentile } from './support';

const LOOKUPS = Number(arg('lookups', '300'));
const WITH_LSOF = process.argv.includes('--lsof');
const LSOF = ['/usr/bin/lsof', '/usr/sbin/lsof'].find((path) => existsSync(path));
const SIZES = [10, 100, 1000];
const BURST = 30;

if (process.platform !== 'linux') {
  console.error('this bench times the Linux mechanism; run it on Linux');
  process.exit(2);
}

/** A table that counts its reads. */
function counting(table: SessionTable): SessionTable & { reads: number } {
  const counted = {
    mechanism: table.mechanism,
    reads: 0,
    read: (port: number, timeoutMs: number) => {
      counted.reads++;
      return table.read(port, timeoutMs);
    },
    own: (timeoutMs: number) => table.own(timeoutMs),
  };
  return counted;
}

const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

async function main(): Promise<void> {
  console.log(`# OS-session lookup cost, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`machine: ${machine()}; load ${loadAverage()}; commit ${commit()}`);
  console.log(`${LOOKUPS} sequential lookups per size, each for a random open connection; timeout 5000 ms\n`);
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => {});
    accepted.push(socket);
  });
  server.maxConnections = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const clients: Socket[] = [];
  const rows: string[] = [];
  rows.push(
    '| mechanism | connections | rows in tcp+tcp6 | per lookup median | p99 | event loop per read (parse) median | p99 | loop delay p99 | burst of 30: wall | reads |',
  );
  rows.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const size of SIZES) {
    while (clients.length < size) {
      const client = connect(port, '127.0.0.1');
      client.on('error', () => {});
      clients.push(client);
    }
    while (accepted.length < size) await new Promise((resolve) => setTimeout(resolve, 5));
    const tables: [string, SessionTable, number][] = [['proc-net-tcp', linuxSessionTable(), LOOKUPS]];
    if (WITH_LSOF && LSOF) tables.push(['lsof', lsofSessionTable({ lsofPath: LSOF, platform: 'linux' }), 30]);
    for (const [name, base, count] of tables) {
      const table = counting(base);
      const lookup = lookupWith(table, 5000);
      await lookup.ofClient(accepted[0] as Socket); // warm up
      const times: number[] = [];
      let unknown = 0;
      const loopDelay = monitorEventLoopDelay({ resolution: 1 });
      loopDelay.enable();
      for (let i = 0; i < count; i++) {
        const socket = accepted[Math.floor(Math.random() * accepted.length)] as Socket;
        const started = performance.now();
        const answer = await lookup.ofClient(socket);
        times.push(performance.now() - started);
        if (!answer.known) unknown++;
      }
      loopDelay.disable();
      const loopP99 = loopDelay.percentile(99) / 1e6;
      // The synchronous part: parsing both tables for the server's port (what blocks the loop).
      const [tcp, tcp6] = await Promise.all([
        readFile('/proc/net/tcp', 'latin1'),
        readFile('/proc/net/tcp6', 'latin1'),
      ]);
      const tableRows = tcp.split('\n').length - 2 + tcp6.split('\n').length - 2;
      const parse: number[] = [];
      if (name === 'proc-net-tcp')
        for (let i = 0; i < count; i++) {
          const started = performance.now();
          parseProcNetTcp(tcp, { littleEndian: true, remotePort: port });
          parseProcNetTcp(tcp6, { littleEndian: true, remotePort: port });
          parse.push(performance.now() - started);
        }
      const readsBefore = table.reads;
      const burstStarted = performance.now();
      const burst = await Promise.all(
        Array.from({ length: BURST }, (_, i) => lookup.ofClient(accepted[i % accepted.length] as Socket)),
      );
      const burstMs = performance.now() - burstStarted;
      if (unknown > 0 || burst.some((answer) => !answer.known))
        console.log(`! ${name} ${size}: ${unknown} of ${count} lookups unknown`);
      rows.push(
        `| ${name} | ${size} | ${tableRows} | ${fmt(median(times))} ms | ${fmt(percentile(times, 99))} ms | ${
          parse.length ? `${fmt(median(parse))} ms` : '—'
        } | ${parse.length ? `${fmt(percentile(parse, 99))} ms` : '—'} | ${fmt(loopP99)} ms | ${fmt(burstMs)} ms | ${table.reads - readsBefore} |`,
      );
    }
  }
  console.log(rows.join('\n'));
  // The same loop-delay measure with nothing to do, for scale on a shared machine.
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  idle.disable();
  console.log(
    `\nloop delay p99 with no lookups (2 s idle, ${SIZES.at(-1)} connections open): ${fmt(idle.percentile(99) / 1e6)} ms`,
  );
  for (const client of clients) client.destroy();
  server.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
