// The one reader of a peer's `matchTarget` value (docs/PROTOCOL.md §4), a wire value that arrives
// as `unknown`: a roomId string (compat) or this version's MatchTargetValue. It is parsed once, on
// arrival, into ParsedMatchTarget; the room table and the reconnect hold read only that.
import { isValidRoomId } from '../ipc/messages';
import { asRecord, positiveOrZero } from '../util/wire';

/** A `matchTarget` as the host acts on it. */
export type ParsedMatchTarget =
  | {
      valid: true;
      roomId: string;
      /** How long ago the peer's room lost its browser to a failover; undefined when it had none. */
      browserLeftMsAgo: number | undefined;
    }
  | {
      valid: false;
      /** `typeof` the roomId that was sent, for the log line (never the attacker's text). */
      roomIdType: string;
    };

/**
 * Reads the roomId out of a `matchTarget` value: a string or `{ roomId }`.
 *
 * @example
 * roomIdFromMatchTarget({ roomId: 'abc' }) // 'abc'
 */
export function roomIdFromMatchTarget(value: unknown): unknown {
  const record = asRecord(value);
  return record !== undefined && 'roomId' in record ? record.roomId : value;
}

/**
 * Whether a `matchTarget` says the peer's room had a browser connected when the peer lost its
 * previous host (a failover): the new host then holds that room's messages for the reconnect
 * window although it never saw that browser itself.
 *
 * @example
 * browserWasConnected({ roomId: '0a1b2c3d4e', browserConnectedAtHostLoss: true }); // true
 * browserWasConnected('0a1b2c3d4e');                                                // false
 */
export function browserWasConnected(value: unknown): boolean {
  return asRecord(value)?.browserConnectedAtHostLoss === true;
}

/**
 * How long ago, by a `matchTarget`, the peer's room had its browser cut off by a failover:
 * undefined when it had none (see {@link browserWasConnected}); a missing or odd
 * `msSinceHostLoss` reads as 0 (just now).
 *
 * @example
 * browserLeftMsAgo({ roomId: 'r1', browserConnectedAtHostLoss: true, msSinceHostLoss: 1200 }); // 1200
 * browserLeftMsAgo({ roomId: 'r1' });                                                           // undefined
 */
export function browserLeftMsAgo(value: unknown): number | undefined {
  if (!browserWasConnected(value)) return undefined;
  return positiveOrZero(asRecord(value)?.msSinceHostLoss);
}

/**
 * Parses a `matchTarget` once, on arrival.
 *
 * @example
 * parseMatchTarget({ roomId: '0a1b2c3d4e' }) // { valid: true, roomId: '0a1b2c3d4e', browserLeftMsAgo: undefined }
 * parseMatchTarget(42)                      // { valid: false, roomIdType: 'number' }
 */
export function parseMatchTarget(value: unknown): ParsedMatchTarget {
  const roomId = roomIdFromMatchTarget(value);
  if (!isValidRoomId(roomId)) return { valid: false, roomIdType: typeof roomId };
  return { valid: true, roomId, browserLeftMsAgo: browserLeftMsAgo(value) };
}
