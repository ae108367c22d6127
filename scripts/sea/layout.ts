// dist/entry-hw/: the executables under the names and folders Entry HW loads them from, so a
// maintainer copies folders instead of renaming files (docs/INTEGRATION.md, "Using it from Entry HW"):
//   win/server.exe   the win-x86 build (Entry HW's Windows build is ia32), with a note on x64
//   mac/server.txt   one universal Mach-O of the darwin-x64 and darwin-arm64 builds (llvm-lipo);
//                    without llvm-lipo, both thin files and the rule for choosing
// each folder with its THIRD_PARTY_NOTICES.txt. Entry HW's development tree reads the same names
// from app/server/{win,mac}/; a packaged app from resources\server.exe and
// Contents/Resources/server.txt. Nothing is signed here (see docs/BUILDING.md, "Signing").
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './process';

/** One built executable, as the layout needs it. */
export interface LaidOutTarget {
  /** The target name (win-x86, darwin-arm64, ...). */
  target: string;
  /** Path of the built file. */
  path: string;
}

export interface LayoutOptions {
  /** The folder to (re)write, dist/entry-hw by default. */
  dir: string;
  built: LaidOutTarget[];
  /**
   * THIRD_PARTY_NOTICES.txt for the executables of `targets` laid out as `file` (the bundle's
   * packages and their Node).
   */
  notices: (targets: string[], file: string) => Promise<string>;
  log: (message: string) => void;
  /** The lipo command to try (tests); default llvm-lipo, then llvm-lipo-14..19, then lipo. */
  lipo?: string;
}

export interface LayoutResult {
  /** Relative paths written, e.g. ['win/server.exe', ...]. */
  files: string[];
  /** Why a folder was left out or made in its fallback form. */
  notes: string[];
}

/** Entry HW's file names per platform (app/src/main/electron/electronDirectoryPaths.ts). */
export const ENTRY_HW_FILES = { win: 'server.exe', mac: 'server.txt' } as const;

const WIN_NOTE = `server.exe is entry-hw-server's 32-bit (x86) Windows build, Node.js 22.
Entry HW's Windows build is 32-bit (ia32) and loads resources\\server.exe (in development,
app/server/win/server.exe); this file runs on 32-bit and 64-bit Windows alike.

The release also has entry-hw-server-win-x64.exe (Node.js 26, supported until April 2029,
while Node.js 22 ends in April 2027). Rename it to server.exe instead only when every PC that
installs this Entry HW runs 64-bit Windows (it does not start on 32-bit Windows): Entry HW
itself may stay 32-bit, the server is a separate process.

Sign server.exe (Authenticode) before shipping it: docs/BUILDING.md, "Signing".
THIRD_PARTY_NOTICES.txt beside it must travel with it.
`;

const MAC_UNIVERSAL_NOTE = `server.txt is entry-hw-server for macOS as one universal file: the Intel (x86_64) and Apple
silicon (arm64) builds, Node.js 26; macOS runs the slice of its own processor. Entry HW loads
Contents/Resources/server.txt (in development, app/server/mac/server.txt); the .txt name keeps
notarization from treating it as an app of its own.

It is NOT signed. macOS kills an unsigned arm64 program at launch, so sign it on a Mac before
shipping (codesign signs both slices): at least \`codesign --sign - --force server.txt\`, better
the Developer ID command of docs/BUILDING.md, "Signing", then notarize the app that contains it.
THIRD_PARTY_NOTICES.txt beside it must travel with it.
`;

const MAC_THIN_NOTE = `No universal file could be made on the build machine (no llvm-lipo), so both builds are here:
  server-x64.txt    Intel Macs (and Apple silicon Macs with Rosetta 2, which Apple is ending)
  server-arm64.txt  Apple silicon Macs, natively
Entry HW loads exactly Contents/Resources/server.txt: ship the arm64 one as server.txt in an
arm64 (or universal) Entry HW and the x64 one in an x64 Entry HW; or make one universal file on
a Mac: \`lipo -create server-x64.txt server-arm64.txt -output server.txt\`.

Neither is signed. macOS kills an unsigned arm64 program at launch: sign before shipping
(\`codesign --sign - --force server.txt\` at least; docs/BUILDING.md, "Signing").
THIRD_PARTY_NOTICES.txt beside them must travel with them.
`;

/** The first lipo that runs here, or undefined. */
export function findLipo(preferred?: string): string | undefined {
  const candidates = preferred
    ? [preferred]
    : ['llvm-lipo', ...[19, 18, 17, 16, 15, 14].map((v) => `llvm-lipo-${v}`), 'lipo'];
  for (const command of candidates) {
    const probe = spawnSync(command, ['-version'], { encoding: 'utf8', timeout: 10_000 });
    if (!probe.error && probe.status === 0) return command;
  }
  return undefined;
}

/**
 * Writes the Entry HW layout for whatever of win-x86 and the two darwin targets was built.
 *
 * @example
 * await layOutForEntryHw({ dir: 'dist/entry-hw', built, notices, log: console.log });
 */
export async function layOutForEntryHw(options: LayoutOptions): Promise<LayoutResult> {
  const { dir, built, log } = options;
  const find = (target: string): string | undefined => built.find((b) => b.target === target)?.path;
  const result: LayoutResult = { files: [], notes: [] };
  if (!find('win-x86') && !(find('darwin-x64') && find('darwin-arm64'))) {
    result.notes.push(`${dir} not written: it needs win-x86, or darwin-x64 and darwin-arm64`);
    for (const note of result.notes) log(`layout: ${note}`);
    return result;
  }
  await rm(dir, { recursive: true, force: true });

  const winX86 = find('win-x86');
  if (winX86) {
    const win = join(dir, 'win');
    await mkdir(win, { recursive: true });
    await copyFile(winX86, join(win, ENTRY_HW_FILES.win));
    await writeFile(
      join(win, 'THIRD_PARTY_NOTICES.txt'),
      await options.notices(['win-x86'], ENTRY_HW_FILES.win),
    );
    await writeFile(join(win, 'README.txt'), WIN_NOTE);
    result.files.push('win/server.exe', 'win/THIRD_PARTY_NOTICES.txt', 'win/README.txt');
  } else {
    result.notes.push('win/ left out: win-x86 was not built');
  }

  const [x64, arm64] = [find('darwin-x64'), find('darwin-arm64')];
  if (x64 && arm64) {
    const mac = join(dir, 'mac');
    await mkdir(mac, { recursive: true });
    const lipo = findLipo(options.lipo);
    await writeFile(
      join(mac, 'THIRD_PARTY_NOTICES.txt'),
      await options.notices(['darwin-x64', 'darwin-arm64'], lipo ? ENTRY_HW_FILES.mac : 'server-*.txt'),
    );
    if (lipo) {
      const output = join(mac, ENTRY_HW_FILES.mac);
      await run(lipo, ['-create', x64, arm64, '-output', output], { label: `${lipo} -create` });
      await writeFile(join(mac, 'README.txt'), MAC_UNIVERSAL_NOTE);
      result.files.push('mac/server.txt', 'mac/THIRD_PARTY_NOTICES.txt', 'mac/README.txt');
    } else {
      await copyFile(x64, join(mac, 'server-x64.txt'));
      await copyFile(arm64, join(mac, 'server-arm64.txt'));
      await writeFile(join(mac, 'README.txt'), MAC_THIN_NOTE);
      result.files.push(
        'mac/server-x64.txt',
        'mac/server-arm64.txt',
        'mac/THIRD_PARTY_NOTICES.txt',
        'mac/README.txt',
      );
      result.notes.push(
        'mac/: no llvm-lipo here (Debian: apt install llvm), so both thin files and the rule',
      );
    }
  } else {
    result.notes.push('mac/ left out: it needs both darwin-x64 and darwin-arm64');
  }
  for (const note of result.notes) log(`layout: ${note}`);
  if (result.files.length > 0) log(`layout: ${dir}: ${result.files.join(', ')}`);
  return result;
}
