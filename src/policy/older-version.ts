// Mixed versions on one PC (docs/PROTOCOL.md §5): the original v2.0.0 server joins a host with
// socket.io-client 2.3 defaults (Engine.IO 3, polling first, no Origin), which this version's
// hosts refuse, and its own host (TLS only, `hello entry` on every path) cannot take this
// version's peers. Both sides recognise the other and say so instead of failing silently.
import { parseHandshakeQuery } from '../contracts/handshake-query';

/** The log line a host writes (once) when an older instance tries to join it. */
export const OLDER_SERVER_JOIN_MESSAGE =
  'an older entry-hw-server (v2, Engine.IO 3) tried to join this host as a peer and was refused; ' +
  'every entry-hw-server instance on one PC must run the same version';

/**
 * True when a socket.io request looks like the original server joining as a peer:
 * `childServer=true` with Engine.IO protocol 3 (socket.io-client 2.x, which starts with polling).
 * This version's peers always use Engine.IO 4 over WebSocket. A `childServer=true` polling
 * request with Engine.IO 4 is not the original either (it is refused as a peer over polling,
 * docs/PROTOCOL.md §5), so it is not named as one. Pure, for the refusal path to call before it logs.
 *
 * @example
 * isOlderServerJoin('/socket.io/?childServer=true&EIO=3&transport=polling'); // true
 * isOlderServerJoin('/socket.io/?childServer=true&EIO=4&transport=websocket'); // false
 */
export function isOlderServerJoin(url: string | undefined): boolean {
  const query = parseHandshakeQuery(url);
  return query.childServer && query.engineIo === '3';
}
