// Prints the folder of the Node the executables ship (.nvmrc, which must equal the linux-x64
// runtime pinned in scripts/sea/runtimes.json), fetching and verifying it first, so CI and
// contributors run the suites on exactly that Node. Plain JavaScript: it runs on any Node 18+
// before `npm ci`.  export PATH="$(node scripts/pinned-node.mjs):$PATH"
// Linux x64 only (the pinned runtimes are the executables' own); elsewhere use nvm with .nvmrc.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRuntime } from './sea/runtime-cache.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

try {
  const wanted = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
  const manifest = JSON.parse(readFileSync(join(ROOT, 'scripts', 'sea', 'runtimes.json'), 'utf8'));
  const spec = manifest.runtimes[manifest.targets['linux-x64']?.runtime];
  if (!spec || spec.version !== wanted) {
    throw new Error(
      `.nvmrc says ${wanted}, the linux-x64 executable ships ${spec?.version}: make them agree`,
    );
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the pinned runtime is for linux-x64; on ${process.platform}-${process.arch} use nvm with .nvmrc`,
    );
  }
  const cacheDir = process.env.ENTRY_HW_SEA_CACHE || join(ROOT, '.cache', 'sea-runtimes');
  const binary = await ensureRuntime(spec, { cacheDir, log: (m) => console.error(`[pinned-node] ${m}`) });
  console.log(dirname(binary));
} catch (error) {
  console.error(`[pinned-node] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
