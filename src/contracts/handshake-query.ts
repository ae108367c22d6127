// The one reader of a socket.io handshake's query (docs/PROTOCOL.md §4, §5): the request URL is
// parsed once into the facts the admission rules decide on (policy/handshake.ts classifyHandshake,
// policy/older-version.ts isOlderServerJoin).
import { isValidRoomId } from '../ipc/messages';

/** The roomId a handshake carries: none (absent or empty), a valid one, or one too odd to use. */
export type HandshakeRoomId =
  | { kind: 'absent' }
  | { kind: 'valid'; roomId: string }
  | {
      kind: 'unusable';
      /** Its length, for the log line (never the text itself). */
      length: number;
    };

/** What a handshake's query says about who is connecting. */
export interface HandshakeQuery {
  /** `childServer=true`: an instance joining as a peer. */
  childServer: boolean;
  /** The `EIO` parameter (Engine.IO protocol version), undefined when absent. */
  engineIo: string | undefined;
  roomId: HandshakeRoomId;
}

/** The parameters of a request URL; undefined when absent or unparsable. */
function searchParams(url: string | undefined): URLSearchParams | undefined {
  if (!url) return undefined;
  try {
    return new URL(url, 'http://127.0.0.1').searchParams;
  } catch {
    return undefined;
  }
}

/**
 * Parses a handshake's request URL once (a repeated parameter counts by its first value). An
 * unparsable URL reads as an empty query.
 *
 * @example
 * parseHandshakeQuery('/socket.io/?client=true&roomId=0a1b2c3d4e&EIO=4');
 * // { childServer: false, engineIo: '4', roomId: { kind: 'valid', roomId: '0a1b2c3d4e' } }
 * parseHandshakeQuery('/socket.io/?childServer=true'); // { childServer: true, engineIo: undefined, roomId: { kind: 'absent' } }
 */
export function parseHandshakeQuery(url: string | undefined): HandshakeQuery {
  const params = searchParams(url);
  const roomId = params?.get('roomId') ?? undefined;
  const length = roomId?.length ?? 0;
  return {
    childServer: params?.get('childServer') === 'true',
    engineIo: params?.get('EIO') ?? undefined,
    roomId:
      roomId === undefined || roomId === ''
        ? { kind: 'absent' }
        : isValidRoomId(roomId)
          ? { kind: 'valid', roomId }
          : { kind: 'unusable', length },
  };
}
