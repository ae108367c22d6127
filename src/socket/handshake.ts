// Who is knocking: decides from a socket.io handshake whether it is a browser (with its roomId),
// a peer instance (cloud PC mode) or someone to refuse. Pure: used by allowRequest and by the
// connection handler, testable without sockets. PROTOCOL.md §4, §5, §9.
import { isValidRoomId } from '../ipc/messages';
import { isOriginAllowed } from '../listener/origin-policy';

export type HandshakeDecision =
  | { admit: true; kind: 'browser'; roomId: string | undefined; note?: string }
  | { admit: true; kind: 'peer' }
  | { admit: false; reason: string };

export interface HandshakeFacts {
  /** The request URL (path and query) as received. */
  url: string | undefined;
  /** The Origin header, if any. */
  origin: string | undefined;
}

/** Reads one query parameter from a request URL; undefined when absent or unparsable. */
export function queryParam(url: string | undefined, name: string): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url, 'http://127.0.0.1').searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Classifies a handshake. A peer must not carry an Origin header: browsers always send one on
 * WebSocket handshakes, so a web page cannot pose as a peer and take over a student's room.
 *
 * @example
 * classifyHandshake({ url: '/socket.io/?childServer=true', origin: undefined }, [])
 * // { admit: true, kind: 'peer' }
 * classifyHandshake({ url: '/socket.io/?client=true&roomId=0a1b2c3d4e', origin: 'https://playentry.org' }, [])
 * // { admit: true, kind: 'browser', roomId: '0a1b2c3d4e' }
 */
export function classifyHandshake(
  facts: HandshakeFacts,
  allowedOrigins: readonly string[],
): HandshakeDecision {
  if (queryParam(facts.url, 'childServer') === 'true') {
    if (facts.origin !== undefined) {
      return { admit: false, reason: `peer handshake with an Origin header (${facts.origin})` };
    }
    return { admit: true, kind: 'peer' };
  }
  if (!isOriginAllowed(facts.origin, allowedOrigins)) {
    return { admit: false, reason: `origin ${facts.origin} is not allowed` };
  }
  const roomId = queryParam(facts.url, 'roomId');
  if (roomId === undefined || roomId === '') return { admit: true, kind: 'browser', roomId: undefined };
  const length = roomId.length;
  if (isValidRoomId(roomId)) return { admit: true, kind: 'browser', roomId };
  return {
    admit: true,
    kind: 'browser',
    roomId: undefined,
    note: `ignoring an unusable roomId (${length} chars)`,
  };
}
