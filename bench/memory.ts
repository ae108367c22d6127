// Memory per classroom seat: starts 1, 10 and 30 instances of the Linux single executable on one
// free port (the first becomes host, the rest peers), each spawned with an IPC parent and sent
// `open` as Entry HW does, waits until their memory has settled, and reports per instance the
// private memory (Private_Clean + Private_Dirty), PSS and RSS from /proc/PID/smaps_rollup.
// Private memory is what each extra seat really costs; PSS adds its share of the pages the
// instances share (the executable's text); RSS counts shared pages in full for every instance.
//
// Usage: npm run bench:memory -- [options]
//   --counts 1,10,30        instance counts (default 1,10,30)
//   --bin PATH              measure this executable instead of building one
//   --node                  measure `node dist/main.cjs` (this Node) instead of an executable
//   --exec-argv "A B"       build with these Node options in the SEA config (see scripts/sea/build.ts)
//   --no-code-cache         build without the V8 code cache
// The executable is built into .cache/bench-memory/ with a test certificate and passphrase, like
// the shipped one. Linux only (smaps_rollup).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTestPki } from '../harness/certs';
import { freePort, ServerProcess } from '../harness/server-process';
import { commit, loadAverage, machine } from './machine';

const ROOT = join(__dirname, '..');
const WORK = join(ROOT, '.cache', 'bench-memory');

interface Options {
  counts: number[];
  bin: string | undefined;
  node: boolean;
  buildArgs: string[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { counts: [1, 10, 30], bin: undefined, node: false, buildArgs: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--counts') options.counts = String(argv[++i]).split(',').map(Number);
    else if (arg === '--bin') options.bin = argv[++i];
    else if (arg === '--node') options.node = true;
    else if (arg === '--exec-argv') options.buildArgs.push('--exec-argv', String(argv[++i]));
    else if (arg === '--no-code-cache') options.buildArgs.push('--no-code-cache');
    else throw new Error(`unknown option ${arg}`);
  }
  if (options.counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error('--counts: positive integers');
  return options;
}

interface Memory {
  privateKiB: number;
  pssKiB: number;
  rssKiB: number;
}

/** Private (clean + dirty), PSS and RSS of one process, in KiB. */
function memoryOf(pid: number): Memory {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number =>
    Number(text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return {
    privateKiB: field('Private_Clean') + field('Private_Dirty'),
    pssKiB: field('Pss'),
    rssKiB: field('Rss'),
  };
}

function average(list: Memory[], key: keyof Memory): number {
  return list.reduce((sum, m) => sum + m[key], 0) / list.length;
}

const mb = (kib: number): string => (kib / 1024).toFixed(1);

interface Row {
  count: number;
  all: Memory[];
  seconds: number;
}

/**
 * Opens `count` instances on one port one after the other (host first), waits until the average
 * private memory moves by less than 0.1 MB between two samples a second apart (at most 20 s),
 * measures, and stops them.
 */
async function measure(count: number, spawnOne: (port: number, i: number) => ServerProcess): Promise<Row> {
  const port = await freePort();
  const instances: ServerProcess[] = [];
  const started = Date.now();
  try {
    for (let i = 0; i < count; i += 1) {
      const instance = spawnOne(port, i);
      instances.push(instance);
      const mode = await instance.open('production');
      const expected = i === 0 ? 2 : 3;
      if (mode !== expected)
        throw new Error(`instance ${i} reported running mode ${mode}, expected ${expected}`);
    }
    const seconds = (Date.now() - started) / 1000;
    await sleep(2000);
    let previous = Number.POSITIVE_INFINITY;
    let all: Memory[] = [];
    for (let round = 0; round < 20; round += 1) {
      all = instances.map((instance) => memoryOf(instance.child.pid as number));
      const now = average(all, 'privateKiB');
      if (Math.abs(now - previous) < 100) break;
      previous = now;
      await sleep(1000);
    }
    return { count, all, seconds };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

function build(buildArgs: string[], certDir: string): string {
  const out = join(WORK, buildArgs.join(' ').replace(/[^A-Za-z0-9=.-]+/g, '_') || 'shipped');
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'scripts/sea/build.ts'),
      '--targets',
      'linux-x64',
      '--out',
      out,
      ...buildArgs,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ENTRY_HW_CERT_DIR: certDir, ENTRY_HW_SECRET: 'bench-passphrase' },
    },
  );
  if (result.status !== 0) throw new Error('executable build failed');
  return join(out, 'entry-hw-server-linux-x64');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const pki = makeTestPki({ leafDays: 90 });
  let label: string;
  let spawnOne: (port: number, i: number) => ServerProcess;
  if (options.node) {
    const bundle = join(ROOT, 'dist', 'main.cjs');
    if (!existsSync(bundle)) throw new Error('dist/main.cjs is missing: run `npm run build:js` first');
    label = `node ${process.version} dist/main.cjs`;
    spawnOne = (port, i) =>
      new ServerProcess({
        port,
        name: `mem-${i}`,
        quiet: true,
        bin: undefined,
        env: {
          ENTRY_HW_TEST_BIN: undefined,
          ENTRY_HW_CERT_DIR: pki.dir,
          ENTRY_HW_SECRET: 'bench-passphrase',
        },
      });
  } else {
    const bin = options.bin ?? build(options.buildArgs, pki.dir);
    label = options.bin
      ? bin
      : `linux-x64 executable${options.buildArgs.length ? ` (${options.buildArgs.join(' ')})` : ''}`;
    spawnOne = (port, i) =>
      new ServerProcess({
        port,
        name: `mem-${i}`,
        quiet: true,
        bin,
        env: { ENTRY_HW_CERT_DIR: undefined, ENTRY_HW_SECRET: undefined, ENTRY_HW_SECRET_FILE: undefined },
      });
  }

  const rows: Row[] = [];
  for (const count of options.counts) rows.push(await measure(count, spawnOne));

  console.log(`\n${label}`);
  console.log(`${machine()}; load ${loadAverage()}; commit ${commit()}; ${new Date().toISOString()}\n`);
  console.log(
    '| instances | private / instance | PSS / instance | RSS / instance | host private | peer private (avg) | all opened in |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const peers = row.all.slice(1);
    console.log(
      `| ${row.count} | ${mb(average(row.all, 'privateKiB'))} MB | ${mb(average(row.all, 'pssKiB'))} MB | ` +
        `${mb(average(row.all, 'rssKiB'))} MB | ${mb((row.all[0] as Memory).privateKiB)} MB | ` +
        `${peers.length ? `${mb(average(peers, 'privateKiB'))} MB` : '—'} | ${row.seconds.toFixed(1)} s |`,
    );
  }
  console.log('\nMB = 1024 KiB, from /proc/PID/smaps_rollup; private = Private_Clean + Private_Dirty.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
