// Soak benchmark: a cloud PC classroom under random host kills, peer replacements, tab
// reloads and parent restarts, and new students whose Entry HW gets its roomId late or never,
// at the real rates. Not a test: it writes a JSON result, an SVG plot
// and docs/RELIABILITY.md's generated section. The engine is harness/soak/ (shared with
// test/cloud/soak.test.ts); the report is bench/soak-report.ts.
//
//   npm run soak                                   # 30 instances, 30 minutes, seed from the clock
//   node --import tsx bench/soak.ts --minutes 2 --instances 10 --seed 7 --out /tmp/soak
//   node --import tsx bench/soak.ts --report docs/reliability/soak-result.json   # regenerate the doc
//
// Options: --minutes N (30), --instances N (30), --seed S, --event-min-s 30, --event-max-s 90,
// --sample-s 10 (memory sampling period), --events killHost,reloadTab (the kinds to pick from; default all
// six: killHost, killPeer, reloadTab, restartParent, lateRoomId, neverRoomId), --roomless-host (the
// first instance, the host at the start, is a first launch never told its roomId),
// --out DIR (docs/reliability: soak-result.json and soak.svg; docs/RELIABILITY.md is updated
// when DIR is the default), --doc FILE (the Markdown file to update), --verbose (server logs).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSoak } from '../harness/soak/engine';
import { EVENT_KINDS, type EventKind } from '../harness/soak/plan';
import type { SoakResult } from '../harness/soak/result';
import { commit, loadAverage, machine } from './machine';
import { type RunInfo, writeReport } from './soak-report';
import { arg } from './support';

const DEFAULT_OUT = join('docs', 'reliability');

async function main(): Promise<void> {
  const report = arg('report', '');
  const out = arg('out', DEFAULT_OUT);
  const doc = arg('doc', out === DEFAULT_OUT ? join('docs', 'RELIABILITY.md') : join(out, 'RELIABILITY.md'));
  if (report) {
    const result = JSON.parse(readFileSync(report, 'utf8')) as SoakResult & { run: RunInfo };
    writeReport(result, result.run, { jsonPath: report, svgPath: join(out, 'soak.svg'), docPath: doc });
    process.stderr.write(`regenerated ${doc} and ${join(out, 'soak.svg')} from ${report}\n`);
    return;
  }
  const minutes = Number(arg('minutes', '30'));
  const instances = Number(arg('instances', '30'));
  const seed = Number(arg('seed', String(Date.now() % 1_000_000)));
  const events = arg('events', '');
  const run: RunInfo = {
    machine: machine(),
    loadBefore: loadAverage(),
    commit: commit(),
    program: process.env.ENTRY_HW_TEST_BIN ?? 'node dist/main.cjs',
    command: process.argv.slice(2).join(' '),
  };
  process.stderr.write(
    `soak: ${minutes} min, ${instances} instances, seed ${seed}; ${run.machine}; commit ${run.commit}\n`,
  );
  const result = await runSoak({
    durationMs: minutes * 60_000,
    instances,
    seed,
    eventMinMs: Number(arg('event-min-s', '30')) * 1000,
    eventMaxMs: Number(arg('event-max-s', '90')) * 1000,
    sampleMs: Number(arg('sample-s', '10')) * 1000,
    eventKinds: events ? parseEventKinds(events) : undefined,
    roomlessHost: process.argv.includes('--roomless-host'),
    verbose: process.argv.includes('--verbose'),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  run.loadAfter = loadAverage();
  mkdirSync(out, { recursive: true });
  const jsonPath = join(out, 'soak-result.json');
  writeFileSync(jsonPath, `${JSON.stringify({ ...result, run })}\n`);
  writeReport(result, run, { jsonPath, svgPath: join(out, 'soak.svg'), docPath: doc });
  process.stderr.write(
    `misrouted ${result.misrouted}, unserved (no roomId yet or ever) ${result.unserved.b2p}+${result.unserved.p2b}, lost outside windows ${result.lostOutside.b2p}+${result.lostOutside.p2b}, inside ${result.lostInside.b2p}+${result.lostInside.p2b}, max hosts ${result.maxSimultaneousHosts}; wrote ${jsonPath}, ${doc}\n`,
  );
  const ok =
    result.misrouted === 0 &&
    result.lostOutside.b2p + result.lostOutside.p2b === 0 &&
    result.maxSimultaneousHosts <= 1 &&
    result.events.every((e) => e.hostsAfter === 1);
  process.exit(ok ? 0 : 1);
}

function parseEventKinds(list: string): EventKind[] {
  const kinds = list.split(',').map((kind) => kind.trim());
  const unknown = kinds.filter((kind) => !(EVENT_KINDS as readonly string[]).includes(kind));
  if (unknown.length)
    throw new Error(`--events: unknown ${unknown.join(', ')}; known: ${EVENT_KINDS.join(', ')}`);
  return kinds as EventKind[];
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
