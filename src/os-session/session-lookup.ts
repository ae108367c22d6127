// "Which OS session owns the far end of this connection, and which am I?" (docs/SESSIONS.md): one
// small interface, one mechanism per platform chosen at run time, every failure "unknown". A
// lookup runs once per accepted connection, off the hot path: asynchronous, bounded in time, and
// sharing one read of the OS table with every lookup asked while that read was waiting to start.
import { type AcceptedConnection, connectionEnds } from './endpoint';
import { FreshReads } from './fresh-reads';
import {
  knownSession,
  type SessionAnswer,
  type SessionIdentity,
  sameSession,
  unknownSession,
} from './identity';
import { type LinuxTableOptions, linuxSessionTable } from './linux';
import { type LsofTableOptions, lsofSessionTable } from './lsof-table';
import { type RowOwner, readFailed, type SessionTable, type TableRead } from './table';
import { type WindowsTableOptions, windowsSessionTable } from './windows';

/** The default bound of one lookup, in milliseconds. */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 500;

/** Answers which OS session owns a connection's far end, and this process's own session. */
export interface SessionLookup {
  /** The mechanism in use: `proc-net-tcp`, `netstat+tasklist`, `lsof` or `none`. */
  readonly mechanism: string;
  /** This process's session. Never rejects. */
  own(): Promise<SessionAnswer>;
  /**
   * The session that owns the client end of a connection this process accepted on a loopback
   * address (pass the `net.Socket`). Never rejects; unknown when the lookup fails, takes longer
   * than the bound, finds no row or rows of different owners, or the socket closed meanwhile.
   */
  ofClient(connection: AcceptedConnection): Promise<SessionAnswer>;
}

export interface SessionLookupOptions {
  /** The platform whose mechanism to use (default `process.platform`). */
  platform?: NodeJS.Platform;
  /** Longest a lookup may take (default {@link DEFAULT_LOOKUP_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Options of the chosen mechanism (tests pass recordings and fake commands here). */
  linux?: LinuxTableOptions;
  windows?: WindowsTableOptions;
  darwin?: LsofTableOptions;
}

/**
 * The lookup for this platform: /proc/net/tcp on Linux, netstat and tasklist on Windows, lsof on
 * macOS; elsewhere every answer is unknown (`unsupported`).
 *
 * @example
 * const sessions = createSessionLookup();
 * const answer = await sessions.ofClient(req.socket); // { known: true, session: { platform: 'linux', uid: 1001 } }
 */
export function createSessionLookup(options: SessionLookupOptions = {}): SessionLookup {
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
  if (platform === 'linux') return lookupWith(linuxSessionTable(options.linux), timeoutMs);
  if (platform === 'win32') return lookupWith(windowsSessionTable(options.windows), timeoutMs);
  if (platform === 'darwin') return lookupWith(lsofSessionTable(options.darwin), timeoutMs);
  return unsupportedLookup(platform);
}

/** A lookup over one mechanism, with the bound, the shared reads and the closed-socket check. */
export function lookupWith(table: SessionTable, timeoutMs: number): SessionLookup {
  const reads = new FreshReads<number, TableRead>(
    // The read's own bound, and a second one in case a read ever fails to settle by itself, so a
    // stuck read cannot hold up the reads behind it.
    (serverPort) =>
      withTimeout(table.read(serverPort, timeoutMs), timeoutMs * 2, () => readFailed('timeout', 'read')),
    () => readFailed('failed', 'read threw'),
  );
  return {
    mechanism: table.mechanism,
    async own() {
      try {
        return await withTimeout(table.own(timeoutMs), timeoutMs, () => unknownSession('timeout'));
      } catch {
        return unknownSession('failed', 'own session');
      }
    },
    async ofClient(connection) {
      try {
        const found = connectionEnds(connection);
        if ('problem' in found) return unknownSession(found.problem);
        const read = await withTimeout(reads.get(found.ends.server.port), timeoutMs, () =>
          readFailed('timeout', 'waited for the table'),
        );
        if (!read.ok) return unknownSession(read.reason, read.detail);
        const answer = decideOwner(read.snapshot.ownersOf(found.ends));
        // While this server's socket stays open its address pair cannot be anyone else's; once it
        // closed, the client's port may already be another program's (docs/SESSIONS.md §4).
        if (connection.destroyed) return unknownSession('closed');
        return answer;
      } catch {
        return unknownSession('failed', 'lookup threw');
      }
    },
  };
}

/**
 * The answer for the owners of the matching rows: the one owner when every row names the same;
 * `not-found` for none, `unresolved` when a row names no usable owner, `ambiguous` for two owners.
 *
 * @example
 * decideOwner([{ platform: 'linux', uid: 5 }, { platform: 'linux', uid: 5 }]); // known uid 5
 * decideOwner([{ platform: 'linux', uid: 5 }, { platform: 'linux', uid: 6 }]); // unknown (ambiguous)
 */
export function decideOwner(owners: readonly RowOwner[]): SessionAnswer {
  if (owners.length === 0) return unknownSession('not-found');
  const first = owners[0] as RowOwner;
  if (owners.includes('unresolved')) return unknownSession('unresolved');
  for (const owner of owners)
    if (!sameSession(owner as SessionIdentity, first as SessionIdentity)) return unknownSession('ambiguous');
  return knownSession(first as SessionIdentity);
}

/** The lookup of a platform without a mechanism. */
export function unsupportedLookup(platform: string): SessionLookup {
  const answer = unknownSession('unsupported', platform);
  return { mechanism: 'none', own: async () => answer, ofClient: async () => answer };
}

/** `work`, or `late()` when it has not settled within `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => resolve(late()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
