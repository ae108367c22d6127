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

/** sl: local:port remote:port st tx:rx tr:when retrnsmt uid timeout inode … (the kernel's fixed format). */
const ROW =
  /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{2})\s+\S+\s+\S+\s+\S+\s+(\d+)\s+\S+\s+(\d+)(?:\s|$)/;

/**
 * The rows of one of the two files whose local or remote port is `port`, or whose remote port is
 * `remotePort` (the client ends of connections to a server); every row without either. `littleEndian` is how the kernel printed the addresses: each 32-bit word of an
 * address is printed as a native integer, so 127.0.0.1 is `0100007F` on x86 and arm64.
 * Undefined when the text is not such a table (no header, or a row read of another shape): a
 * format we do not know is never half-read.
 *
 * @example
 * parseProcNetTcp(text, { littleEndian: true, port: 23518 });
 * // [{ local: { address: '127.0.0.1', port: 50123 }, remote: { address: '127.0.0.1', port: 23518 },
 * //    state: 1, uid: 1001, inode: 470217 }, ...]
 */
export function parseProcNetTcp(
  text: string,
  { littleEndian, port, remotePort }: { littleEndian: boolean; port?: number; remotePort?: number },
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
  // The kernel prints ports as %04X followed by a space; no other field has four hex digits after
  // a colon, so rows of other ports are skipped unread (the table has a row per socket of the machine).
  const wanted = remotePort ?? port;
  const needle = wanted === undefined ? undefined : `:${wanted.toString(16).toUpperCase().padStart(4, '0')} `;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (needle !== undefined && !line.includes(needle)) continue;
    const row = ROW.exec(line);
    if (row === null) {
      if (line.trim() === '') continue;
      return undefined;
    }
    const [, local, localPortHex, remote, remotePortHex, state, uid, inode] = row as unknown as string[];
    const localPort = Number.parseInt(localPortHex as string, 16);
    const remoteEnd = Number.parseInt(remotePortHex as string, 16);
    if (remotePort !== undefined && remoteEnd !== remotePort) continue;
    if (port !== undefined && localPort !== port && remoteEnd !== port) continue;
    rows.push({
      local: { address: hexAddress(local as string, littleEndian), port: localPort },
      remote: { address: hexAddress(remote as string, littleEndian), port: remoteEnd },
      state: Number.parseInt(state as string, 16),
      uid: Number(uid),
      inode: Number(inode),
    });
  }
  return rows;
}

/** `0100007F` → '127.0.0.1' (little-endian); 32 hex digits → the canonical IPv6 (or mapped IPv4) form. */
function hexAddress(hex: string, littleEndian: boolean): string {
  const words: number[] = [];
  for (let at = 0; at < hex.length; at += 8) {
    const word = Number.parseInt(hex.slice(at, at + 8), 16);
    // Each 32-bit word was printed as a native integer: on little-endian its first byte is lowest.
    words.push(littleEndian ? swap32(word) : word);
  }
  if (words.length === 1) {
    const w = words[0] as number;
    return `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
  }
  const groups = words.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]);
  return canonicalAddress(groups.join(':')) as string;
}

function swap32(word: number): number {
  return (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0;
}
