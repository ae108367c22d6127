// The 32-bit Windows executable, the one Entry HW ships to every Windows user, started
// under Wine 8 with a Windows parent: node.exe 22.23.2 (32-bit, the target's own runtime) runs
// the parent relay under Wine, spawns entry-hw-server-win-x86.exe with an IPC channel as Entry HW
// does, and relays to this test over a local socket. Browsers connect from Linux to 127.0.0.1.
// The executable is built here with a test certificate and passphrase (embedded), in a 32-bit
// Wine prefix set to Windows 10 that this suite makes in a temporary directory and removes.
// The scenarios are the shared ones (test/executable/scenarios.ts).
//
// Without Wine the suite is skipped with a message, except under CI (.ci/run installs it).
// ENTRY_HW_TEST_WIN_X86_BIN runs the scenarios against that file instead of building one (it then
// needs the embedded passphrase in ENTRY_HW_TEST_WIN_X86_SECRET; no wss scenario).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { makeTestPki } from '../../harness/certs';
import { REPO_ROOT } from '../../harness/server-process';
import { ensureRuntime, type RuntimeSpec, readManifest } from '../../scripts/sea/runtimes';
import { ensureWinePrefix, windowsPath, wineEnv } from '../../scripts/sea/wine';
import type { ParentRunner } from '../executable/relayed-parent';
import { describeExecutableScenarios, type ScenarioSetup } from '../executable/scenarios';
import { wineAvailability } from '../helpers/wine';

const { skip, failure, version } = wineAvailability('the Wine suite');
if (skip) console.log(`wine suite ${skip}`);

const MANIFEST = readManifest();
const TARGET = MANIFEST.targets['win-x86'] as NonNullable<(typeof MANIFEST.targets)[string]>;
const RUNTIME = MANIFEST.runtimes[TARGET.runtime] as RuntimeSpec;
const CACHE = process.env.ENTRY_HW_SEA_CACHE || join(REPO_ROOT, '.cache', 'sea-runtimes');
const LOG_DIR = join(REPO_ROOT, 'test-output', 'wine');
const BUILD_TIMEOUT_MS = 10 * 60_000;

/** node.exe under Wine with `prefix` runs the parent relay; paths become Z:\ paths. */
function wineRunner(prefix: string, nodeExe: string): ParentRunner {
  return {
    label: `node.exe ${RUNTIME.version} (32-bit) under ${version}`,
    command: (script) => ({ command: 'wine', args: [nodeExe, script] }),
    path: windowsPath,
    env: (base) => wineEnv(prefix, base),
  };
}

/** The build command for win-x86 alone, as `npm run build:sea` runs it; returns its log. */
async function buildWinX86(out: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'scripts/sea/build.ts'), '--targets', 'win-x86', '--out', out],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
  const [status] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  const output = Buffer.concat(chunks).toString('utf8');
  assert.equal(status, 0, `the win-x86 build failed:\n${output.slice(-4000)}`);
  return output;
}

describe('win-x86 executable under Wine', { skip }, () => {
  let scratch: string;
  let prefix: string;
  let setup: ScenarioSetup | undefined;
  const started = Date.now();

  before(
    async () => {
      if (failure) throw new Error(failure);
      scratch = mkdtempSync(join(tmpdir(), 'entry-hw-wine-'));
      prefix = join(scratch, 'prefix');
      const prefixSeconds = await ensureWinePrefix(prefix, console.log);
      const nodeExe = await ensureRuntime(RUNTIME, { cacheDir: CACHE, log: console.log });
      const given = process.env.ENTRY_HW_TEST_WIN_X86_BIN;
      let exe: string;
      let passphrase: string;
      let tlsRootPem: string | undefined;
      let buildSeconds = 0;
      if (given) {
        exe = given;
        passphrase = process.env.ENTRY_HW_TEST_WIN_X86_SECRET ?? 'TEST_SECRET';
      } else {
        // The executable must embed the code under test (as `npm test` bundles it first).
        spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle.mjs')], {
          cwd: REPO_ROOT,
          stdio: 'inherit',
        });
        const pki = makeTestPki({ leafDays: 90, baseDir: scratch });
        passphrase = `wine-${randomBytes(9).toString('base64url')}`;
        const t0 = Date.now();
        const log = await buildWinX86(join(scratch, 'bin'), {
          ...process.env,
          ENTRY_HW_WINEPREFIX: prefix,
          ENTRY_HW_CERT_DIR: pki.dir,
          ENTRY_HW_SECRET: passphrase,
          ENTRY_HW_SECRET_FILE: undefined,
        });
        buildSeconds = (Date.now() - t0) / 1000;
        mkdirSync(LOG_DIR, { recursive: true });
        writeFileSync(join(LOG_DIR, 'build.log'), log);
        exe = join(scratch, 'bin', TARGET.output);
        tlsRootPem = pki.rootPem;
      }
      setup = {
        runner: wineRunner(prefix, nodeExe),
        program: { command: exe, args: [] },
        passphrase,
        tlsRootPem,
        // What the executable embeds is what is tested: nothing overrides it.
        env: { ENTRY_HW_CERT_DIR: undefined, ENTRY_HW_SECRET: undefined, ENTRY_HW_SECRET_FILE: undefined },
        logDir: LOG_DIR,
      };
      console.log(
        `wine: ${version}; new 32-bit prefix ${prefixSeconds.toFixed(1)} s; win-x86 build ${buildSeconds.toFixed(1)} s`,
      );
    },
    { timeout: BUILD_TIMEOUT_MS + 5 * 60_000 },
  );

  after(async () => {
    console.log(`wine: suite ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
    if (!scratch) return;
    // Whatever is left in this suite's own prefix (an executable whose parent was killed) ends here.
    const kill = spawn('wineserver', ['-k'], { env: wineEnv(prefix), stdio: 'ignore' });
    await once(kill, 'exit');
    rmSync(scratch, { recursive: true, force: true });
  });

  describeExecutableScenarios(`${TARGET.output}, parent: node.exe under Wine`, () => {
    if (!setup) throw new Error('the Wine suite is not set up (see the first failure)');
    return setup;
  });
});
