// The Windows mechanism (docs/SESSIONS.md §2.2): `netstat -ano -p TCP` names the process that owns
// the client end, `tasklist /FO CSV /NH` names every process's session; both run as a standard
// user and see every session. The identity is the session id (a Remote Desktop or a fast user
// switching session), not the user.
import { windowsDirectory } from '../config';
import { type ConnectionEnds, sameEndpoint } from './endpoint';
import { knownSession, type SessionAnswer, unknownSession } from './identity';
import { type NetstatRow, parseNetstat } from './netstat';
import { type CommandResult, type RunCommand, runCommand } from './run-command';
import { type RowOwner, readFailed, type SessionTable, type TableRead, type TableSnapshot } from './table';
import { type ProcessSession, parseTasklistCsv } from './tasklist';

export interface WindowsTableOptions {
  run?: RunCommand;
  /** The Windows folder (default %SystemRoot%); the tools are run from its System32 by full path. */
  systemRoot?: string;
  /** This process's id (default `process.pid`). */
  pid?: number;
}

/** The netstat + tasklist mechanism. */
export function windowsSessionTable(options: WindowsTableOptions = {}): SessionTable {
  const run = options.run ?? runCommand;
  const system32 = `${trimSlash(options.systemRoot ?? windowsDirectory())}\\System32`;
  const netstat = `${system32}\\netstat.exe`;
  const tasklist = `${system32}\\tasklist.exe`;
  const pid = options.pid ?? process.pid;
  let own: Promise<SessionAnswer> | undefined;
  return {
    mechanism: 'netstat+tasklist',
    async read(serverPort, timeoutMs): Promise<TableRead> {
      // Both at once: the connection exists before either starts, so its owner is in both.
      const [connections, processes] = await Promise.all([
        run(netstat, ['-ano', '-p', 'TCP'], timeoutMs),
        run(tasklist, ['/FO', 'CSV', '/NH'], timeoutMs),
      ]);
      const netstatOutput = commandOutput('netstat', connections);
      if (!netstatOutput.ok) return netstatOutput;
      const tasklistOutput = commandOutput('tasklist', processes);
      if (!tasklistOutput.ok) return tasklistOutput;
      const rows = parseNetstat(netstatOutput.stdout, serverPort);
      if (rows === undefined) return readFailed('failed', 'netstat printed an unknown format');
      const sessions = parseTasklistCsv(tasklistOutput.stdout);
      if (sessions === undefined) return readFailed('failed', 'tasklist printed an unknown format');
      return { ok: true, snapshot: windowsSnapshot(rows, sessions, pid) };
    },
    own(timeoutMs): Promise<SessionAnswer> {
      // A process never changes session: one good answer is kept, a failure is asked again.
      own ??= ownSession(run, tasklist, pid, timeoutMs).then((answer) => {
        if (!answer.known) own = undefined;
        return answer;
      });
      return own;
    },
  };
}

async function ownSession(
  run: RunCommand,
  tasklist: string,
  pid: number,
  timeoutMs: number,
): Promise<SessionAnswer> {
  const result = await run(tasklist, ['/FO', 'CSV', '/NH', '/FI', `PID eq ${pid}`], timeoutMs);
  const output = commandOutput('tasklist', result);
  if (!output.ok) return unknownSession(output.reason, output.detail);
  const sessions = parseTasklistCsv(output.stdout);
  if (sessions === undefined) return unknownSession('failed', 'tasklist printed an unknown format');
  const session = sessions.get(pid);
  if (session === undefined) return unknownSession('not-found', 'tasklist does not list this process');
  if (session === 'conflict') return unknownSession('ambiguous', 'tasklist lists this process twice');
  return knownSession({ platform: 'win32', sessionId: session });
}

/**
 * The owners in a read: this server's own row of the connection (local = the server's end) must be
 * there, held by this process, and the client's row must be in the same state (both "established"
 * in whatever language netstat speaks). TIME_WAIT rows (PID 0) own nothing. A PID that tasklist
 * does not list (the process ended) is unresolved.
 */
export function windowsSnapshot(
  rows: readonly NetstatRow[],
  sessions: ReadonlyMap<number, ProcessSession>,
  serverPid: number,
): TableSnapshot {
  return {
    ownersOf(ends: ConnectionEnds): RowOwner[] {
      const live = rows.filter((row) => row.pid !== 0);
      const serverRows = live.filter(
        (row) => sameEndpoint(row.local, ends.server) && sameEndpoint(row.remote, ends.client),
      );
      if (serverRows.length === 0) return [];
      const ours = serverRows[0] as NetstatRow;
      if (serverRows.length > 1 || ours.pid !== serverPid) return ['unresolved'];
      const owners: RowOwner[] = [];
      for (const row of live) {
        if (!sameEndpoint(row.local, ends.client) || !sameEndpoint(row.remote, ends.server)) continue;
        if (row.state !== ours.state) continue;
        const session = sessions.get(row.pid);
        owners.push(typeof session === 'number' ? { platform: 'win32', sessionId: session } : 'unresolved');
      }
      return owners;
    },
  };
}

/** A failed read for a command that did not exit with 0, else undefined. */
/** A command's output when it exited with 0, else why the read failed. */
function commandOutput(
  name: string,
  result: CommandResult,
): { ok: true; stdout: string } | (TableRead & { ok: false }) {
  if (result.kind === 'timeout') return { ok: false, reason: 'timeout', detail: `${name} took too long` };
  if (result.kind === 'failed') return { ok: false, reason: 'failed', detail: `${name}: ${result.detail}` };
  if (result.code !== 0) return { ok: false, reason: 'failed', detail: `${name} exited with ${result.code}` };
  return { ok: true, stdout: result.stdout };
}

function trimSlash(path: string): string {
  return path.replace(/[\\/]+$/, '');
}
