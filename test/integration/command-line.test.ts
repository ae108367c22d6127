// The command line, on `node dist/main.cjs` or the executable (ENTRY_HW_TEST_BIN,
// so the sea suite and the native runners of the release workflow check every executable):
//  - --version prints the server version, the Node version, the target and the build's commit;
//  - --help prints one screen: what it is, how Entry HW spawns it, every setting the program reads,
//    where the diagnostics page is;
//  - --licenses prints THIRD_PARTY_NOTICES.txt (every bundled package's license, Node's in an
//    executable);
//  - an unknown argument gets a message naming it and exit code 2, with or without a parent;
//  - started with neither a parent (IPC) nor a terminal, it says what it is and exits with 2;
//  - none of these touches the port: a listener there sees no connection.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, TEST_LOG_DIR } from '../../harness/server-process';
import { HELP_SETTINGS } from '../../src/cli/command-line';

const bin = process.env.ENTRY_HW_TEST_BIN;
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  messages: unknown[];
}

/** Runs the program with `args` (IPC channel when `ipc`), stdin /dev/null; resolves at exit. */
async function runProgram(args: string[], options: { ipc?: boolean; port: number }): Promise<Run> {
  const command = bin ?? process.execPath;
  const child = spawn(command, [...(bin ? [] : [join(REPO_ROOT, 'dist', 'main.cjs')]), ...args], {
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    env: { ...process.env, ENTRY_HW_PORT: String(options.port) },
    windowsHide: true,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const messages: unknown[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  child.on('message', (m) => messages.push(m));
  // Generous: only a hang fails it (the program must exit by itself).
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  if (child.stdout && !child.stdout.readableEnded) await once(child.stdout, 'end').catch(() => undefined);
  if (child.stderr && !child.stderr.readableEnded) await once(child.stderr, 'end').catch(() => undefined);
  return {
    code,
    signal,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    messages,
  };
}

describe('command line', () => {
  // A listener on the port the program is given: a program that tried to serve would find the
  // port taken and probe it (GET /status), so any connection here means the port was touched.
  let sentinel: Server;
  let port: number;
  let connections = 0;
  before(async () => {
    sentinel = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    sentinel.listen(0, '127.0.0.1');
    await once(sentinel, 'listening');
    port = (sentinel.address() as { port: number }).port;
  });
  after(() => sentinel.close());

  const assertPortUntouched = (): void => assert.equal(connections, 0, 'the program connected to its port');

  it('--version: version, Node, target, commit; exit 0', async () => {
    for (const flag of ['--version', '-v']) {
      const run = await runProgram([flag], { port, ipc: true });
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trimEnd().split('\n');
      assert.equal(lines[0], `entry-hw-server ${VERSION}`);
      assert.match(lines[1] ?? '', /^node \d+\.\d+\.\d+$/);
      if (!bin) assert.equal(lines[1], `node ${process.versions.node}`);
      assert.match(
        lines[2] ?? '',
        /^target (linux|win|darwin)-(x64|x86|arm64|ia32) \((single executable|node bundle)\)$/,
      );
      assert.match(lines[2] ?? '', bin ? /single executable/ : /node bundle/);
      // The bundle is built from this repository: a git hash, maybe -dirty.
      assert.match(lines[3] ?? '', /^commit ([0-9a-f]{7,40}(-dirty)?|\S.*)$/);
      if (!process.env.ENTRY_HW_BUILD_COMMIT) assert.match(lines[3] ?? '', /^commit [0-9a-f]{12}(-dirty)?$/);
      assert.deepEqual(run.messages, [], 'it spoke to the parent');
    }
    assertPortUntouched();
  });

  it('--help: one screen with what it is, how Entry HW spawns it, every setting and the diagnostics page', async () => {
    const run = await runProgram(['--help'], { port, ipc: false });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.ok(lines.length <= 40, `${lines.length} lines`);
    for (const line of lines) assert.ok(line.length <= 100, `too wide: ${line}`);
    assert.match(run.stdout, /Entry HW/);
    assert.match(run.stdout, /IPC/);
    assert.ok(run.stdout.includes(`http://127.0.0.1:${port}/diagnostics`), 'the diagnostics address');
    // The log file's path, from ENTRY_HW_LOG_DIR (the helpers set a temporary one).
    assert.ok(run.stdout.includes(`  ${join(TEST_LOG_DIR, 'entry-hw-server.log')}\n`), 'the log file path');
    // Every setting the program reads: the variables named in src/config.ts and src/main.ts
    // (test hooks aside), and the README's Settings table, all appear in --help.
    const source = ['src/config.ts', 'src/main.ts']
      .map((file) => readFileSync(join(REPO_ROOT, file), 'utf8'))
      .join('\n');
    const read = new Set(
      (source.match(/ENTRY_HW_[A-Z_]+/g) ?? []).filter((name) => !name.startsWith('ENTRY_HW_TEST')),
    );
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const table = readme.slice(
      readme.indexOf('## Settings'),
      readme.indexOf('\n## ', readme.indexOf('## Settings') + 5),
    );
    for (const name of table.match(/`(ENTRY_HW_[A-Z_]+)`/g) ?? []) read.add(name.slice(1, -1));
    assert.ok(read.size >= 8, `found only ${[...read]}`);
    for (const name of read) assert.ok(run.stdout.includes(name), `--help does not list ${name}`);
    assert.deepEqual(
      HELP_SETTINGS.map((s) => s.name).sort(),
      [...read].sort(),
      '--help lists a setting the program does not read',
    );
    assertPortUntouched();
  });

  it('--licenses: the notices of every bundled package (and of Node in an executable)', async () => {
    const run = await runProgram(['--licenses'], { port, ipc: false });
    assert.equal(run.code, 0, run.stderr);
    for (const name of ['socket.io', 'engine.io', 'ws', 'socket.io-client', 'engine.io-client']) {
      assert.match(run.stdout, new RegExp(`^${name.replace('.', '\\.')} \\d+\\.\\d+\\.\\d+`, 'm'), name);
    }
    assert.match(run.stdout, /Permission is hereby granted/);
    if (bin)
      assert.match(run.stdout, /^Node\.js \d+\.\d+\.\d+/m, "an executable must carry Node.js's license");
    assertPortUntouched();
  });

  for (const args of [
    ['--bogus'],
    ['serve'],
    ['--version=1'],
    ['--port', '1'],
    ['--inspect=127.0.0.1:9229'],
  ]) {
    it(`refuses ${JSON.stringify(args)} with a message and exit code 2, with a parent too`, async () => {
      for (const ipc of [false, true]) {
        const run = await runProgram(args, { port, ipc });
        assert.equal(run.code, 2, `${run.stdout}${run.stderr}`);
        assert.ok(run.stderr.includes(`'${args[0]?.split('=')[0]}`), run.stderr);
        assert.match(run.stderr, /Usage: entry-hw-server/);
        assert.equal(run.stdout, '');
        assert.deepEqual(run.messages, [], 'it opened for the parent');
      }
      assertPortUntouched();
    });
  }

  it('started with neither a parent app nor a terminal: says what it is and exits with 2', async () => {
    const run = await runProgram([], { port, ipc: false });
    assert.equal(run.code, 2, `${run.stdout}${run.stderr}`);
    assert.match(run.stderr, /this is the server Entry HW starts/);
    assert.match(run.stderr, /--console/);
    assertPortUntouched();
  });
});
