// The package for entry-offline: `npm pack` (its prepack builds the bundle and
// the declarations) makes a tarball with the built library, its types (not src/), the notices and
// no dependencies; it installs offline into an empty folder; the README's library example, run
// there with that folder's Node resolution, serves a socket.io client both ways; and a TypeScript
// consumer type-checks against the shipped declarations with nothing but @types/node.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { freePort, REPO_ROOT } from '../../harness/server-process';
import { randomRoomId, until } from '../../harness/util';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const shell = process.platform === 'win32';

/** The README's library example: the first js block under "In-process use". */
function readmeExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### In-process use (entry-offline)'));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'no js example under "In-process use (entry-offline)" in README.md');
  return block;
}

describe('npm package', () => {
  let scratch: string;
  let tarball: string;
  let files: string[];
  let project: string;
  const children: ChildProcess[] = [];

  before(
    () => {
      scratch = mkdtempSync(join(tmpdir(), 'entry-hw-pack-'));
      const packed = JSON.parse(
        execFileSync(npm, ['pack', '--json', '--pack-destination', scratch], {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          shell,
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      ) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const first = packed[0] as (typeof packed)[number];
      tarball = join(scratch, first.filename);
      files = first.files.map((f) => f.path).sort();
      project = join(scratch, 'consumer');
      execFileSync(process.execPath, ['-e', `require('fs').mkdirSync(${JSON.stringify(project)})`]);
      writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true }\n');
      execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], {
        cwd: project,
        shell,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    },
    { timeout: 180_000 },
  );

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it('holds the built library, its declarations and the notices; no sources, no tests', () => {
    for (const path of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/index.cjs',
      'dist/main.cjs',
      'dist/types/index.d.ts',
      'dist/THIRD_PARTY_NOTICES.txt',
    ]) {
      assert.ok(files.includes(path), `${path} is not in the package: ${files.join(', ')}`);
    }
    for (const path of files) {
      assert.doesNotMatch(
        path,
        /^(src|harness|test|bench|scripts|\.github)\//,
        `${path} should not be packed`,
      );
    }
    const pkg = JSON.parse(
      readFileSync(join(project, 'node_modules', 'entry-hw-server', 'package.json'), 'utf8'),
    );
    assert.equal(pkg.main, 'dist/index.cjs');
    assert.equal(pkg.types, 'dist/types/index.d.ts');
    assert.equal(pkg.dependencies, undefined, 'everything is bundled: the package needs no dependency');
  });

  it('installs offline with nothing else', () => {
    assert.deepEqual(
      readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.')),
      ['entry-hw-server'],
    );
  });

  it("runs the README's library example: a socket.io client's messages reach it, and its sends reach the client", async () => {
    const port = await freePort();
    const example = readmeExample();
    assert.ok(example.includes('port: 23518,'), 'the example names its port as `port: 23518,`');
    writeFileSync(join(project, 'example.cjs'), example.replace('port: 23518,', `port: ${port},`));
    const child = spawn(process.execPath, ['example.cjs'], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    await until(() => output.includes('serving on'), {
      timeoutMs: 15_000,
      describe: () => 'the example to open',
      explain: () => output,
    });
    const received: unknown[] = [];
    const socket = io(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      query: { client: 'true', roomId: randomRoomId() },
      reconnection: false,
    });
    socket.on('message', (payload: unknown) => received.push(payload));
    try {
      await until(() => received.length > 0, {
        timeoutMs: 10_000,
        describe: () => "the example's send",
        explain: () => output,
      });
      assert.deepEqual(received[0], { data: { company: 1, model: 1, a0: 512 } });
      socket.emit('message', { data: '{"port":1}', type: 'utf8' });
      await until(() => output.includes('from the workspace: {"data":"{\\"port\\":1}","type":"utf8"}'), {
        timeoutMs: 10_000,
        describe: () => "the client's message at the example",
        explain: () => output,
      });
    } finally {
      socket.close();
    }
  });

  it('type-checks a TypeScript consumer against the shipped declarations', () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      [
        "import { EntryServer, type EntryServerOptions, RunningMode } from 'entry-hw-server';",
        'const options: EntryServerOptions = { http: true, port: 23518, handleModuleListRequest: () => [] };',
        'const server: EntryServer = new EntryServer(options);',
        "server.on('data', (value: unknown) => void value);",
        'const mode: number = RunningMode.server;',
        'void server.open().then(() => server.close());',
        'void mode;',
        '',
      ].join('\n'),
    );
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--types',
        'node',
        '--typeRoots',
        join(REPO_ROOT, 'node_modules', '@types'),
        'consumer.ts',
      ],
      { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  });
});
