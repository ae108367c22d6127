// Who is knocking: decides from a socket.io handshake whether it is a browser (with its roomId),
// a peer instance (cloud PC mode) or someone to refuse. Pure: used by allowRequest and by the
// connection handler, testable without sockets. docs/PROTOCOL.md §4, §5, §9.

import { parseHandshakeQuery } from '../contracts/handshake-query';
import { clip } from '../util/log';
import { checkSocketOrigin } from './origin-policy';

export type HandshakeDecision =
  | { admit: true; kind: 'browser'; roomId: string | undefined; note?: string }
  | { admit: true; kind: 'peer' }
  | { admit: false; reason: string };

export interface HandshakeFacts {
  /** The request URL (path and query) as received. */
  url: string | undefined;
  /** The Origin header, if any. */
  origin: string | undefined;
  /** True when the handshake is a WebSocket upgrade (not polling). */
  websocket: boolean;
}

/**
 * First value of a header that may repeat (Node gives an array for some repeated headers).
 *
 * @example
 * headerValue(['a', 'b']) // 'a'
 */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * True when request headers ask for a WebSocket upgrade.
 *
 * @example
 * isWebSocketUpgrade({ upgrade: 'websocket' }) // true
 */
export function isWebSocketUpgrade(headers: { upgrade?: string | string[] | undefined }): boolean {
  const value = headerValue(headers.upgrade);
  return typeof value === 'string' && value.toLowerCase() === 'websocket';
}

/**
 * Classifies a handshake. A peer must come over a WebSocket upgrade without an Origin header:
 * browsers always send one on WebSocket handshakes, and a polling request from a `<script>` or
 * `<img>` carries none, so a web page cannot pose as a peer and take over a student's room.
 * A browser needs an allowed Origin, or none on a WebSocket (a local program).
 *
 * @example
 * classifyHandshake({ url: '/socket.io/?childServer=true', origin: undefined, websocket: true }, [])
 * // { admit: true, kind: 'peer' }
 * classifyHandshake({ url: '/socket.io/?client=true&roomId=0a1b2c3d4e', origin: 'https://playentry.org', websocket: true }, [])
 * // { admit: true, kind: 'browser', roomId: '0a1b2c3d4e' }
 */
export function classifyHandshake(
  facts: HandshakeFacts,
  allowedOrigins: readonly string[],
): HandshakeDecision {
  const query = parseHandshakeQuery(facts.url);
  if (query.childServer) {
    if (facts.origin !== undefined) {
      return { admit: false, reason: `peer handshake with an Origin header (${clip(facts.origin)})` };
    }
    if (!facts.websocket) return { admit: false, reason: 'peer handshake over polling (WebSocket only)' };
    return { admit: true, kind: 'peer' };
  }
  const origin = checkSocketOrigin(facts.origin, facts.websocket, allowedOrigins);
  if (!origin.ok) {
    const what = facts.origin === undefined ? '' : ` (${clip(facts.origin)})`;
    return { admit: false, reason: `${origin.reason}${what}` };
  }
  const { roomId } = query;
  if (roomId.kind === 'absent') return { admit: true, kind: 'browser', roomId: undefined };
  if (roomId.kind === 'valid') return { admit: true, kind: 'browser', roomId: roomId.roomId };
  return {
    admit: true,
    kind: 'browser',
    roomId: undefined,
    note: `ignoring an unusable roomId (${roomId.length} chars)`,
  };
}
