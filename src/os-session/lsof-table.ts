// The macOS mechanism (docs/SESSIONS.md §2.3): `lsof` names the process and uid holding each end
// of a TCP connection. The identity is the uid. macOS shows a process's sockets only to its own
// user (and root), so without privileges a lookup finds the client end only when it belongs to
// the same user as this process; another user's end is "not found", never a guess. The same code
// runs on Linux for the real tests (its lsof prints the same fields).
import { type ConnectionEnds, sameEndpoint } from './endpoint';
import { knownSession, type SessionAnswer, unknownSession } from './identity';
import { type LsofSocket, parseLsofFields } from './lsof';
import { type RunCommand, runCommand } from './run-command';
import { type RowOwner, readFailed, type SessionTable, type TableRead, type TableSnapshot } from './table';

export interface LsofTableOptions {
  run?: RunCommand;
  /** Full path of lsof (default /usr/sbin/lsof, where macOS has it). */
  lsofPath?: string;
  /** The platform the identities are for (default darwin; linux when run there for a test). */
  platform?: 'darwin' | 'linux';
  /** This process's uid (default `process.geteuid()`). */
  ownUid?: number;
}

/** The lsof mechanism. */
export function lsofSessionTable(options: LsofTableOptions = {}): SessionTable {
  const run = options.run ?? runCommand;
  const lsof = options.lsofPath ?? '/usr/sbin/lsof';
  const platform = options.platform ?? 'darwin';
  return {
    mechanism: 'lsof',
    async read(serverPort, timeoutMs): Promise<TableRead> {
      // -n -P: no name lookups; -w: no warnings; every established TCP socket with the server's
      // port at either end; fields: pid, uid, fd, name, TCP state.
      const args = ['-n', '-P', '-w', `-iTCP:${serverPort}`, '-sTCP:ESTABLISHED', '-FpufnT'];
      const result = await run(lsof, args, timeoutMs);
      if (result.kind === 'timeout') return readFailed('timeout', 'lsof took too long');
      if (result.kind === 'failed') return readFailed('failed', `lsof: ${result.detail}`);
      // lsof exits with 1 when nothing matched.
      if (result.code === 1 && result.stdout.trim() === '')
        return { ok: true, snapshot: lsofSnapshot([], platform) };
      if (result.code !== 0) return readFailed('failed', `lsof exited with ${result.code}`);
      const sockets = parseLsofFields(result.stdout);
      if (sockets === undefined) return readFailed('failed', 'lsof printed an unknown format');
      return { ok: true, snapshot: lsofSnapshot(sockets, platform) };
    },
    async own(): Promise<SessionAnswer> {
      const uid = options.ownUid ?? process.geteuid?.();
      return uid === undefined ? unknownSession('unsupported', 'no uid') : knownSession({ platform, uid });
    },
  };
}

/** The owners in a read: established client ends (or of no stated state), by their process's uid. */
export function lsofSnapshot(sockets: readonly LsofSocket[], platform: 'darwin' | 'linux'): TableSnapshot {
  return {
    ownersOf(ends: ConnectionEnds): RowOwner[] {
      const owners: RowOwner[] = [];
      for (const socket of sockets) {
        if (socket.state !== undefined && socket.state !== 'ESTABLISHED') continue;
        if (!sameEndpoint(socket.local, ends.client) || !sameEndpoint(socket.remote, ends.server)) continue;
        owners.push(socket.uid === undefined ? 'unresolved' : { platform, uid: socket.uid });
      }
      return owners;
    },
  };
}
