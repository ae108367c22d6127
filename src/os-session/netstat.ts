// Reads the output of Windows' `netstat -ano -p TCP`: one row per TCP connection, any session's,
// with the id of the owning process (docs/SESSIONS.md §2.2). Pure: text in, rows out. Headers and
// state names are translated on non-English Windows ("HERGESTELLT"), so only the protocol, the
// two addresses and the PID column are read; the state is kept as text to compare, never named.
import { type Endpoint, parseEndpoint } from './endpoint';

/** One connection's row. */
export interface NetstatRow {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** The state as netstat printed it, in the system's language. */
  readonly state: string;
  /** The owning process; 0 for TIME_WAIT rows, which have none. */
  readonly pid: number;
}

/**
 * The TCP rows whose local or remote port is `port` (every row when undefined). Rows whose
 * addresses are not `address:port` (listening rows show `0.0.0.0:0`) are left out. Undefined when
 * a TCP row has no PID column (netstat run without `-o`, or another format).
 *
 * @example
 * parseNetstat('  TCP    127.0.0.1:50123   127.0.0.1:23518   ESTABLISHED   7788\r\n', 23518);
 * // [{ local: { address: '127.0.0.1', port: 50123 }, remote: {...23518}, state: 'ESTABLISHED', pid: 7788 }]
 */
export function parseNetstat(text: string, port?: number): NetstatRow[] | undefined {
  const rows: NetstatRow[] = [];
  for (const rawLine of text.split('\n')) {
    const fields = rawLine.trim().split(/\s+/);
    if (fields[0] !== 'TCP') continue;
    if (fields.length < 5) return undefined;
    const pidText = fields[fields.length - 1] as string;
    if (!/^\d{1,10}$/.test(pidText)) return undefined;
    const local = parseEndpoint(fields[1] as string);
    const remote = parseEndpoint(fields[2] as string);
    if (!local || !remote) continue;
    if (port !== undefined && local.port !== port && remote.port !== port) continue;
    rows.push({ local, remote, state: fields.slice(3, -1).join(' '), pid: Number(pidText) });
  }
  return rows;
}
