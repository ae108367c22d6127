// The readers of what a host sends to a peer (HostToPeerEvents in socket-events.ts, docs/PROTOCOL.md
// §4): wire values that arrive as `unknown` from whatever holds the port. Each is parsed once, on
// arrival at the peer's link, into a typed value or undefined (ignored).
import { isValidRoomId } from '../ipc/messages';
import type { RoomClaimRefusal } from '../routing/room-claims';
import { asRecord } from '../util/wire';
import type { RoomClaimRefusedValue } from './socket-events';

/** Longest refusal text from the host that a peer keeps (it ends up in a log line). */
export const MAX_REFUSAL_MESSAGE = 300;

/** The refusal reasons a peer tells apart; any other reads as `held-by-another-peer`. */
const KNOWN_REFUSALS: readonly RoomClaimRefusal[] = ['host-room', 'too-many-claims', 'host-full'];

/** `roomConnection` / `roomClose`: a room and how many browsers it has now (undefined: not said). */
export interface RoomBrowsers {
  roomId: string;
  browsers: number | undefined;
}

/**
 * A browser count as the host sent it: a non-negative integer, else undefined.
 *
 * @example
 * browserCount(2);   // 2
 * browserCount(-1);  // undefined
 */
export function browserCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Reads `roomConnection` / `roomClose` (roomId, browsers): undefined when the roomId is unusable.
 *
 * @example
 * parseRoomBrowsers('0a1b2c3d4e', 1); // { roomId: '0a1b2c3d4e', browsers: 1 }
 * parseRoomBrowsers('', 1);           // undefined
 */
export function parseRoomBrowsers(roomId: unknown, browsers: unknown): RoomBrowsers | undefined {
  return isValidRoomId(roomId) ? { roomId, browsers: browserCount(browsers) } : undefined;
}

/**
 * Reads `roomFree` (roomId): undefined when the roomId is unusable.
 *
 * @example
 * parseRoomFree('0a1b2c3d4e'); // '0a1b2c3d4e'
 */
export function parseRoomFree(roomId: unknown): string | undefined {
  return isValidRoomId(roomId) ? roomId : undefined;
}

/**
 * Reads `roomClaimRefused`: undefined without a usable roomId; an unknown reason reads as
 * `held-by-another-peer`, a missing message as `room claimed`, a long one is cut to
 * {@link MAX_REFUSAL_MESSAGE} characters.
 *
 * @example
 * parseRoomClaimRefused({ roomId: '0a1b2c3d4e', reason: 'host-full', message: 'full' });
 * // { roomId: '0a1b2c3d4e', reason: 'host-full', message: 'full' }
 * parseRoomClaimRefused({ roomId: '0a1b2c3d4e' });
 * // { roomId: '0a1b2c3d4e', reason: 'held-by-another-peer', message: 'room claimed' }
 */
export function parseRoomClaimRefused(value: unknown): RoomClaimRefusedValue | undefined {
  const fields = asRecord(value);
  if (fields === undefined || !isValidRoomId(fields.roomId)) return undefined;
  const { message } = fields;
  return {
    roomId: fields.roomId,
    reason: KNOWN_REFUSALS.find((known) => known === fields.reason) ?? 'held-by-another-peer',
    message: typeof message === 'string' ? message.slice(0, MAX_REFUSAL_MESSAGE) : 'room claimed',
  };
}
