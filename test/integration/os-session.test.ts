// The OS-session lookup (src/os-session, docs/SESSIONS.md) against the real
// OS. On any platform: this process's own connections are its own session, an unknown port is
// unknown, a closed socket is not looked up (the test a native CI job runs on Windows and macOS).
// On Linux as root: two OS users are created for the test; a host runs as one of them, without
// privileges, and names the true uid of connections from root, from the other user (IPv4 and a
// dual-stack socket) and from its own user; a connection that left (TIME_WAIT, uid 0) is unknown.
// The lsof mechanism (macOS's) runs too when lsof is installed: as an unprivileged user it sees its
// own user's sockets only, as on macOS. Not root: skipped with the reason; root without useradd or
// runuser: skipped, except under CI, where it fails.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../../harness/server-process';
import { until } from '../../harness/util';
import { lsofSessionTable } from '../../src/os-session/lsof-table';
import { createSessionLookup, lookupWith } from '../../src/os-session/session-lookup';

/** Where lsof is, if installed (Debian: /usr/bin/lsof; macOS: /usr/sbin/lsof). */
const LSOF = ['/usr/bin/lsof', '/usr/sbin/lsof'].find((path) => existsSync(path));

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']))
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  return undefined;
}

/** Whether the real-users suite can run here, and why not. */
function usersAvailability(): { skip?: string; failure?: string } {
  if (process.platform !== 'linux')
    return { skip: 'skipped: OS users are created for this test on Linux only' };
  if (process.getuid?.() !== 0) return { skip: 'skipped: creating OS users needs root (CI runs as root)' };
  const missing = ['useradd', 'userdel', 'runuser'].filter((command) => !which(command));
  if (missing.length === 0) return {};
  const why = `${missing.join(', ')} not installed (Debian: passwd, util-linux)`;
  return process.env.CI
    ? { failure: `on CI as root the real-users test must run, but ${why}` }
    : { skip: `skipped: ${why}` };
}

function runsAsOverflowUid(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return Number(readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim()) === process.geteuid?.();
  } catch {
    return process.geteuid?.() === 65534;
  }
}

async function serverWithSockets(): Promise<{ server: Server; port: number; accepted: Socket[] }> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => {});
    accepted.push(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, accepted };
}

describe('OS-session lookup on this machine, its own connections (every platform)', () => {
  const lookup = createSessionLookup({ timeoutMs: 5000 });

  it('names this process’s own session for its own connection, over IPv4 and a dual-stack socket', async (t) => {
    if (lookup.mechanism === 'none') return t.skip(`no mechanism on ${process.platform}`);
    const { server, port, accepted } = await serverWithSockets();
    const clients = [connect(port, '127.0.0.1'), connect({ port, host: '::ffff:127.0.0.1' })];
    try {
      await until(() => accepted.length === 2, { describe: () => 'two accepted connections' });
      const own = await lookup.own();
      assert.equal(own.known, true, JSON.stringify(own));
      // Run as the overflow uid (Linux's "nobody"), a socket names no one: several users can show as it.
      const expected = runsAsOverflowUid() ? { known: false, reason: 'unresolved' } : own;
      for (const socket of accepted)
        assert.deepEqual(await lookup.ofClient(socket), expected, `port ${socket.remotePort}`);
    } finally {
      for (const client of clients) client.destroy();
      server.close();
    }
  });

  it('answers not-found for a port nobody connects from, and closed for a socket that closed', async (t) => {
    if (lookup.mechanism === 'none') return t.skip(`no mechanism on ${process.platform}`);
    const { server, port, accepted } = await serverWithSockets();
    const client = connect(port, '127.0.0.1');
    try {
      await until(() => accepted.length === 1, { describe: () => 'an accepted connection' });
      const socket = accepted[0] as Socket;
      const nobody = {
        localAddress: '127.0.0.1',
        localPort: port,
        remoteAddress: '127.0.0.1',
        remotePort: 1,
      };
      assert.deepEqual(await lookup.ofClient(nobody), { known: false, reason: 'not-found' });
      socket.destroy();
      assert.deepEqual(await lookup.ofClient(socket), { known: false, reason: 'closed' });
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('lsof (the macOS mechanism) names this process’s own connection too', async (t) => {
    if (process.platform === 'win32') return t.skip('no lsof on Windows');
    if (!LSOF) return t.skip('lsof is not installed');
    const platform = process.platform === 'darwin' ? 'darwin' : 'linux';
    const viaLsof = lookupWith(lsofSessionTable({ lsofPath: LSOF, platform }), 10_000);
    const { server, port, accepted } = await serverWithSockets();
    const client = connect(port, '127.0.0.1');
    try {
      await until(() => accepted.length === 1, { describe: () => 'an accepted connection' });
      assert.deepEqual(await viaLsof.ofClient(accepted[0] as Socket), {
        known: true,
        session: { platform, uid: process.geteuid?.() },
      });
    } finally {
      client.destroy();
      server.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

interface TestUser {
  name: string;
  uid: number;
}

/** A child process whose stdout is JSON lines, collected. */
interface LineChild {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: string[];
}

function spawnLines(command: string, args: string[]): LineChild {
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const result: LineChild = { child, lines: [], stderr: [] };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      result.lines.push(JSON.parse(line));
    } catch {
      result.stderr.push(`stdout: ${line}`);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => result.stderr.push(text));
  return result;
}

/** Ends a child we started: close its stdin (it exits by itself), then SIGKILL by its PID if needed. */
async function stop(line: LineChild | undefined): Promise<void> {
  if (!line || line.child.exitCode !== null || line.child.signalCode !== null) return;
  const exited = once(line.child, 'exit');
  line.child.stdin?.end();
  const timer = setTimeout(() => line.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** The TCP state (hex) of the row from 127.0.0.1:<from> to 127.0.0.1:<to> in /proc/net/tcp, if any. */
function procState(from: number, to: number): string | undefined {
  const hex = (port: number) => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === hex(from) && fields[2] === hex(to)) return fields[3];
  }
  return undefined;
}

const CLIENT_SCRIPT = `
const net = require('net');
const [port, host, label] = process.argv.slice(1);
const socket = net.connect({ port: Number(port), host }, () => {
  socket.write(label + '\\n');
  process.stdout.write(JSON.stringify({ localPort: socket.localPort }) + '\\n');
});
socket.on('error', (error) => { console.error(error.message); process.exit(2); });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const availability = usersAvailability();
if (availability.skip) console.log(`os-session real users: ${availability.skip}`);

describe('OS-session lookup with real OS users (Linux, root)', { skip: availability.skip }, () => {
  const users: TestUser[] = [];
  const children: LineChild[] = [];
  let host: LineChild;
  let port: number;
  let hostUser: TestUser;
  let student: TestUser;

  function createUser(): TestUser {
    const name = `ehs21${randomBytes(3).toString('hex')}`;
    execFileSync('useradd', ['--create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
    const user = { name, uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim()) };
    users.push(user);
    return user;
  }

  function explain(): string {
    return [host, ...children].map((c) => `${JSON.stringify(c.lines)}\n${c.stderr.join('')}`).join('\n---\n');
  }

  async function answerFor(label: string): Promise<Record<string, unknown>> {
    return until(() => host.lines.find((line) => line.label === label), {
      timeoutMs: 15_000,
      describe: () => `the host's lookup for ${label}`,
      explain,
    });
  }

  /** A client connection run as `user` (root when undefined), labelled. */
  async function clientAs(
    user: TestUser | undefined,
    label: string,
    address = '127.0.0.1',
  ): Promise<LineChild> {
    const args = [process.execPath, '-e', CLIENT_SCRIPT, String(port), address, label];
    const client = user
      ? spawnLines('runuser', ['-u', user.name, '--', ...args])
      : spawnLines(args[0] as string, args.slice(1));
    children.push(client);
    await until(() => client.lines[0], {
      timeoutMs: 15_000,
      describe: () => `client ${label} connected`,
      explain,
    });
    return client;
  }

  before(async () => {
    assert.equal(availability.failure, undefined, availability.failure);
    hostUser = createUser();
    student = createUser();
    assert.notEqual(hostUser.uid, student.uid);
    const env = LSOF ? ['env', `ENTRY_HW_TEST_LSOF=${LSOF}`] : [];
    host = spawnLines('runuser', [
      '-u',
      hostUser.name,
      '--',
      ...env,
      process.execPath,
      '--import',
      'tsx',
      join(REPO_ROOT, 'test/helpers/os-session-host.ts'),
    ]);
    const ready = await until(() => host.lines.find((line) => line.ready), {
      timeoutMs: 30_000,
      describe: () => 'the host (run as a test user) listening',
      explain,
    });
    port = ready.port as number;
    assert.equal(ready.uid, hostUser.uid, 'the host runs as the test user, without privileges');
  });

  after(async () => {
    for (const child of children) await stop(child);
    await stop(host);
    for (const user of users) {
      try {
        execFileSync('userdel', ['--remove', user.name], { stdio: 'pipe' });
      } catch (error) {
        console.log(`os-session: userdel ${user.name} failed: ${(error as Error).message}`);
      }
    }
  });

  it('the host knows its own session: its uid', async () => {
    const ready = host.lines.find((line) => line.ready) as Record<string, unknown>;
    assert.deepEqual(ready.own, { known: true, session: { platform: 'linux', uid: hostUser.uid } });
  });

  it('an unprivileged host names the true uid of every connection: root, another user, its own user', async () => {
    await clientAs(undefined, 'root');
    await clientAs(student, 'student');
    await clientAs(student, 'student-dual-stack', '::ffff:127.0.0.1');
    await clientAs(hostUser, 'host-user');
    const expected: [string, number][] = [
      ['root', 0],
      ['student', student.uid],
      ['student-dual-stack', student.uid],
      ['host-user', hostUser.uid],
    ];
    for (const [label, uid] of expected)
      assert.deepEqual(
        (await answerFor(label)).proc,
        { known: true, session: { platform: 'linux', uid } },
        label,
      );
  });

  it('lsof as an unprivileged user sees only its own user’s sockets, as on macOS: the others are not found', async (t) => {
    if (!LSOF) return t.skip('lsof is not installed');
    assert.deepEqual((await answerFor('host-user')).lsof, {
      known: true,
      session: { platform: 'linux', uid: hostUser.uid },
    });
    for (const label of ['root', 'student', 'student-dual-stack'])
      assert.deepEqual((await answerFor(label)).lsof, { known: false, reason: 'not-found' }, label);
  });

  it('a connection that left (its port in TIME_WAIT, shown as uid 0) and a port never used are unknown', async () => {
    const leaving = await clientAs(student, 'leaving');
    const clientPort = (leaving.lines[0] as { localPort: number }).localPort;
    assert.deepEqual((await answerFor('leaving')).proc, {
      known: true,
      session: { platform: 'linux', uid: student.uid },
    });
    await stop(leaving);
    // The student's end closed first, so its row is now in TIME_WAIT (06): uid 0, no inode.
    await until(() => procState(clientPort, port) === '06', {
      describe: () => `port ${clientPort} in TIME_WAIT (now ${procState(clientPort, port)})`,
    });
    host.child.stdin?.write(`lookup ${clientPort}\n`);
    const answer = await until(() => host.lines.find((line) => line.lookup === clientPort), {
      describe: () => 'the lookup of the port that left',
      explain,
    });
    assert.deepEqual(answer.proc, { known: false, reason: 'not-found' });
    host.child.stdin?.write('lookup 1\n');
    const never = await until(() => host.lines.find((line) => line.lookup === 1), { explain });
    assert.deepEqual(never.proc, { known: false, reason: 'not-found' });
  });
});
