// The log file and a broken stdout, on the real program spawned as
// Entry HW spawns it (or an executable, ENTRY_HW_TEST_BIN):
//  - the file appears in ENTRY_HW_LOG_DIR with the startup lines, the same lines as the console;
//  - a flood from the parent (a redundant `open` is one info line each, garbage a warning within
//    the warnings' rate limit) rotates it, and the folder stays within 2 × 1 MiB;
//  - a folder made read-only while it runs stops neither the server nor its routing;
//  - a stdout the reader closed (EPIPE, `… | head`) no longer ends in the fatal path: the server
//    answers /status and IPC, and the log file says what happened.
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { shareTestBinWithUsers } from '../../harness/os-users';
import { freePort, type ServerProcess, type SpawnOptions, spawnServer } from '../../harness/server-process';
import { sleep } from '../../harness/util';
import { MAX_FILE_BYTES } from '../../src/util/log-file';
import { request } from '../helpers/http';

const scratch = mkdtempSync(join(tmpdir(), 'entry-hw-log-it-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshFolder = (): string => {
  folders += 1;
  return join(scratch, `run${folders}`);
};

const running: ServerProcess[] = [];
after(async () => {
  await Promise.all(running.map((server) => server.stop()));
});

async function start(options: Omit<SpawnOptions, 'port'>): Promise<ServerProcess> {
  const server = spawnServer({ port: await freePort(), ...options });
  running.push(server);
  return server;
}

/** Waits until the file at `path` contains `pattern`; returns its text. */
async function waitForText(path: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (pattern.test(text)) return text;
    if (Date.now() > deadline)
      throw new Error(`${path} never contained ${pattern}; it holds:\n${text.slice(-2000)}`);
    await sleep(50);
  }
}

/** Waits until the program's captured console output passes `test` (it arrives apart from IPC). */
async function waitForOutput(
  server: ServerProcess,
  test: (output: string) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test(server.output)) {
    if (Date.now() > deadline || !server.alive)
      throw new Error(`${server.name}: the console never showed ${test}:\n${server.output.slice(-2000)}`);
    await sleep(50);
  }
}

/** Bytes of the log files in a folder. */
function logBytes(directory: string): number {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.log'))
    .reduce((sum, name) => sum + statSync(join(directory, name)).size, 0);
}

/**
 * A flood from the parent: `count` messages, with `garbage` one in ten is garbage (a warning
 * each, within the warnings' budget), the rest a redundant `open` (an info line each). Resolves
 * once the server has handled them all.
 */
async function flood(server: ServerProcess, count: number, garbage = true): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    if (garbage && i % 10 === 0) server.sendRaw({ key: `bogus-${i}`, value: 'x'.repeat(200) });
    else server.send({ key: 'open', value: 'production' });
    if (i % 2000 === 0) await server.drain(30_000); // keep the channel's buffer small
  }
  await server.drain(30_000);
}

async function assertServing(server: ServerProcess): Promise<void> {
  assert.ok(server.alive, 'the server exited');
  const status = await request({ port: server.port, path: '/status' });
  assert.equal(status.status, 200);
  await server.drain();
}

describe('log file', () => {
  it('is named in /status and in the support bundle, whose last lines are scrubbed', async () => {
    const directory = freshFolder();
    const current = join(directory, 'entry-hw-server.log');
    const server = await start({ env: { ENTRY_HW_LOG_DIR: directory }, quiet: true });
    assert.equal(await server.open(), 2);
    // A line the program logs with a roomId-like token in it: the file has it whole, the bundle masked.
    server.sendRaw({ key: 'bogus-0a1b2c3d4e5f', value: 1 });
    await waitForText(current, /bogus-0a1b2c3d4e5f/);

    const status = JSON.parse((await request({ port: server.port, path: '/status' })).body) as {
      logFile?: { path: string | null; problem: string | null } | null;
    };
    assert.deepEqual(status.logFile, { path: current, problem: null });

    const bundle = JSON.parse((await request({ port: server.port, path: '/diagnostics.json' })).body) as {
      logFile?: { path: string | null; problem: string | null; lastLines: string[] } | null;
    };
    assert.equal(bundle.logFile?.path, current);
    const lines = bundle.logFile?.lastLines ?? [];
    assert.ok(
      lines.some((line) => /host on 127\.0\.0\.1/.test(line)),
      'the startup lines are there',
    );
    const bogus = lines.filter((line) => line.includes('bogus-'));
    assert.ok(bogus.length > 0, 'the line about the bad message is there');
    assert.ok(
      bogus.every((line) => !line.includes('0a1b2c3d4e5f')),
      `the hex token is masked: ${bogus.join(' | ')}`,
    );
  });

  it('a server without a file says so: /status and the bundle carry null', async () => {
    const server = await start({ env: { ENTRY_HW_LOG_DIR: 'off' }, quiet: true });
    assert.equal(await server.open(), 2);
    const status = JSON.parse((await request({ port: server.port, path: '/status' })).body) as {
      logFile?: unknown;
    };
    assert.equal(status.logFile, null);
    const bundle = JSON.parse((await request({ port: server.port, path: '/diagnostics.json' })).body) as {
      logFile?: unknown;
    };
    assert.equal(bundle.logFile, null);
  });

  it('appears in ENTRY_HW_LOG_DIR with the startup lines, rotates under a flood, stays within 2 MiB', async () => {
    const directory = freshFolder();
    const current = join(directory, 'entry-hw-server.log');
    const server = await start({ env: { ENTRY_HW_LOG_DIR: directory }, captureOutput: true, quiet: true });
    assert.equal(await server.open(), 2);
    const text = await waitForText(current, /host on 127\.0\.0\.1/);
    assert.match(text, /\[entry-hw-server\] entry-hw-server \d+\.\d+\.\d+ \(node /);
    assert.ok(text.includes(`[entry-hw-server] log file: ${current}\n`), text);
    // Every line the console got is in the file, after its time (the console's come through
    // their own pipes: wait for the same last line there).
    await waitForOutput(server, (output) => /host on 127\.0\.0\.1[^\n]*\n/.test(output));
    const consoleLines = server.output.slice(0, server.output.lastIndexOf('\n')).split('\n');
    assert.ok(consoleLines.length >= 4, server.output);
    for (const line of consoleLines) {
      assert.match(
        text,
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
      );
    }
    // About 80 bytes a line: 30,000 lines are more than two files' worth.
    await flood(server, 40_000);
    await assertServing(server);
    // Every info line of the flood has come through the console's pipe.
    await waitForOutput(server, (output) => output.split('open: already open').length - 1 === 36_000);
    const previous = join(directory, 'entry-hw-server.1.log');
    assert.ok(existsSync(previous), 'the file was never rotated');
    assert.ok(statSync(current).size <= MAX_FILE_BYTES, `current ${statSync(current).size}`);
    assert.ok(statSync(previous).size <= MAX_FILE_BYTES, `previous ${statSync(previous).size}`);
    assert.ok(logBytes(directory) <= 2 * MAX_FILE_BYTES, `${logBytes(directory)} bytes`);
    // What went to the file: each console line after a 24-character time and a space.
    const floodLines = server.output.split('\n').length - 1;
    assert.ok(
      server.outputBytes + 25 * floodLines > 2 * MAX_FILE_BYTES,
      'the flood was smaller than the bound',
    );
    const latest = readFileSync(current, 'utf8');
    assert.match(latest, /open: already open, nothing to do\n$/);
    // The warnings came (within their budget; the file's oldest lines rotated away since), and
    // each line of both files is whole, with its time.
    assert.ok(server.outputCount('ignoring a parent message: unknown key "bogus-') >= 1);
    for (const line of `${readFileSync(previous, 'utf8')}${latest}`.trimEnd().split('\n'))
      assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z \[entry-hw-server\] \S/);
  });

  it('a folder made read-only while it runs stops neither the server nor its log on the console', {
    skip: process.platform === 'win32' ? 'no read-only folders by mode on Windows' : false,
  }, async () => {
    const directory = mkdtempSync(join(scratch, 'ro-'));
    const current = join(directory, 'entry-hw-server.log');
    // Root ignores a folder's mode: as root the server runs as `nobody`, who owns the folder.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chmodSync(scratch, 0o711); // mkdtemp's 0700 would keep `nobody` out
      chownSync(directory, 65534, 65534);
    }
    // An executable under test (the sea suite's, in a 0700 folder) is copied where `nobody` may run it.
    const unshare = asRoot ? shareTestBinWithUsers() : () => {};
    const server = await start({
      env: { ENTRY_HW_LOG_DIR: directory },
      captureOutput: true,
      quiet: true,
      ...(asRoot ? { user: { uid: 65534, gid: 65534 } } : {}),
    }).finally(unshare); // once spawned, the copy may go (the running process keeps it open)
    try {
      assert.equal(await server.open(), 2);
      await waitForText(current, /host on 127\.0\.0\.1/);
      chmodSync(directory, 0o555);
      // Beyond one file: the rotation (a rename) is refused. No garbage: its warnings would use
      // the warnings' budget (30 in 10 s) and the one about the file could be summarised away.
      await flood(server, 20_000, false);
      await assertServing(server);
      await waitForOutput(server, (output) =>
        /warning: cannot write the log file \((EACCES|EPERM) on /.test(output),
      );
      assert.equal(existsSync(join(directory, 'entry-hw-server.1.log')), false);
      assert.ok(statSync(current).size <= MAX_FILE_BYTES);
      // It still handles its parent's messages and logs them: the flood's lines, then one more.
      const opens = (output: string): number => output.split('open: already open').length - 1;
      await waitForOutput(server, (output) => opens(output) === 20_000);
      server.send({ key: 'open', value: 'production' });
      await waitForOutput(server, (output) => opens(output) === 20_001);
    } finally {
      chmodSync(directory, 0o700);
    }
  });
});

describe('broken stdout', () => {
  it('a stdout the reader closed: no fatal path, the server answers /status and IPC, the file says so', async () => {
    const directory = freshFolder();
    const server = await start({ env: { ENTRY_HW_LOG_DIR: directory }, pipeStdout: true });
    const stdout = server.child.stdout;
    assert.ok(stdout);
    // Like `node dist/main.cjs | head -1`: the reader takes the first line and goes away.
    await new Promise<void>((resolve) => stdout.once('data', () => resolve()));
    stdout.destroy();
    assert.equal(await server.open(), 2); // the host's lines go to the closed stdout
    for (let i = 0; i < 20; i += 1) server.send({ key: 'open', value: 'production' });
    // The EPIPE comes after the write: wait for its line in the file, or for the exit the old
    // code took (the fatal path, exit code 1).
    const file = join(directory, 'entry-hw-server.log');
    await Promise.race([waitForText(file, /stdout failed/, 30_000), server.exited]);
    await assertServing(server);
    assert.deepEqual(server.all('error'), [], 'the server told the parent about an internal error');
    const text = readFileSync(file, 'utf8');
    assert.equal(text.split('stdout failed').length - 1, 1, 'said once');
    assert.match(
      text,
      /warning: stdout failed \(EPIPE\); nothing more is written there, the log file goes on/,
    );
    // Lines after the failure still reach the file.
    server.send({ key: 'open', value: 'production' });
    await server.drain();
    assert.match(
      readFileSync(join(directory, 'entry-hw-server.log'), 'utf8'),
      /open: already open, nothing to do\n$/,
    );
  });
});
