// The log file on a real temporary folder: it rotates at its bound, a folder
// never holds more than its slots allow, copies in one folder take separate slots, a stale lock
// is taken over, an unwritable folder or a full disk (ENOSPC through the fs seam) never throws
// and is retried, a deleted folder is made again, and tail reads the last lines back. Also the
// folder each platform gets, and the console output that survives a closed pipe.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConsoleOutput } from '../../src/util/console-output';
import { LogFile, type LogFs, MAX_SLOTS, RETRY_MS, slotFiles } from '../../src/util/log-file';
import { defaultLogDirectory, logDirectory } from '../../src/util/log-location';

const scratch = fs.mkdtempSync(join(tmpdir(), 'entry-hw-log-unit-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshFolder = (): string => {
  folders += 1;
  return join(scratch, `f${folders}`);
};

/** Total bytes of the log files in a folder (locks aside). */
function folderBytes(directory: string): number {
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.log'))
    .reduce((sum, name) => sum + fs.statSync(join(directory, name)).size, 0);
}

const line = (i: number): string => `[entry-hw-server] warning: line ${i} ${'x'.repeat(i % 90)}`;
const isRoot = process.getuid?.() === 0;

describe('log file', () => {
  it('rotates at the bound: two files, each within it, the newest lines in order', () => {
    const directory = freshFolder();
    const file = LogFile.open({ directory, maxFileBytes: 4096 });
    for (let i = 0; i < 500; i += 1) file.write(line(i));
    const { current, previous } = slotFiles(directory, 1);
    assert.equal(file.path, current);
    assert.ok(fs.statSync(current).size <= 4096, `current ${fs.statSync(current).size}`);
    assert.ok(fs.statSync(previous).size <= 4096, `previous ${fs.statSync(previous).size}`);
    assert.ok(fs.statSync(previous).size > 4096 - 200, 'the previous file was filled before rotating');
    // Both files together are the end of what was written, without a gap.
    const lines = `${fs.readFileSync(previous, 'utf8')}${fs.readFileSync(current, 'utf8')}`
      .trimEnd()
      .split('\n');
    const numbers = lines.map((l) => Number(/ line (\d+) /.exec(l)?.[1]));
    assert.equal(numbers.at(-1), 499);
    for (let i = 1; i < numbers.length; i += 1) assert.equal(numbers[i], (numbers[i - 1] as number) + 1);
    assert.match(lines[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[entry-hw-server\] warning: line/);
    file.close();
  });

  it('keeps appending to the file of an earlier run, within the same bound', () => {
    const directory = freshFolder();
    const first = LogFile.open({ directory, maxFileBytes: 4096 });
    first.write('[entry-hw-server] first run');
    first.close();
    const second = LogFile.open({ directory, maxFileBytes: 4096 });
    second.write('[entry-hw-server] second run');
    assert.deepEqual(
      second.tail(2).map((l) => l.slice(25)),
      ['[entry-hw-server] first run', '[entry-hw-server] second run'],
    );
    for (let i = 0; i < 300; i += 1) second.write(line(i));
    assert.ok(folderBytes(directory) <= 2 * 4096);
    second.close();
  });

  it('bounds a folder: copies take slots 1..MAX_SLOTS, one more runs without a file', () => {
    const directory = freshFolder();
    const files = Array.from({ length: MAX_SLOTS + 1 }, (_, i) =>
      LogFile.open({ directory, maxFileBytes: 2048, pid: 1000 + i, isAlive: () => true }),
    );
    assert.deepEqual(
      files.map((f) => f.slot),
      [1, 2, 3, 4, 0],
    );
    assert.equal(files[1]?.path, join(directory, 'entry-hw-server-2.log'));
    assert.equal(files[MAX_SLOTS]?.path, undefined);
    assert.match(files[MAX_SLOTS]?.problem ?? '', /other servers already write logs/);
    for (let i = 0; i < 2000; i += 1) for (const f of files) f.write(line(i));
    assert.ok(folderBytes(directory) <= MAX_SLOTS * 2 * 2048, `${folderBytes(directory)} bytes`);
    assert.ok(folderBytes(directory) > MAX_SLOTS * 2048, 'every slot was written');
    // A closed copy gives its slot back; the next one takes it.
    files[1]?.close();
    assert.equal(fs.existsSync(slotFiles(directory, 2).lock), false);
    const next = LogFile.open({ directory, pid: 2000, isAlive: () => true });
    assert.equal(next.slot, 2);
    for (const f of [...files, next]) f.close();
  });

  it('takes over the slot of a process that is gone', () => {
    const directory = freshFolder();
    fs.mkdirSync(directory);
    fs.writeFileSync(slotFiles(directory, 1).lock, '4242\n');
    const alive = LogFile.open({ directory, pid: 7, isAlive: (pid) => pid !== 4242 });
    assert.equal(alive.slot, 1);
    assert.equal(fs.readFileSync(slotFiles(directory, 1).lock, 'utf8'), '7\n');
    alive.close();
    // The same lock held by a live process is left alone.
    fs.writeFileSync(slotFiles(directory, 1).lock, '4242\n');
    const second = LogFile.open({ directory, pid: 8, isAlive: () => true });
    assert.equal(second.slot, 2);
    second.close();
  });

  it('an unwritable folder: no throw, one report, lines counted, written once it works again', () => {
    // A regular file where the folder should be: neither the folder nor the file can be made,
    // even by root (who ignores a read-only mode).
    const directory = freshFolder();
    fs.writeFileSync(directory, 'not a folder');
    let t = 1_000_000;
    const reports: string[] = [];
    const file = LogFile.open({ directory, now: () => t, onError: (m) => reports.push(m) });
    for (let i = 0; i < 50; i += 1) file.write(line(i));
    assert.equal(reports.length, 1, reports.join('\n'));
    assert.match(reports[0] ?? '', /cannot write the log file \((ENOTDIR|EEXIST|ENOENT)/);
    assert.ok(file.problem);
    assert.deepEqual(file.tail(10), []);
    // Fixed, but the retry time has not come: nothing is tried yet.
    fs.rmSync(directory);
    file.write(line(50));
    assert.equal(fs.existsSync(directory), false);
    t += RETRY_MS;
    file.write(line(51));
    const lines = file.tail(10);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0] ?? '', /warning: 51 lines were not written to this file \((ENOTDIR|EEXIST|ENOENT)/);
    assert.match(lines[1] ?? '', / line 51 /);
    assert.equal(file.problem, undefined);
    file.close();
  });

  it('a read-only folder (not as root): rotation fails, nothing grows, the writer goes on', {
    skip:
      isRoot || process.platform === 'win32' ? 'root ignores modes; Windows has no read-only folders' : false,
  }, () => {
    const directory = freshFolder();
    const reports: string[] = [];
    const file = LogFile.open({ directory, maxFileBytes: 2048, onError: (m) => reports.push(m) });
    file.write(line(0));
    fs.chmodSync(directory, 0o555);
    try {
      for (let i = 1; i < 200; i += 1) file.write(line(i));
      assert.ok(fs.statSync(slotFiles(directory, 1).current).size <= 2048);
      assert.equal(fs.existsSync(slotFiles(directory, 1).previous), false);
      assert.equal(reports.length, 1);
      assert.match(reports[0] ?? '', /EACCES|EPERM/);
    } finally {
      fs.chmodSync(directory, 0o700);
      file.close();
    }
  });

  it('a full disk (ENOSPC through the fs seam): no throw, one report, retried after RETRY_MS', () => {
    const directory = freshFolder();
    let full = false;
    const fullDisk: LogFs = {
      ...fs,
      writeSync: ((fd: number, buffer: Uint8Array, offset?: number) => {
        if (full)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return fs.writeSync(fd, buffer, offset);
      }) as LogFs['writeSync'],
    };
    let t = 5_000_000;
    const reports: string[] = [];
    const file = LogFile.open({ directory, fs: fullDisk, now: () => t, onError: (m) => reports.push(m) });
    file.write('[entry-hw-server] before');
    full = true;
    for (let i = 0; i < 100; i += 1) file.write(line(i));
    assert.equal(reports.length, 1);
    assert.match(reports[0] ?? '', /ENOSPC/);
    assert.match(file.problem ?? '', /ENOSPC/);
    t += RETRY_MS - 1;
    file.write(line(100)); // still closed: not even tried
    full = false;
    file.write(line(101));
    t += 1;
    file.write('[entry-hw-server] after');
    assert.deepEqual(
      file.tail(3).map((l) => l.slice(25)),
      [
        '[entry-hw-server] before',
        '[entry-hw-server] warning: 102 lines were not written to this file (ENOSPC on ' +
          `${slotFiles(directory, 1).current})`,
        '[entry-hw-server] after',
      ],
    );
    // A second spell of the same failure is not reported again.
    full = true;
    file.write('lost');
    assert.equal(reports.length, 1);
    file.close();
  });

  it('a deleted folder is made again at the next check, with its lock', () => {
    const directory = freshFolder();
    let t = 9_000_000;
    const file = LogFile.open({ directory, now: () => t });
    file.write('[entry-hw-server] before');
    fs.rmSync(directory, { recursive: true });
    t += RETRY_MS;
    file.write('[entry-hw-server] after');
    assert.deepEqual(
      file.tail(5).map((l) => l.slice(25)),
      ['[entry-hw-server] after'],
    );
    assert.equal(fs.readFileSync(slotFiles(directory, 1).lock, 'utf8'), `${process.pid}\n`);
    file.close();
  });

  it('tail: the last lines across both files, oldest first, UTF-8 intact across read chunks', () => {
    const directory = freshFolder();
    const file = LogFile.open({ directory, maxFileBytes: 200 * 1024 });
    assert.deepEqual(file.tail(5), []);
    const text = (i: number) => `[entry-hw-server] 한국어 줄 ${i} ${'가'.repeat(i % 50)}`;
    for (let i = 0; i < 3000; i += 1) file.write(text(i));
    assert.ok(fs.existsSync(slotFiles(directory, 1).previous), 'rotated');
    const all =
      `${fs.readFileSync(slotFiles(directory, 1).previous, 'utf8')}${fs.readFileSync(slotFiles(directory, 1).current, 'utf8')}`
        .trimEnd()
        .split('\n');
    assert.ok(all.length > 1000, `${all.length} lines`);
    for (const n of [1, 10, 500, 1000]) assert.deepEqual(file.tail(n), all.slice(-n), `tail(${n})`);
    assert.equal(file.tail(1)[0]?.slice(25), text(2999));
    assert.equal(file.tail(5000).length, 1000, 'at most MAX_TAIL_LINES');
    assert.deepEqual(file.tail(0), []);
    assert.deepEqual(file.tail(-3), []);
    file.close();
  });
});

describe('log folder', () => {
  const base = { env: {}, home: '/home/kim', tmp: '/tmp', user: 'kim' };
  it('per platform: Local app data, Library/Logs, XDG state', () => {
    assert.equal(
      defaultLogDirectory({
        ...base,
        platform: 'win32',
        home: 'C:\\Users\\kim',
        env: { LOCALAPPDATA: 'C:\\Users\\kim\\AppData\\Local' },
      }),
      'C:\\Users\\kim\\AppData\\Local\\entry-hw-server\\logs',
    );
    assert.equal(
      defaultLogDirectory({ ...base, platform: 'win32', home: 'C:\\Users\\kim' }),
      'C:\\Users\\kim\\AppData\\Local\\entry-hw-server\\logs',
    );
    assert.equal(
      defaultLogDirectory({ ...base, platform: 'darwin', home: '/Users/kim' }),
      '/Users/kim/Library/Logs/entry-hw-server',
    );
    assert.equal(
      defaultLogDirectory({ ...base, platform: 'linux' }),
      '/home/kim/.local/state/entry-hw-server',
    );
    assert.equal(
      defaultLogDirectory({ ...base, platform: 'linux', env: { XDG_STATE_HOME: '/srv/state' } }),
      '/srv/state/entry-hw-server',
    );
    // A relative XDG_STATE_HOME is invalid (the spec): ignored.
    assert.equal(
      defaultLogDirectory({ ...base, platform: 'linux', env: { XDG_STATE_HOME: 'state' } }),
      '/home/kim/.local/state/entry-hw-server',
    );
    assert.equal(defaultLogDirectory({ ...base, platform: 'linux', home: '' }), '/tmp/entry-hw-server-kim');
  });
  it('ENTRY_HW_LOG_DIR: off, a folder, or the default', () => {
    const input = { ...base, platform: 'linux' as const };
    assert.equal(logDirectory('off', input), undefined);
    assert.equal(logDirectory(' OFF ', input), undefined);
    assert.equal(logDirectory('/var/tmp/logs', input), '/var/tmp/logs');
    assert.equal(logDirectory('', input), '/home/kim/.local/state/entry-hw-server');
    assert.equal(logDirectory(undefined, input), '/home/kim/.local/state/entry-hw-server');
    assert.equal(logDirectory('rel', input), join(process.cwd(), 'rel'));
  });
});

describe('console output', () => {
  /** A stream that fails like a closed pipe: the write is accepted, the error comes later. */
  class ClosedPipe extends EventEmitter {
    writes = 0;
    write(): boolean {
      this.writes += 1;
      setImmediate(() => this.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
      return true;
    }
  }
  it('a failing stream is reported once and never written again; the other goes on', async () => {
    const stdout = new ClosedPipe();
    const stderr = {
      lines: [] as string[],
      on: () => stderr,
      write: (s: string) => stderr.lines.push(s) > 0,
    };
    const broken: string[] = [];
    const output = new ConsoleOutput({
      stdout: stdout as never,
      stderr: stderr as never,
      onBroken: (name, error) => broken.push(`${name} ${(error as NodeJS.ErrnoException).code}`),
    });
    output.write('info', 'one');
    await new Promise((resolve) => setImmediate(resolve));
    output.write('info', 'two');
    output.write('warn', 'a warning');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stdout.writes, 1);
    assert.deepEqual(broken, ['stdout EPIPE']);
    assert.deepEqual(stderr.lines, ['a warning\n']);
    assert.equal(output.isBroken('stdout'), true);
    assert.equal(output.isBroken('stderr'), false);
  });
  it('a stream that throws on write is marked broken, not rethrown', () => {
    const throwing = {
      on: () => throwing,
      write: () => {
        throw new Error('EBADF');
      },
    };
    const broken: string[] = [];
    const output = new ConsoleOutput({
      stdout: throwing as never,
      stderr: throwing as never,
      onBroken: (name) => broken.push(name),
    });
    output.write('error', 'x');
    output.write('error', 'y');
    assert.deepEqual(broken, ['stderr']);
  });
});
