// The OS-session lookup (src/os-session, docs/SESSIONS.md) on recorded output of each platform's
// tools (test/helpers/os-session-samples.ts): the identity and its wire form, each parser, each
// mechanism through the one SessionLookup interface, and every failure answering "unknown".
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type AcceptedConnection,
  canonicalAddress,
  connectionEnds,
  parseEndpoint,
} from '../../src/os-session/endpoint';
import { FreshReads } from '../../src/os-session/fresh-reads';
import {
  describeAnswer,
  describeSession,
  parseSessionIdentity,
  type SessionAnswer,
  type SessionIdentity,
  sameSession,
} from '../../src/os-session/identity';
import { parseLsofFields } from '../../src/os-session/lsof';
import { parseNetstat } from '../../src/os-session/netstat';
import { parseProcNetTcp } from '../../src/os-session/proc-net-tcp';
import {
  type CommandResult,
  MAX_COMMAND_OUTPUT,
  type RunCommand,
  runCommand,
} from '../../src/os-session/run-command';
import { createSessionLookup, decideOwner, lookupWith } from '../../src/os-session/session-lookup';
import type { SessionTable, TableRead } from '../../src/os-session/table';
import { parseCount, parseCsvLine, parseTasklistCsv } from '../../src/os-session/tasklist';
import { windowsSnapshot } from '../../src/os-session/windows';
import {
  HOST_PID,
  LSOF_DARWIN,
  LSOF_WITHOUT_FD_LINES,
  NETSTAT_BOTH_FAMILIES,
  NETSTAT_DE,
  NETSTAT_EN,
  NETSTAT_KO,
  PROC_NET_TCP,
  PROC_NET_TCP_BIG_ENDIAN,
  PROC_NET_TCP6,
  SERVER_PORT,
  TASKLIST_DE,
  TASKLIST_EN,
  TASKLIST_FR,
  TASKLIST_KO,
  TASKLIST_NONE_EN,
  TASKLIST_NONE_KO,
  TASKLIST_OWN,
} from '../helpers/os-session-samples';

/** The host's accepted socket for a tab on `clientPort`, as net.Socket shows it. */
function accepted(
  clientPort: number,
  clientAddress = '127.0.0.1',
  serverAddress = '127.0.0.1',
): AcceptedConnection {
  return {
    localAddress: serverAddress,
    localPort: SERVER_PORT,
    remoteAddress: clientAddress,
    remotePort: clientPort,
  };
}

const linux = (uid: number): SessionIdentity => ({ platform: 'linux', uid });
const darwin = (uid: number): SessionIdentity => ({ platform: 'darwin', uid });
const win = (sessionId: number): SessionIdentity => ({ platform: 'win32', sessionId });
const known = (session: SessionIdentity): SessionAnswer => ({ known: true, session });

function reasonOf(answer: SessionAnswer): string {
  assert.equal(answer.known, false, `expected unknown, got ${describeAnswer(answer)}`);
  return (answer as { reason: string }).reason;
}

/** A never-settling promise. */
const forever = <T>() => new Promise<T>(() => {});

describe('session identity', () => {
  it('is equal only for the same platform and number; absent equals nothing', () => {
    assert.equal(sameSession(linux(1001), linux(1001)), true);
    assert.equal(sameSession(linux(1001), linux(1002)), false);
    assert.equal(sameSession(linux(501), darwin(501)), false);
    assert.equal(sameSession(win(3), win(3)), true);
    assert.equal(sameSession(win(3), win(4)), false);
    assert.equal(sameSession(win(0), linux(0)), false);
    assert.equal(sameSession(undefined, undefined), false);
    assert.equal(sameSession(linux(0), undefined), false);
  });

  it('survives the wire: JSON out and the strict parser back in', () => {
    for (const id of [linux(0), linux(1001), darwin(501), win(0), win(4_294_967_294)])
      assert.deepEqual(parseSessionIdentity(JSON.parse(JSON.stringify(id))), id);
    assert.deepEqual(
      parseSessionIdentity(Object.assign(Object.create(null), { platform: 'linux', uid: 7 })),
      linux(7),
    );
    assert.ok(Object.is((parseSessionIdentity({ platform: 'linux', uid: -0 }) as { uid: number }).uid, 0));
  });

  it('rejects every other shape', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'linux:1001',
      1001,
      [],
      ['linux', 1001],
      {},
      { platform: 'linux' },
      { uid: 1001 },
      { platform: 'linux', uid: '1001' },
      { platform: 'linux', uid: 1001.5 },
      { platform: 'linux', uid: -1 },
      { platform: 'linux', uid: 4_294_967_295 },
      { platform: 'linux', uid: Number.NaN },
      { platform: 'linux', uid: Number.POSITIVE_INFINITY },
      { platform: 'linux', uid: 1001, extra: true },
      { platform: 'linux', sessionId: 3 },
      { platform: 'win32', uid: 3 },
      { platform: 'win32', sessionId: 3, uid: 3 },
      { platform: 'freebsd', uid: 1001 },
      { platform: 'Linux', uid: 1001 },
      JSON.parse('{"platform":"linux","uid":1,"__proto__":{"x":1}}'),
      Object.assign(new (class Identity {})(), { platform: 'linux', uid: 1 }),
      Object.assign({ platform: 'linux', uid: 1 }, { [Symbol('s')]: 1 }),
    ];
    for (const value of bad)
      assert.equal(parseSessionIdentity(value), undefined, JSON.stringify(value) ?? String(value));
  });

  it('describes itself with a number only', () => {
    assert.equal(describeSession(linux(1001)), 'uid 1001');
    assert.equal(describeSession(win(3)), 'Windows session 3');
    assert.equal(describeAnswer({ known: false, reason: 'timeout' }), 'unknown (timeout)');
  });
});

describe('connection ends', () => {
  it('puts addresses in one form', () => {
    assert.equal(canonicalAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('0:0:0:0:0:FFFF:7F00:0001'), '127.0.0.1');
    assert.equal(canonicalAddress('[0:0:0:0:0:0:0:1]'), '::1');
    assert.equal(canonicalAddress('fe80::1%4'), undefined);
    assert.equal(canonicalAddress('localhost'), undefined);
    assert.deepEqual(parseEndpoint('[::1]:23518'), { address: '::1', port: 23518 });
    assert.deepEqual(parseEndpoint('127.0.0.1:50123'), { address: '127.0.0.1', port: 50123 });
    for (const text of [
      '0.0.0.0:0',
      '*:*',
      '*:23518',
      '::1:23518',
      '127.0.0.1',
      '127.0.0.1:99999',
      'host:80',
    ])
      assert.equal(parseEndpoint(text), undefined, text);
  });

  it('takes the ends of a loopback socket, and nothing from a closed or remote one', () => {
    assert.deepEqual(connectionEnds(accepted(50123, '::ffff:127.0.0.1')), {
      ends: {
        server: { address: '127.0.0.1', port: SERVER_PORT },
        client: { address: '127.0.0.1', port: 50123 },
      },
    });
    assert.deepEqual(connectionEnds({ ...accepted(50123), destroyed: true }), { problem: 'closed' });
    assert.deepEqual(connectionEnds({ localAddress: '127.0.0.1', localPort: SERVER_PORT }), {
      problem: 'closed',
    });
    assert.deepEqual(connectionEnds(accepted(0)), { problem: 'closed' });
    assert.deepEqual(connectionEnds(accepted(50123, '10.0.0.77')), { problem: 'not-loopback' });
    assert.deepEqual(connectionEnds(accepted(50123, '127.0.0.1', '0.0.0.0')), { problem: 'not-loopback' });
  });
});

describe('the answer for the matching rows', () => {
  it('is the one owner, else unknown with why', () => {
    assert.deepEqual(decideOwner([linux(5)]), known(linux(5)));
    assert.deepEqual(decideOwner([linux(5), linux(5)]), known(linux(5)));
    assert.equal(reasonOf(decideOwner([])), 'not-found');
    assert.equal(reasonOf(decideOwner([linux(5), linux(6)])), 'ambiguous');
    assert.equal(reasonOf(decideOwner(['unresolved'])), 'unresolved');
    assert.equal(reasonOf(decideOwner([linux(5), 'unresolved'])), 'unresolved');
  });
});

// ---------------------------------------------------------------------------------------------

/** A readText over recorded files; a path that is not recorded fails as the missing file would. */
function recordedFiles(files: Record<string, string | Error | 'hang'>) {
  const reads: string[] = [];
  const readText = (path: string, signal: AbortSignal) => {
    reads.push(path);
    const content = files[path];
    if (content === 'hang')
      return new Promise<string>((_resolve, reject) =>
        signal.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
        ),
      );
    if (content instanceof Error) return Promise.reject(content);
    if (content === undefined)
      return Promise.reject(Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' }));
    return Promise.resolve(content);
  };
  return { reads, readText };
}

function linuxLookup(files: Record<string, string | Error | 'hang'>, timeoutMs = 500) {
  const recorded = recordedFiles({ '/proc/sys/kernel/overflowuid': '65534\n', ...files });
  const lookup = createSessionLookup({
    platform: 'linux',
    timeoutMs,
    linux: { readText: recorded.readText, littleEndian: true, ownUid: 1001 },
  });
  return { lookup, reads: recorded.reads };
}

describe('Linux: /proc/net/tcp and tcp6', () => {
  it('parses rows, and only those of the port asked for', () => {
    const rows = parseProcNetTcp(PROC_NET_TCP, { littleEndian: true, port: SERVER_PORT }) ?? [];
    assert.equal(rows.length, 9); // not sshd, not 50124 -> 8080
    assert.deepEqual(rows[4], {
      local: { address: '127.0.0.1', port: 50123 },
      remote: { address: '127.0.0.1', port: SERVER_PORT },
      state: 1,
      uid: 1002,
      inode: 470217,
    });
    assert.equal(parseProcNetTcp(PROC_NET_TCP, { littleEndian: true })?.length, 11);
    // Only the client ends of connections to the server: remote port 23518.
    assert.deepEqual(
      parseProcNetTcp(PROC_NET_TCP, { littleEndian: true, remotePort: SERVER_PORT })?.map(
        (row) => row.local.port,
      ),
      [50121, 50123, 50124, 50125, 50128],
    );
    const v6 = parseProcNetTcp(PROC_NET_TCP6, { littleEndian: true }) ?? [];
    assert.deepEqual(
      v6.map((row) => `${row.local.address}:${row.local.port}`),
      ['127.0.0.1:50126', '::1:23518', '::1:50127', '::1:23518'],
    );
  });

  it('names the user of the browser end, not the host that holds the other end', async () => {
    const { lookup } = linuxLookup({ '/proc/net/tcp': PROC_NET_TCP, '/proc/net/tcp6': PROC_NET_TCP6 });
    assert.equal(lookup.mechanism, 'proc-net-tcp');
    assert.deepEqual(await lookup.ofClient(accepted(50123)), known(linux(1002)));
    assert.deepEqual(await lookup.ofClient(accepted(50121)), known(linux(1001)));
    assert.deepEqual(await lookup.own(), known(linux(1001)));
  });

  it('finds a dual-stack browser socket in tcp6 and a ::1 client, however the server names the address', async () => {
    const { lookup } = linuxLookup({ '/proc/net/tcp': PROC_NET_TCP, '/proc/net/tcp6': PROC_NET_TCP6 });
    assert.deepEqual(await lookup.ofClient(accepted(50126)), known(linux(1005)));
    assert.deepEqual(await lookup.ofClient(accepted(50126, '::ffff:127.0.0.1')), known(linux(1005)));
    assert.deepEqual(await lookup.ofClient(accepted(50127, '::1', '::1')), known(linux(1006)));
  });

  it('never takes a TIME_WAIT row (uid 0) or a row towards another server for the browser', async () => {
    const { lookup } = linuxLookup({ '/proc/net/tcp': PROC_NET_TCP, '/proc/net/tcp6': PROC_NET_TCP6 });
    assert.equal(reasonOf(await lookup.ofClient(accepted(50124))), 'not-found');
  });

  it('gives no owner for a closing browser, an unmapped uid, or a port with no row', async () => {
    const { lookup } = linuxLookup({ '/proc/net/tcp': PROC_NET_TCP, '/proc/net/tcp6': PROC_NET_TCP6 });
    assert.equal(reasonOf(await lookup.ofClient(accepted(50125))), 'not-found');
    assert.equal(reasonOf(await lookup.ofClient(accepted(50128))), 'unresolved');
    assert.equal(reasonOf(await lookup.ofClient(accepted(50199))), 'not-found');
  });

  it('is ambiguous when the same client end shows two users, and agrees when it shows one', async () => {
    const twin = (uid: number) =>
      `${PROC_NET_TCP}  11: 0100007F:C3CB 0100007F:5BDE 01 00000000:00000000 00:00000000 00000000  ${uid}        0 480000 1 00000000aa11bb66 20 0 0 10 -1\n`;
    assert.equal(
      reasonOf(await linuxLookup({ '/proc/net/tcp': twin(1003) }).lookup.ofClient(accepted(50123))),
      'ambiguous',
    );
    assert.deepEqual(
      await linuxLookup({ '/proc/net/tcp': twin(1002) }).lookup.ofClient(accepted(50123)),
      known(linux(1002)),
    );
  });

  it('reads big-endian words', async () => {
    const recorded = recordedFiles({ '/proc/net/tcp': PROC_NET_TCP_BIG_ENDIAN });
    const lookup = createSessionLookup({
      platform: 'linux',
      linux: { readText: recorded.readText, littleEndian: false, overflowUid: 65534 },
    });
    assert.deepEqual(await lookup.ofClient(accepted(50123)), known(linux(1002)));
    // The same text read as little-endian names 1.0.0.127, which no loopback socket has.
    assert.equal(
      parseProcNetTcp(PROC_NET_TCP_BIG_ENDIAN, { littleEndian: true })?.[1]?.local.address,
      '1.0.0.127',
    );
  });

  it('works without tcp6 (IPv6 off)', async () => {
    const { lookup, reads } = linuxLookup({ '/proc/net/tcp': PROC_NET_TCP });
    assert.deepEqual(await lookup.ofClient(accepted(50123)), known(linux(1002)));
    assert.ok(reads.includes('/proc/net/tcp6'));
  });

  it('answers unknown when the table cannot be read, is of another format, or takes too long', async () => {
    const denied = Object.assign(new Error('EACCES'), { code: 'EACCES' });
    assert.equal(
      reasonOf(await linuxLookup({ '/proc/net/tcp': denied }).lookup.ofClient(accepted(50123))),
      'failed',
    );
    assert.equal(reasonOf(await linuxLookup({}).lookup.ofClient(accepted(50123))), 'failed');
    assert.equal(
      reasonOf(
        await linuxLookup({ '/proc/net/tcp': PROC_NET_TCP, '/proc/net/tcp6': denied }).lookup.ofClient(
          accepted(50123),
        ),
      ),
      'failed',
    );
    for (const garbage of [
      '',
      'garbage\n',
      '<html>\n',
      PROC_NET_TCP.replace('0100007F:C3CB', '0100007G:C3CB'),
    ])
      assert.equal(
        reasonOf(await linuxLookup({ '/proc/net/tcp': garbage }).lookup.ofClient(accepted(50123))),
        'failed',
        JSON.stringify(garbage.slice(0, 20)),
      );
    const rowsCut = PROC_NET_TCP.split('\n')
      .map((line, i) => (i === 5 ? line.slice(0, 40) : line))
      .join('\n');
    assert.equal(
      reasonOf(await linuxLookup({ '/proc/net/tcp': rowsCut }).lookup.ofClient(accepted(50123))),
      'failed',
    );
    assert.equal(
      reasonOf(await linuxLookup({ '/proc/net/tcp': 'hang' }, 50).lookup.ofClient(accepted(50123))),
      'timeout',
    );
  });

  it('treats the overflow uid the kernel reports, whatever its number', async () => {
    const { lookup } = linuxLookup({
      '/proc/net/tcp': PROC_NET_TCP,
      '/proc/sys/kernel/overflowuid': '1002\n',
    });
    assert.equal(reasonOf(await lookup.ofClient(accepted(50123))), 'unresolved');
  });
});

// ---------------------------------------------------------------------------------------------

interface Call {
  file: string;
  args: readonly string[];
  timeoutMs: number;
}

/** A RunCommand that answers from recordings keyed by the tool's file name (netstat.exe, …). */
function fakeCommands(
  answers: Record<string, CommandResult | ((args: readonly string[]) => CommandResult) | 'hang'>,
) {
  const calls: Call[] = [];
  const run: RunCommand = async (file, args, timeoutMs) => {
    calls.push({ file, args, timeoutMs });
    const name = file.split(/[\\/]/).pop() as string;
    const answer = answers[name];
    if (answer === undefined) return { kind: 'failed', detail: 'ENOENT' };
    if (answer === 'hang') return forever<CommandResult>();
    return typeof answer === 'function' ? answer(args) : answer;
  };
  return { calls, run };
}

const ok = (stdout: string): CommandResult => ({ kind: 'exited', code: 0, stdout });

function windowsLookup(
  netstat: CommandResult | 'hang',
  tasklist: CommandResult | ((args: readonly string[]) => CommandResult) | 'hang',
  timeoutMs = 500,
) {
  const fake = fakeCommands({ 'netstat.exe': netstat, 'tasklist.exe': tasklist });
  const lookup = createSessionLookup({
    platform: 'win32',
    timeoutMs,
    windows: { run: fake.run, systemRoot: 'C:\\Windows\\', pid: HOST_PID },
  });
  return { lookup, calls: fake.calls };
}

describe('Windows: netstat -ano and tasklist', () => {
  it('parses netstat in any language, keeping the state as printed', () => {
    const en = parseNetstat(NETSTAT_EN, SERVER_PORT) ?? [];
    assert.equal(en.length, 7); // not :135, :445, :3389, the LISTENING row (0.0.0.0:0) or 50127 -> 8080
    assert.deepEqual(en[3], {
      local: { address: '127.0.0.1', port: 50123 },
      remote: { address: '127.0.0.1', port: SERVER_PORT },
      state: 'ESTABLISHED',
      pid: 7788,
    });
    assert.equal(parseNetstat(NETSTAT_DE, SERVER_PORT)?.[2]?.state, 'HERGESTELLT');
    assert.equal(parseNetstat(NETSTAT_KO, SERVER_PORT)?.length, 4);
    const both = parseNetstat(NETSTAT_BOTH_FAMILIES) ?? [];
    assert.deepEqual(
      both.map((row) => `${row.local.address}:${row.local.port}/${row.pid}`),
      ['127.0.0.1:23518/5120', '127.0.0.1:50123/7788', '::1:23518/5120', '::1:50130/9120'],
    );
    assert.equal(
      parseNetstat('  TCP    127.0.0.1:50123   127.0.0.1:23518   EN ATTENTE   7788\r\n')?.[0]?.state,
      'EN ATTENTE',
    );
  });

  it('parses tasklist CSV in any locale: PID and session number only', () => {
    for (const text of [TASKLIST_EN, TASKLIST_DE, TASKLIST_FR, TASKLIST_KO]) {
      const sessions = parseTasklistCsv(text);
      assert.equal(sessions?.get(5120), 2);
      assert.equal(sessions?.get(7788), 2);
      assert.equal(sessions?.get(9120), 5);
    }
    assert.equal(parseTasklistCsv(TASKLIST_KO)?.get(4012), 1);
    assert.equal(parseTasklistCsv(TASKLIST_EN)?.get(9400), 5);
    assert.deepEqual(parseCsvLine('"my, ""quoted"" app.exe","9400"'), ['my, "quoted" app.exe', '9400']);
    assert.equal(parseTasklistCsv(TASKLIST_NONE_EN)?.size, 0);
    assert.equal(parseTasklistCsv(TASKLIST_NONE_KO)?.size, 0);
    assert.equal(
      parseTasklistCsv('"a.exe","10","Console","1","1 K"\r\n"a.exe","10","Console","2","1 K"\r\n')?.get(10),
      'conflict',
    );
    for (const [text, value] of [
      ['1234', 1234],
      ['1,234', 1234],
      ['1.234.567', 1234567],
      ["1'234", 1234],
      ['1\u00a0234', 1234],
      ['1\u00ff234', 1234],
    ] as const)
      assert.equal(parseCount(text), value, text);
    for (const text of ['', '12,34', '1,234.567', '1,2345', '-1', '1 K', '0x10', ' 1'])
      assert.equal(parseCount(text), undefined, text);
  });

  it('names the session of the browser end, with the tools run by full path from System32', async () => {
    const { lookup, calls } = windowsLookup(ok(NETSTAT_EN), ok(TASKLIST_EN));
    assert.equal(lookup.mechanism, 'netstat+tasklist');
    assert.deepEqual(await lookup.ofClient(accepted(50123)), known(win(2)));
    assert.deepEqual(await lookup.ofClient(accepted(50124)), known(win(5)));
    const files = new Set(calls.map((call) => `${call.file} ${call.args.join(' ')}`));
    assert.deepEqual(
      [...files].sort(),
      [
        'C:\\Windows\\System32\\netstat.exe -ano -p TCP',
        'C:\\Windows\\System32\\tasklist.exe /FO CSV /NH',
      ].sort(),
    );
    assert.ok(calls.every((call) => call.timeoutMs === 500));
  });

  it('works in German, French and Korean', async () => {
    for (const [netstat, tasklist] of [
      [NETSTAT_DE, TASKLIST_DE],
      [NETSTAT_KO, TASKLIST_FR],
      [NETSTAT_KO, TASKLIST_KO],
    ] as const) {
      const { lookup } = windowsLookup(ok(netstat), ok(tasklist));
      assert.deepEqual(await lookup.ofClient(accepted(50123)), known(win(2)));
      assert.deepEqual(await lookup.ofClient(accepted(50124)), known(win(5)));
    }
  });

  it('reads bracketed IPv6 rows', async () => {
    const { lookup } = windowsLookup(ok(NETSTAT_BOTH_FAMILIES), ok(TASKLIST_EN));
    assert.deepEqual(await lookup.ofClient(accepted(50130, '::1', '::1')), known(win(5)));
  });

  it('never takes a TIME_WAIT row, a closing pair, or a port with no row', async () => {
    const { lookup } = windowsLookup(ok(NETSTAT_EN), ok(TASKLIST_EN));
    assert.equal(reasonOf(await lookup.ofClient(accepted(50125))), 'not-found'); // PID 0, and no server row
    assert.equal(reasonOf(await lookup.ofClient(accepted(50126))), 'not-found'); // FIN_WAIT_2 vs CLOSE_WAIT
    assert.equal(reasonOf(await lookup.ofClient(accepted(50199))), 'not-found');
    const de = windowsLookup(ok(NETSTAT_DE), ok(TASKLIST_DE)).lookup;
    assert.equal(reasonOf(await de.ofClient(accepted(50125))), 'not-found'); // WARTEND, PID 0
    // PID 0 is the System Idle Process, which tasklist lists in session 0: never an owner.
    const pidZero = `${NETSTAT_EN}  TCP    127.0.0.1:50124        127.0.0.1:23518        ESTABLISHED     0\r\n`;
    const rows = parseNetstat(pidZero, SERVER_PORT) ?? [];
    const sessions = parseTasklistCsv(TASKLIST_EN) ?? new Map();
    const ends = (port: number) => ({
      server: { address: '127.0.0.1', port: SERVER_PORT },
      client: { address: '127.0.0.1', port },
    });
    assert.deepEqual(windowsSnapshot(rows, sessions, HOST_PID).ownersOf(ends(50124)), [win(5)]);
    const onlyPidZero = rows.filter((row) => !(row.local.port === 50124 && row.pid === 9120));
    assert.deepEqual(windowsSnapshot(onlyPidZero, sessions, HOST_PID).ownersOf(ends(50124)), []);
  });

  it('gives no owner when the process is gone from tasklist or the server row is not this process', async () => {
    const withoutChrome = TASKLIST_EN.split('\r\n')
      .filter((line) => !line.includes('"9120"'))
      .join('\r\n');
    assert.equal(
      reasonOf(await windowsLookup(ok(NETSTAT_EN), ok(withoutChrome)).lookup.ofClient(accepted(50124))),
      'unresolved',
    );
    const fake = fakeCommands({ 'netstat.exe': ok(NETSTAT_EN), 'tasklist.exe': ok(TASKLIST_EN) });
    const other = createSessionLookup({
      platform: 'win32',
      windows: { run: fake.run, systemRoot: 'C:\\Windows', pid: 4444 },
    });
    assert.equal(reasonOf(await other.ofClient(accepted(50123))), 'unresolved');
  });

  it('is ambiguous when two processes of different sessions show the same client end', async () => {
    const twin = `${NETSTAT_EN}  TCP    127.0.0.1:50123        127.0.0.1:23518        ESTABLISHED     9300\r\n`;
    assert.equal(
      reasonOf(await windowsLookup(ok(twin), ok(TASKLIST_EN)).lookup.ofClient(accepted(50123))),
      'ambiguous',
    );
    const sameSessionTwin = `${NETSTAT_EN}  TCP    127.0.0.1:50123        127.0.0.1:23518        ESTABLISHED     5100\r\n`;
    assert.deepEqual(
      await windowsLookup(ok(sameSessionTwin), ok(TASKLIST_EN)).lookup.ofClient(accepted(50123)),
      known(win(2)),
    );
  });

  it('answers unknown when a tool fails, prints garbage, or takes too long', async () => {
    const cases: [CommandResult | 'hang', CommandResult | 'hang', string][] = [
      [{ kind: 'exited', code: 1, stdout: '' }, ok(TASKLIST_EN), 'failed'],
      [ok(NETSTAT_EN), { kind: 'exited', code: 1, stdout: 'ERROR: Invalid argument/option' }, 'failed'],
      [{ kind: 'failed', detail: 'ENOENT' }, ok(TASKLIST_EN), 'failed'],
      [{ kind: 'timeout' }, ok(TASKLIST_EN), 'timeout'],
      [ok(NETSTAT_EN), { kind: 'timeout' }, 'timeout'],
      [ok('  TCP    127.0.0.1:50123   127.0.0.1:23518   ESTABLISHED\r\n'), ok(TASKLIST_EN), 'failed'], // no -o
      [ok(NETSTAT_EN), ok('"chrome.exe","7788","Console"\r\n'), 'failed'],
      [ok(NETSTAT_EN), ok('"chrome.exe","x","Console","1","1 K"\r\n'), 'failed'],
      [ok(NETSTAT_EN), ok('"chrome.exe,"7788","Console","1","1 K"\r\n'), 'failed'],
      [ok('garbage\r\n'), ok(TASKLIST_EN), 'not-found'],
      ['hang', ok(TASKLIST_EN), 'timeout'],
    ];
    for (const [netstat, tasklist, reason] of cases)
      assert.equal(
        reasonOf(await windowsLookup(netstat, tasklist, 50).lookup.ofClient(accepted(50123))),
        reason,
        JSON.stringify([netstat, tasklist]).slice(0, 120),
      );
  });

  it('finds its own session with a PID filter, keeps it, and asks again after a failure', async () => {
    let answer: CommandResult = { kind: 'timeout' };
    const { lookup, calls } = windowsLookup(ok(NETSTAT_EN), () => answer);
    assert.equal(reasonOf(await lookup.own()), 'timeout');
    answer = ok(TASKLIST_OWN);
    assert.deepEqual(await lookup.own(), known(win(2)));
    assert.deepEqual(await lookup.own(), known(win(2)));
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[1]?.args, ['/FO', 'CSV', '/NH', '/FI', `PID eq ${HOST_PID}`]);
    for (const [text, reason] of [
      [TASKLIST_NONE_EN, 'not-found'],
      [TASKLIST_NONE_KO, 'not-found'],
      ['"chrome.exe","7788","RDP-Tcp#1","2","201,884 K"\r\n', 'not-found'],
      ['"x.exe","5120","a","2","1 K"\r\n"x.exe","5120","a","3","1 K"\r\n', 'ambiguous'],
      ['"x.exe","5120"\r\n', 'failed'],
    ] as const)
      assert.equal(reasonOf(await windowsLookup(ok(NETSTAT_EN), ok(text)).lookup.own()), reason, text);
  });
});

// ---------------------------------------------------------------------------------------------

function darwinLookup(lsof: CommandResult | 'hang', timeoutMs = 500) {
  const fake = fakeCommands({ lsof });
  const lookup = createSessionLookup({
    platform: 'darwin',
    timeoutMs,
    darwin: { run: fake.run, ownUid: 501 },
  });
  return { lookup, calls: fake.calls };
}

describe('macOS: lsof', () => {
  it('parses field output with several descriptors and processes per socket', () => {
    const sockets = parseLsofFields(LSOF_DARWIN) ?? [];
    assert.equal(sockets.length, 10); // every connected name; not the listening *:23518
    assert.deepEqual(
      sockets.filter((s) => s.local.port === 50123).map((s) => [s.pid, s.uid]),
      [
        [7788, 501],
        [7788, 501],
        [7790, 501],
      ],
    );
    const withoutFd = parseLsofFields(LSOF_WITHOUT_FD_LINES) ?? [];
    assert.deepEqual(
      withoutFd.map((s) => `${s.local.port}->${s.remote.port} ${s.state}`),
      ['50123->23518 ESTABLISHED', '50127->8080 ESTABLISHED'],
    );
    for (const garbage of ['u501\np1\n', 'pabc\n', "lsof: WARNING: can't stat() fuse\n"])
      assert.equal(parseLsofFields(garbage), undefined, garbage);
  });

  it('names the uid of the browser end, asking lsof for the server port only', async () => {
    const { lookup, calls } = darwinLookup(ok(LSOF_DARWIN));
    assert.equal(lookup.mechanism, 'lsof');
    assert.deepEqual(await lookup.ofClient(accepted(50123)), known(darwin(501)));
    assert.deepEqual(await lookup.ofClient(accepted(50130, '::1', '::1')), known(darwin(501)));
    assert.deepEqual(await lookup.own(), known(darwin(501)));
    assert.equal(calls[0]?.file, '/usr/sbin/lsof');
    assert.deepEqual(calls[0]?.args, [
      '-n',
      '-P',
      '-w',
      `-iTCP:${SERVER_PORT}`,
      '-sTCP:ESTABLISHED',
      '-FpufnT',
    ]);
  });

  it('is ambiguous for two users on one socket; skips sockets in another state', async () => {
    const { lookup } = darwinLookup(ok(LSOF_DARWIN));
    assert.equal(reasonOf(await lookup.ofClient(accepted(50124))), 'ambiguous');
    assert.equal(reasonOf(await lookup.ofClient(accepted(50126))), 'not-found');
  });

  it('answers not-found for a socket it cannot see (another user, without root)', async () => {
    const { lookup } = darwinLookup({ kind: 'exited', code: 1, stdout: '' });
    assert.equal(reasonOf(await lookup.ofClient(accepted(50123))), 'not-found');
  });

  it('answers unknown when lsof fails, prints garbage, or takes too long', async () => {
    for (const [result, reason] of [
      [{ kind: 'exited', code: 1, stdout: 'p1\nu0\n' }, 'failed'],
      [{ kind: 'exited', code: 2, stdout: '' }, 'failed'],
      [{ kind: 'failed', detail: 'ENOENT' }, 'failed'],
      [{ kind: 'timeout' }, 'timeout'],
      [ok('garbage\n'), 'failed'],
      [ok('p7788\nuroot\nf31\nn127.0.0.1:50123->127.0.0.1:23518\n'), 'unresolved'],
      ['hang', 'timeout'],
    ] as const)
      assert.equal(
        reasonOf(await darwinLookup(result, 50).lookup.ofClient(accepted(50123))),
        reason,
        JSON.stringify(result),
      );
  });
});

describe('other platforms', () => {
  it('answer unsupported', async () => {
    const lookup = createSessionLookup({ platform: 'freebsd' });
    assert.equal(lookup.mechanism, 'none');
    assert.equal(reasonOf(await lookup.own()), 'unsupported');
    assert.equal(reasonOf(await lookup.ofClient(accepted(50123))), 'unsupported');
  });
});

// ---------------------------------------------------------------------------------------------

/** A table whose reads the test settles by hand. */
function manualTable() {
  const reads: { port: number; settle: (read: TableRead) => void }[] = [];
  const table: SessionTable = {
    mechanism: 'manual',
    read: (port) => new Promise((settle) => reads.push({ port, settle })),
    own: async () => ({ known: true, session: linux(1) }),
  };
  return { table, reads };
}

function snapshotOf(owners: Record<number, SessionIdentity>): TableRead {
  return {
    ok: true,
    snapshot: {
      ownersOf: (ends) => (owners[ends.client.port] ? [owners[ends.client.port] as SessionIdentity] : []),
    },
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('the lookup around any mechanism', () => {
  it('shares one read among the lookups asked while another read was under way, and never answers from an older read', async () => {
    const { table, reads } = manualTable();
    const lookup = lookupWith(table, 5000);
    const first = lookup.ofClient(accepted(50001));
    await turn();
    assert.equal(reads.length, 1);
    // 30 tabs reconnect while the first read is under way: they wait for the next read.
    const burst = Array.from({ length: 30 }, (_, i) => lookup.ofClient(accepted(50100 + i)));
    await turn();
    assert.equal(reads.length, 1);
    // The first read began before those tabs connected, so it cannot show them.
    reads[0]?.settle(snapshotOf({ 50001: linux(1) }));
    assert.deepEqual(await first, known(linux(1)));
    await turn();
    assert.equal(reads.length, 2);
    reads[1]?.settle(
      snapshotOf(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [50100 + i, linux(100 + i)]))),
    );
    const answers = await Promise.all(burst);
    assert.deepEqual(
      answers,
      Array.from({ length: 30 }, (_, i) => known(linux(100 + i))),
    );
    await turn();
    assert.equal(reads.length, 2);
  });

  it('drops the answer when the socket closed during the lookup', async () => {
    const { table, reads } = manualTable();
    const lookup = lookupWith(table, 5000);
    const socket = { ...accepted(50001), destroyed: false };
    const answer = lookup.ofClient(socket);
    await turn();
    socket.destroyed = true;
    reads[0]?.settle(snapshotOf({ 50001: linux(1) }));
    assert.equal(reasonOf(await answer), 'closed');
    assert.equal(reads.length, 1);
    assert.equal(reasonOf(await lookup.ofClient(socket)), 'closed');
    assert.equal(reads.length, 1); // a closed socket is not looked up at all
  });

  it('times out a read that never settles, and a stuck read does not hold up later lookups for ever', async () => {
    let stuck = true;
    const table: SessionTable = {
      mechanism: 'stuck',
      read: () => (stuck ? forever<TableRead>() : Promise.resolve(snapshotOf({ 50001: linux(7) }))),
      own: () => forever<SessionAnswer>(),
    };
    const lookup = lookupWith(table, 30);
    assert.equal(reasonOf(await lookup.ofClient(accepted(50001))), 'timeout');
    assert.equal(reasonOf(await lookup.own()), 'timeout');
    stuck = false;
    // The queued read starts once the stuck one is given up (twice the bound).
    let answer = await lookup.ofClient(accepted(50001));
    for (let i = 0; i < 20 && !answer.known; i++) answer = await lookup.ofClient(accepted(50001));
    assert.deepEqual(answer, known(linux(7)));
  });

  it('never rejects, whatever the mechanism throws', async () => {
    const throwing: SessionTable = {
      mechanism: 'throwing',
      read: () => {
        throw new Error('boom');
      },
      own: () => Promise.reject(new Error('boom')),
    };
    const lookup = lookupWith(throwing, 100);
    assert.equal(reasonOf(await lookup.ofClient(accepted(50001))), 'failed');
    assert.equal(reasonOf(await lookup.own()), 'failed');
    const badSnapshot: SessionTable = {
      mechanism: 'bad snapshot',
      read: async () => ({
        ok: true,
        snapshot: {
          ownersOf: () => {
            throw new Error('boom');
          },
        },
      }),
      own: async () => ({ known: false, reason: 'failed' }),
    };
    assert.equal(reasonOf(await lookupWith(badSnapshot, 100).ofClient(accepted(50001))), 'failed');
  });

  it('FreshReads keeps separate keys apart and forgets a key once idle', async () => {
    const started: number[] = [];
    const settles: (() => void)[] = [];
    const reads = new FreshReads<number, number>(
      (key) =>
        new Promise((resolve) => {
          started.push(key);
          settles.push(() => resolve(key * 10));
        }),
      () => -1,
    );
    const a = reads.get(1);
    const b = reads.get(2);
    assert.deepEqual(started, [1, 2]);
    settles[0]?.();
    settles[1]?.();
    assert.deepEqual(await Promise.all([a, b]), [10, 20]);
    await turn();
    assert.equal(reads.busyKeys, 0);
    const rejected = new FreshReads<number, number>(
      () => Promise.reject(new Error('x')),
      () => -1,
    );
    assert.equal(await rejected.get(1), -1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('running a tool', () => {
  const node = process.execPath;

  it('gives the output and the exit code, and passes arguments to no shell', async () => {
    const marker = join(tmpdir(), `os-session-${randomBytes(4).toString('hex')}`);
    const hostile = `$(touch ${marker}); touch ${marker} | & "`;
    const result = await runCommand(
      node,
      ['-e', 'console.log(process.argv[1]); process.exit(3)', hostile],
      10_000,
    );
    assert.deepEqual(result, { kind: 'exited', code: 3, stdout: `${hostile}\n` });
    assert.equal(existsSync(marker), false);
  });

  it('kills a tool that takes longer than its bound', async () => {
    const pidFile = join(tmpdir(), `os-session-${randomBytes(4).toString('hex')}.pid`);
    const script = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`;
    const result = await runCommand(node, ['-e', script], 1_000);
    assert.deepEqual(result, { kind: 'timeout' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    rmSync(pidFile, { force: true });
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  });

  it('fails a tool that is missing or prints without bound', async () => {
    assert.deepEqual(await runCommand('/nonexistent/netstat.exe', [], 1_000), {
      kind: 'failed',
      detail: 'ENOENT',
    });
    const flood = `process.stdout.write('x'.repeat(${MAX_COMMAND_OUTPUT + 1}))`;
    assert.deepEqual(await runCommand(node, ['-e', flood], 10_000), {
      kind: 'failed',
      detail: 'output too large',
    });
  });
});
