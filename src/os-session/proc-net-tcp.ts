// Reads Linux's /proc/net/tcp and /proc/net/tcp6: one row per TCP socket of this network
// namespace, any user's, with the uid that created it (docs/SESSIONS.md §2.1). Pure: text in, rows out.
import { canonicalAddress, type Endpoint } from './endpoint';

/** The `st` column of an established connection (the kernel's TCP_ESTABLISHED). */
export const TCP_ESTABLISHED = 0x01;

/** One socket's row. */
export interface ProcNetTcpRow {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** The kernel's TCP state number (1 established, 6 time-wait, 10 listen, ...). */
  readonly state: number;
  /** The uid that created the socket (0 for time-wait rows, which keep no owner). */
  readonly uid: number;
  /** The socket's inode; 0 when no process holds it any more (time-wait, orphans). */
  readonly inode: number;
}

const ADDRESS = /^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):[0-9A-Fa-f]{4}$/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const DIGITS = /^\d+$/;

/**
 * The rows of one of the two files whose local or remote port is `port` (every row when `port` is
 * undefined). `littleEndian` is how the kernel printed the addresses: each 32-bit word of an
 * address is printed as a native integer, so 127.0.0.1 is `0100007F` on x86 and arm64.
 * Undefined when the text is not such a table (no header, or a row of another shape): a format we
 * do not know is never half-read.
 *
 * @example
 * parseProcNetTcp(text, { littleEndian: true, port: 23518 });
 * // [{ local: { address: '127.0.0.1', port: 50123 }, remote: { address: '127.0.0.1', port: 23518 },
 * //    state: 1, uid: 1001, inode: 470217 }, ...]
 */
export function parseProcNetTcp(
  text: string,
  { littleEndian, port }: { littleEndian: boolean; port?: number },
): ProcNetTcpRow[] | undefined {
  const lines = text.split('\n');
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  if (
    header[0] !== 'sl' ||
    header[1] !== 'local_address' ||
    !header.includes('uid') ||
    !header.includes('inode')
  )
    return undefined;
  const rows: ProcNetTcpRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    // sl: local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    const [sl, local, remote, state, , , , uid, , inode] = fields;
    if (
      fields.length < 10 ||
      !sl?.endsWith(':') ||
      !ADDRESS.test(local as string) ||
      !ADDRESS.test(remote as string) ||
      !HEX2.test(state as string) ||
      !DIGITS.test(uid as string) ||
      !DIGITS.test(inode as string)
    )
      return undefined;
    const localPort = hexPort(local as string);
    const remotePort = hexPort(remote as string);
    if (port !== undefined && localPort !== port && remotePort !== port) continue;
    const localAddress = hexAddress(local as string, littleEndian);
    const remoteAddress = hexAddress(remote as string, littleEndian);
    if (localAddress === undefined || remoteAddress === undefined) return undefined;
    rows.push({
      local: { address: localAddress, port: localPort },
      remote: { address: remoteAddress, port: remotePort },
      state: Number.parseInt(state as string, 16),
      uid: Number(uid),
      inode: Number(inode),
    });
  }
  return rows;
}

function hexPort(field: string): number {
  return Number.parseInt(field.slice(field.length - 4), 16);
}

/** `0100007F:C383` → '127.0.0.1'; a 32-digit IPv6 address → its canonical form. */
function hexAddress(field: string, littleEndian: boolean): string | undefined {
  const hex = field.slice(0, field.indexOf(':'));
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = [0, 2, 4, 6].map((at) => Number.parseInt(hex.slice(word + at, word + at + 2), 16));
    bytes.push(...(littleEndian ? chunk.reverse() : chunk));
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return canonicalAddress(groups.join(':'));
}
