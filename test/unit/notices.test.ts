// THIRD_PARTY_NOTICES.txt: every package whose code is in dist/main.cjs or
// dist/index.cjs has its notice, with its own license text. The list of bundled packages is read
// here from the bundles themselves (esbuild marks each module with a `// node_modules/<pkg>/...`
// comment), not from the generator, so a package the generator misses fails this test. The
// generator refuses a bundled package that ships no license file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../../harness/server-process';
import { bundledPackages, renderNotices } from '../../scripts/notices.mjs';

const DIST = join(REPO_ROOT, 'dist');

/** Package names whose modules esbuild put into `bundle`, from its module path comments. */
function packagesInBundle(bundle: string): Set<string> {
  const names = new Set<string>();
  for (const match of bundle.matchAll(/^\/\/ (?:\S*\/)?node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm)) {
    names.add(match[1] as string);
  }
  return names;
}

/** The notice section of `name` (from its header line to the next rule). */
function section(notices: string, name: string, version: string): string | undefined {
  const header = `\n${name} ${version} (`;
  const at = notices.indexOf(header);
  if (at === -1) return undefined;
  const end = notices.indexOf(`\n${'='.repeat(78)}`, at + 1);
  return notices.slice(at, end === -1 ? undefined : end);
}

describe('THIRD_PARTY_NOTICES.txt of the bundle', () => {
  let notices: string;
  let bundled: Set<string>;
  before(() => {
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle.mjs')], { cwd: REPO_ROOT });
    notices = readFileSync(join(DIST, 'THIRD_PARTY_NOTICES.txt'), 'utf8');
    bundled = new Set([
      ...packagesInBundle(readFileSync(join(DIST, 'main.cjs'), 'utf8')),
      ...packagesInBundle(readFileSync(join(DIST, 'index.cjs'), 'utf8')),
    ]);
  });

  it('the bundles hold socket.io, engine.io, ws and their clients (the path comments are read right)', () => {
    for (const name of ['socket.io', 'engine.io', 'ws', 'socket.io-client', 'engine.io-client']) {
      assert.ok(bundled.has(name), `${name} not found in the bundles: ${[...bundled]}`);
    }
  });

  it('has a section for every bundled package, with the license text that package ships', () => {
    for (const name of bundled) {
      const dir = join(REPO_ROOT, 'node_modules', name);
      const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
      const text = section(notices, name, version);
      assert.ok(text, `no notice for ${name} ${version}, which is bundled`);
      const licenseFiles = readdirSync(dir).filter((file) => /^(licen[cs]e|copying|notice)/i.test(file));
      assert.ok(licenseFiles.length > 0, `${name} ships no license file`);
      for (const file of licenseFiles) {
        const body = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n').trim();
        assert.ok(text.includes(body), `${name}: the text of ${file} is not in its notice`);
      }
    }
  });

  it('lists nothing that is not bundled', () => {
    const listed = [...notices.matchAll(/^ {2}(\S+) \d+\.\d+\.\d+\S* \(/gm)].map((m) => m[1] as string);
    assert.deepEqual(listed.sort(), [...bundled].sort());
  });
});

describe('the notices generator', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'entry-hw-notices-'));
    const make = (name: string, files: Record<string, string>) => {
      const dir = join(root, 'node_modules', name);
      mkdirSync(join(dir, 'lib'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.2.3', license: 'MIT' }));
      writeFileSync(join(dir, 'lib', 'index.js'), 'module.exports = 1;\n');
      for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    };
    make('with-license', { LICENSE: 'MIT License\n\nCopyright (c) someone\n' });
    make('without-license', { 'README.md': 'no license here' });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('refuses a bundled package that ships no license file, naming it', () => {
    const metafile = {
      inputs: {
        'node_modules/with-license/lib/index.js': {},
        'node_modules/without-license/lib/index.js': {},
      },
    };
    assert.throws(() => bundledPackages([metafile], root), /without a license file.*without-license@1\.2\.3/);
  });

  it('renders each package under a header line with its license text, and Node after them', () => {
    const packages = bundledPackages([{ inputs: { 'node_modules/with-license/lib/index.js': {} } }], root);
    const text = renderNotices({
      product: 'x 1.0.0',
      packages,
      runtimes: [
        { version: '26.10.0', text: 'Node.js is licensed for use as follows:\n...', usedBy: ['a.exe'] },
      ],
    });
    assert.match(text, /^with-license 1\.2\.3 \(MIT\)$/m);
    assert.match(text, /Copyright \(c\) someone/);
    assert.match(text, /^Node\.js 26\.10\.0 \(MIT and others\)\nIn: a\.exe$/m);
  });
});
