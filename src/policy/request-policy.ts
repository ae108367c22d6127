// The request policy (docs/PROTOCOL.md §9): one pure decision for every HTTP request and every
// upgrade, taken before engine.io or the HTTP routes see it, on the plain and the TLS side alike.
// - Host allow-list (DNS rebinding): a page whose own name was re-pointed to 127.0.0.1 sends its
//   own name as Host and is refused on every route.
// - Under the socket.io path: JSONP polling (`j=`) is refused; every request (handshake or not)
//   needs an allowed Origin, or no Origin on a WebSocket upgrade (a local program); handshakes
//   are classified by policy/handshake.ts (peers: WebSocket without Origin only).
// Pure: no sockets, no logging; the caller answers and logs.
import type { IncomingHttpHeaders } from 'node:http';
import { clip, type RefusalKind } from '../util/log';
import { classifyHandshake, type HandshakeDecision, headerValue } from './handshake';
import { checkSocketOrigin } from './origin-policy';

/** Path of the socket.io endpoint (compat). */
export const SOCKET_IO_PATH = '/socket.io/';

/** Host names this server answers to; any port (or none) may follow. */
export const ALLOWED_HOSTNAMES: readonly string[] = [
  '127.0.0.1',
  'localhost',
  '[::1]',
  'hw.playentry.org',
  'hardware.playentry.org',
];

export interface RequestFacts {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  /** True for an HTTP upgrade (the http.Server `upgrade` event). */
  isUpgrade: boolean;
}

export type Admission =
  | {
      allow: true;
      /** How a socket.io handshake (no `sid`) was classified: the hub reads it instead of classifying again. */
      handshake?: HandshakeDecision;
    }
  | {
      allow: false;
      status: 400 | 403;
      /** Why, for the log line (attacker text already clipped). */
      reason: string;
      /** What kind of refusal, for the counted log line and the diagnostics page's row. */
      kind: RefusalKind;
    };

/**
 * True when a Host header names this server: one of {@link ALLOWED_HOSTNAMES}, with or without
 * a port. Case-insensitive; a missing header is refused.
 *
 * @example
 * isHostAllowed('127.0.0.1:23518')    // true
 * isHostAllowed('hw.playentry.org')   // true
 * isHostAllowed('rebind.evil.example:23518') // false
 */
export function isHostAllowed(host: string | undefined): boolean {
  if (host === undefined) return false;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host);
  if (!match) return false;
  return ALLOWED_HOSTNAMES.includes((match[1] as string).toLowerCase());
}

/** True when a request URL belongs to socket.io. */
export function isSocketIoPath(url: string | undefined): boolean {
  return typeof url === 'string' && url.startsWith(SOCKET_IO_PATH);
}

/**
 * Decides whether one request (or upgrade) may go on to the routes or to engine.io.
 *
 * @example
 * admitRequest({ method: 'GET', url: '/status', headers: { host: '127.0.0.1:23518' }, isUpgrade: false }, [])
 * // { allow: true }
 * admitRequest({ method: 'GET', url: '/socket.io/?EIO=3&transport=polling&j=0', headers: { host: '127.0.0.1' }, isUpgrade: false }, [])
 * // { allow: false, status: 400, reason: 'JSONP polling is refused', kind: 'jsonp' }
 */
export function admitRequest(facts: RequestFacts, allowedOrigins: readonly string[]): Admission {
  const host = headerValue(facts.headers.host);
  if (!isHostAllowed(host)) {
    const shown = host === undefined ? 'none' : clip(host);
    return { allow: false, status: 403, reason: `Host ${shown} is not this server`, kind: 'host' };
  }
  if (!isSocketIoPath(facts.url)) return { allow: true };

  let query: URLSearchParams;
  try {
    query = new URL(facts.url as string, 'http://127.0.0.1').searchParams;
  } catch {
    return { allow: false, status: 400, reason: 'unparsable socket.io URL', kind: 'bad-request' };
  }
  if (query.has('j')) return { allow: false, status: 400, reason: 'JSONP polling is refused', kind: 'jsonp' };

  const origin = headerValue(facts.headers.origin);
  const checked = checkSocketOrigin(origin, facts.isUpgrade, allowedOrigins);
  if (!checked.ok) {
    const shown = origin === undefined ? '' : ` ${clip(origin)}`;
    return {
      allow: false,
      status: 403,
      reason: `${checked.reason}${shown}`,
      kind: 'origin',
    };
  }
  if (!query.has('sid')) {
    const decision = classifyHandshake(
      { url: facts.url, origin, websocket: facts.isUpgrade },
      allowedOrigins,
    );
    if (!decision.admit) {
      return { allow: false, status: 403, reason: decision.reason, kind: 'handshake' };
    }
    return { allow: true, handshake: decision };
  }
  return { allow: true };
}
