// What each platform's mechanism provides to the lookup (docs/SESSIONS.md §2): a fresh read of the
// OS's connection table, which then tells the owners of a connection's client end, and the
// session of this process. One implementation per platform: linux.ts, windows.ts, lsof-table.ts.
import type { ConnectionEnds } from './endpoint';
import type { SessionAnswer, SessionIdentity } from './identity';

/** The owner of one matching row: an identity, or `unresolved` when the row names no owner we can use. */
export type RowOwner = SessionIdentity | 'unresolved';

/** One read of the connection table. */
export interface TableSnapshot {
  /**
   * The owners of every live row that is the client end of this connection (local address = the
   * client's end, remote = the server's end). Empty when there is none.
   */
  ownersOf(ends: ConnectionEnds): RowOwner[];
}

/** The outcome of one read: a snapshot, or why there is none. */
export type TableRead =
  | { readonly ok: true; readonly snapshot: TableSnapshot }
  | { readonly ok: false; readonly reason: 'timeout' | 'failed'; readonly detail: string };

/** One platform's mechanism. */
export interface SessionTable {
  /** A short name for logs and diagnostics, e.g. `proc-net-tcp`. */
  readonly mechanism: string;
  /**
   * Reads the table now, keeping what concerns connections to or from `serverPort`. Bounded by
   * `timeoutMs`; never rejects.
   */
  read(serverPort: number, timeoutMs: number): Promise<TableRead>;
  /** The session of this process. Never rejects. */
  own(timeoutMs: number): Promise<SessionAnswer>;
}

/** A failed read. */
export function readFailed(reason: 'timeout' | 'failed', detail: string): TableRead {
  return { ok: false, reason, detail };
}
