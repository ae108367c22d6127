// THIRD_PARTY_NOTICES.txt: the license texts of what is really inside a build. The packages come
// from esbuild's metafile (every input file under node_modules names its package, found by the
// nearest package.json with a name), each with the license file(s) it ships; the executables add
// the license of the Node.js runtime they carry (from that runtime's npm tarball, see
// scripts/sea/runtimes.ts). A bundled package without a license file stops the build: its notice
// cannot travel with the copies otherwise (MIT and Node's license require it).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/** The file a build writes beside dist/main.cjs, each executable and in the npm package. */
export const NOTICES_FILE = 'THIRD_PARTY_NOTICES.txt';

/** License files a package may ship (LICENSE, LICENSE.md, licence, license-mit, COPYING, NOTICE...). */
const LICENSE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

/**
 * The package directory a bundled file belongs to: `node_modules/<name>` or
 * `node_modules/@scope/<name>` after the last node_modules of its path, as Node resolves packages
 * (package.json files further in, like build/esm/package.json, only describe a folder).
 *
 * @param {string} file absolute path
 * @returns {string | undefined}
 */
function packageDirOf(file) {
  const parts = file.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at === -1 || at + 1 >= parts.length) return undefined;
  const depth = parts[at + 1]?.startsWith('@') ? 3 : 2;
  const dir = parts.slice(0, at + depth).join(sep);
  return existsSync(join(dir, 'package.json')) ? dir : undefined;
}

/**
 * The license a package.json declares: `license`, or the old `licenses: [{ type }]` form.
 *
 * @param {{ license?: unknown; licenses?: unknown }} pkg
 * @returns {string}
 */
function licenseName(pkg) {
  if (typeof pkg.license === 'string') return pkg.license;
  if (Array.isArray(pkg.licenses)) {
    const types = pkg.licenses.map((l) => (typeof l === 'string' ? l : l?.type)).filter(Boolean);
    if (types.length > 0) return types.join(' OR ');
  }
  return 'see the license text';
}

/**
 * @typedef {object} BundledPackage
 * @property {string} name
 * @property {string} version
 * @property {string} license the package.json `license` (SPDX), or 'see the license text'
 * @property {string} [homepage] its repository or homepage
 * @property {string} path the package directory relative to the root (node_modules/...)
 * @property {Array<{ file: string; text: string }>} texts its license files
 */

/**
 * The packages whose files esbuild put into the outputs of `metafiles`, sorted by name, each with
 * its license files. Throws when a package ships no license file.
 *
 * @param {Array<{ inputs: Record<string, unknown> }>} metafiles esbuild metafiles
 * @param {string} root the directory esbuild ran in (metafile paths are relative to it)
 * @returns {BundledPackage[]}
 * @example
 * const packages = bundledPackages([result.metafile], process.cwd());
 */
export function bundledPackages(metafiles, root) {
  /** @type {Map<string, BundledPackage>} */
  const byDir = new Map();
  const missing = [];
  for (const metafile of metafiles) {
    for (const input of Object.keys(metafile.inputs)) {
      if (!input.includes('node_modules/')) continue;
      const dir = packageDirOf(resolve(root, input.replace(/^[a-z-]+:/, '')));
      if (!dir) throw new Error(`notices: no package.json with a name above ${input}`);
      if (byDir.has(dir)) continue;
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const texts = readdirSync(dir)
        .filter((name) => LICENSE_FILE.test(name))
        .sort()
        .map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n').trim() }))
        .filter((entry) => entry.text !== '');
      if (texts.length === 0) missing.push(`${pkg.name}@${pkg.version} (${relative(root, dir)})`);
      const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
      byDir.set(dir, {
        name: pkg.name,
        version: pkg.version,
        license: licenseName(pkg),
        homepage: pkg.homepage ?? repository,
        path: relative(root, dir).split(sep).join('/'),
        texts,
      });
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `notices: bundled package(s) without a license file, so their notice cannot be shipped: ${missing.join(', ')}`,
    );
  }
  return [...byDir.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
  );
}

/**
 * @typedef {object} RuntimeNotice
 * @property {string} version Node.js version
 * @property {string} text Node's LICENSE (it includes the licenses of everything Node bundles)
 * @property {string[]} usedBy the files that carry this runtime
 */

const RULE = '='.repeat(78);

/**
 * The notices text. Each package starts with a line `<name> <version> (<license>)`, so a reader
 * (and the tests) can find it; then its license files verbatim.
 *
 * @param {{ product: string; packages: BundledPackage[]; runtimes?: RuntimeNotice[] }} input
 * @returns {string}
 */
export function renderNotices({ product, packages, runtimes = [] }) {
  const lines = [
    `THIRD-PARTY NOTICES for ${product}`,
    '',
    'This program includes the software listed below. Each part is distributed under its own',
    'license, reproduced in full in this file.',
    runtimes.length > 0
      ? 'The executables also contain the Node.js runtime, whose license (which covers the libraries Node.js itself includes) follows the packages.'
      : 'The bundle runs on the Node.js installed on the computer; Node.js is not part of it.',
    '',
    'Contents:',
    ...packages.map((p) => `  ${p.name} ${p.version} (${p.license})`),
    ...runtimes.map((r) => `  Node.js ${r.version} (MIT and others), in: ${r.usedBy.join(', ')}`),
    '',
  ];
  for (const p of packages) {
    lines.push(RULE, `${p.name} ${p.version} (${p.license})`);
    if (p.homepage) lines.push(`Source: ${p.homepage}`);
    for (const { file, text } of p.texts) lines.push(`--- ${p.path}/${file}`, '', text, '');
  }
  for (const r of runtimes) {
    lines.push(
      RULE,
      `Node.js ${r.version} (MIT and others)`,
      `In: ${r.usedBy.join(', ')}`,
      '',
      r.text.trim(),
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
