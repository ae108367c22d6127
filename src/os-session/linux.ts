// The Linux mechanism (docs/SESSIONS.md §2.1): /proc/net/tcp and /proc/net/tcp6 name the uid that
// created each socket, for every user, without privileges. The identity is the uid.
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { type ConnectionEnds, sameEndpoint } from './endpoint';
import { knownSession, type SessionAnswer, unknownSession } from './identity';
import { type ProcNetTcpRow, parseProcNetTcp, TCP_ESTABLISHED } from './proc-net-tcp';
import { type RowOwner, readFailed, type SessionTable, type TableRead, type TableSnapshot } from './table';

/** Reads a file with an abort signal (node's readFile, or a recording in tests). */
export type ReadText = (path: string, signal: AbortSignal) => Promise<string>;

export interface LinuxTableOptions {
  /** Where the tables are (default /proc/net); a test points it at recordings. */
  procNet?: string;
  readText?: ReadText;
  littleEndian?: boolean;
  /**
   * The uid the kernel shows for a user outside this process's user namespace
   * (/proc/sys/kernel/overflowuid, 65534 by default): several users can show as it, so it names no one.
   */
  overflowUid?: number;
  /** This process's uid (default `process.geteuid()`: sockets are owned by the effective uid). */
  ownUid?: number;
}

const readTextFile: ReadText = (path, signal) => readFile(path, { encoding: 'latin1', signal });

/** The /proc/net/tcp mechanism. */
export function linuxSessionTable(options: LinuxTableOptions = {}): SessionTable {
  const procNet = options.procNet ?? '/proc/net';
  const readText = options.readText ?? readTextFile;
  const littleEndian = options.littleEndian ?? endianness() === 'LE';
  let overflowUid: Promise<number> | undefined =
    options.overflowUid === undefined ? undefined : Promise.resolve(options.overflowUid);
  return {
    mechanism: 'proc-net-tcp',
    async read(serverPort, timeoutMs): Promise<TableRead> {
      const signal = AbortSignal.timeout(Math.max(1, timeoutMs));
      let texts: [string, string | undefined];
      try {
        texts = await Promise.all([
          readText(`${procNet}/tcp`, signal),
          // tcp6 is absent when IPv6 is off; a browser's dual-stack socket shows here otherwise.
          readText(`${procNet}/tcp6`, signal).catch((error: NodeJS.ErrnoException) => {
            if (error.code === 'ENOENT') return undefined;
            throw error;
          }),
        ]);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.name === 'AbortError' || e.name === 'TimeoutError' || signal.aborted)
          return readFailed('timeout', 'reading /proc/net/tcp');
        return readFailed('failed', `reading /proc/net/tcp: ${e.code ?? e.name}`);
      }
      const rows: ProcNetTcpRow[] = [];
      for (const [name, text] of [
        ['tcp', texts[0]],
        ['tcp6', texts[1]],
      ] as const) {
        if (text === undefined) continue;
        const parsed = parseProcNetTcp(text, { littleEndian, remotePort: serverPort });
        if (parsed === undefined) return readFailed('failed', `/proc/net/${name} has an unknown format`);
        rows.push(...parsed);
      }
      overflowUid ??= readOverflowUid(readText);
      return { ok: true, snapshot: linuxSnapshot(rows, await overflowUid) };
    },
    async own(): Promise<SessionAnswer> {
      const uid = options.ownUid ?? process.geteuid?.();
      return uid === undefined
        ? unknownSession('unsupported', 'no uid')
        : knownSession({ platform: 'linux', uid });
    },
  };
}

/** The kernel's overflow uid, read once; 65534 (its default) when it cannot be read. */
async function readOverflowUid(readText: ReadText): Promise<number> {
  try {
    const text = (await readText('/proc/sys/kernel/overflowuid', AbortSignal.timeout(500))).trim();
    return /^\d+$/.test(text) ? Number(text) : 65534;
  } catch {
    return 65534;
  }
}

/**
 * The owners in a read of the tables: the client end must be an established socket (a time-wait
 * row keeps the port but shows uid 0 and no inode), held by a process (inode not 0), with a uid
 * that names one user (not the overflow uid).
 */
export function linuxSnapshot(rows: readonly ProcNetTcpRow[], overflowUid = 65534): TableSnapshot {
  return {
    ownersOf(ends: ConnectionEnds): RowOwner[] {
      const owners: RowOwner[] = [];
      for (const row of rows) {
        if (row.state !== TCP_ESTABLISHED) continue;
        if (!sameEndpoint(row.local, ends.client) || !sameEndpoint(row.remote, ends.server)) continue;
        owners.push(
          row.inode === 0 || row.uid === overflowUid ? 'unresolved' : { platform: 'linux', uid: row.uid },
        );
      }
      return owners;
    },
  };
}
