// Wine, to run the 32-bit Windows node.exe on Linux: the build uses it to make the win-x86
// executable's blob with the target's own Node (scripts/sea/sea-blob.ts says why), and the Wine
// suite (test/wine) runs that executable under it. Wine 8 from Debian (`wine` and `wine32:i386`
// after `dpkg --add-architecture i386`) with a 32-bit prefix set to Windows 10, headless: no X,
// no debug output, no Mono or Gecko install prompts. The 64-bit Node 26 node.exe does not start
// under Wine 8 (V8 runs out of memory reserving its tables), so only win-x86 is run here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { run } from './process';

/** How to install Wine on Debian, for messages. */
export const WINE_INSTALL_HINT =
  'dpkg --add-architecture i386 && apt-get update && apt-get install -y --no-install-recommends wine wine32:i386';

/**
 * The prefix the build (and the tests that make blobs) use: ENTRY_HW_WINEPREFIX, or
 * .cache/wine-win32 in the repository (git-ignored), made on first use.
 */
export function defaultWinePrefix(): string {
  return process.env.ENTRY_HW_WINEPREFIX || resolve(__dirname, '..', '..', '.cache', 'wine-win32');
}

/** Written into a prefix once it is complete; a prefix without it is made again. */
const READY_MARKER = 'entry-hw-prefix-ready.json';

/** The `wine` command, or undefined when Wine is not installed. */
export function wineVersion(): string | undefined {
  const probe = spawnSync('wine', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error || probe.status !== 0) return undefined;
  return probe.stdout.trim();
}

/**
 * The environment for Wine with `prefix`: a 32-bit prefix, no debug channels, no Mono (mscoree)
 * or Gecko (mshtml) install prompts, no X display.
 *
 * @example
 * spawn('wine', ['node.exe', '-v'], { env: wineEnv('/tmp/prefix') });
 */
export function wineEnv(prefix: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    WINEPREFIX: prefix,
    WINEARCH: 'win32',
    WINEDEBUG: '-all',
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
  };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  delete env.NODE_OPTIONS;
  return env;
}

/** The Windows path Wine gives a Linux absolute path (drive Z: is the Linux root). */
export function windowsPath(linuxPath: string): string {
  return `Z:${linuxPath.replace(/\//g, '\\')}`;
}

/**
 * Makes sure `prefix` is a complete 32-bit Wine prefix set to Windows 10 (Node 22 refuses the
 * Windows 7 that Wine 8 reports by default). A new prefix is made beside it and renamed into
 * place when complete, so a build killed half-way or two builds at once leave no broken prefix.
 * Returns the seconds spent making it (0 when it already existed).
 *
 * @example
 * await ensureWinePrefix(join(repoRoot, '.cache', 'wine-win32'), console.log);
 */
export async function ensureWinePrefix(prefix: string, log: (message: string) => void): Promise<number> {
  if (existsSync(join(prefix, READY_MARKER))) return 0;
  const version = wineVersion();
  if (!version) throw new Error(`Wine is not installed (${WINE_INSTALL_HINT})`);
  const started = Date.now();
  await mkdir(dirname(prefix), { recursive: true });
  const staging = `${prefix}.new-${process.pid}-${Date.now()}`;
  try {
    const env = wineEnv(staging);
    await run('wineboot', ['--init'], { env, label: 'wineboot --init (new 32-bit prefix)' });
    await run('wine', ['winecfg', '-v', 'win10'], { env, label: 'winecfg -v win10' });
    // The registry is written when this prefix's wineserver exits: wait for it.
    await run('wineserver', ['-w'], { env, label: 'wineserver -w' });
    await writeFile(join(staging, READY_MARKER), `${JSON.stringify({ wine: version, windows: 'win10' })}\n`);
    if (existsSync(join(prefix, READY_MARKER))) return 0; // another build finished first
    await rm(prefix, { recursive: true, force: true });
    await rename(staging, prefix);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  log(`Wine prefix ${prefix} (32-bit, Windows 10, ${version}) made in ${seconds.toFixed(1)} s`);
  return seconds;
}
