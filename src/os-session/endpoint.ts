// The two ends of an accepted loopback TCP connection, with addresses in one canonical form so the
// rows of every platform's table compare with the server socket's view (docs/SESSIONS.md §2).
import { isIP } from 'node:net';

/** An address in canonical form (see {@link canonicalAddress}) and a port. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** The server's end (the port browsers connect to) and the client's end (the browser's port). */
export interface ConnectionEnds {
  readonly server: Endpoint;
  readonly client: Endpoint;
}

/**
 * The server's side of an accepted connection, as node's `net.Socket` (or a `tls.TLSSocket`)
 * describes it: a socket can be passed as is. `destroyed` tells whether it closed.
 */
export interface AcceptedConnection {
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly destroyed?: boolean;
}

/**
 * An IP address in one form for comparing: IPv4 dotted as is, an IPv4-mapped IPv6 address as its
 * IPv4 address, other IPv6 addresses lower-case and compressed; brackets are removed. Undefined for
 * anything else (names, zone ids, garbage).
 *
 * @example
 * canonicalAddress('::ffff:127.0.0.1'); // '127.0.0.1'
 * canonicalAddress('[0:0:0:0:0:0:0:1]'); // '::1'
 */
export function canonicalAddress(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6 || bare.includes('%')) return undefined;
  let host: string;
  try {
    host = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const high = Number.parseInt(mapped[1] as string, 16);
  const low = Number.parseInt(mapped[2] as string, 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** Whether a canonical address is a loopback address (127.0.0.0/8 or ::1). */
export function isLoopback(canonical: string): boolean {
  return canonical === '::1' || (isIP(canonical) === 4 && canonical.startsWith('127.'));
}

/** Whether two endpoints are the same (both canonical). */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && a.address === b.address;
}

/** A valid TCP port number other than 0. */
export function isPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port <= 65535;
}

/**
 * The ends of an accepted connection in canonical form; `closed` when the socket no longer knows
 * them (node clears them once a socket is destroyed), `not-loopback` when either end is not a
 * loopback address: only a connection from this machine can have a local owner.
 */
export function connectionEnds(
  connection: AcceptedConnection,
): { ends: ConnectionEnds } | { problem: 'closed' | 'not-loopback' } {
  const { localAddress, localPort, remoteAddress, remotePort } = connection;
  if (connection.destroyed || !localAddress || !remoteAddress || !isPort(localPort) || !isPort(remotePort))
    return { problem: 'closed' };
  const server = canonicalAddress(localAddress);
  const client = canonicalAddress(remoteAddress);
  if (!server || !client || !isLoopback(server) || !isLoopback(client)) return { problem: 'not-loopback' };
  return {
    ends: { server: { address: server, port: localPort }, client: { address: client, port: remotePort } },
  };
}

/**
 * Splits `address:port` as netstat and lsof print it (`127.0.0.1:50123`, `[::1]:50123`) into a
 * canonical endpoint; undefined for anything else (`*:*`, `0.0.0.0:0` has port 0, names).
 *
 * @example
 * parseEndpoint('[::1]:23518'); // { address: '::1', port: 23518 }
 */
export function parseEndpoint(text: string): Endpoint | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  const rawAddress = text.slice(0, colon);
  // An unbracketed IPv6 address has colons of its own; netstat and lsof always bracket it.
  if (!rawAddress.startsWith('[') && rawAddress.includes(':')) return undefined;
  const address = canonicalAddress(rawAddress);
  return address && isPort(port) ? { address, port } : undefined;
}
