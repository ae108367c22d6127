// socket.io events between a peer instance and the host (cloud PC mode), in one place so both
// sides name them identically. `message` carries data both ways, as it does for browsers.
import type { RoomClaimRefusal } from '../routing/room-claims';

/** Peer → host: the roomId this peer serves (a string or `{ roomId }`; compat). */
export const MATCH_TARGET_EVENT = 'matchTarget';

/**
 * What this version's peers send with `matchTarget` (extension of the compat `{ roomId }`):
 * `browserConnectedAtHostLoss` is true on the first claim after a failover when the peer's room
 * had a browser connected to the lost host, so the new host holds that room's messages for the
 * reconnecting tab (PROTOCOL.md §4). `msSinceHostLoss` says how long ago that was, so the new
 * host holds only for what is left of the 5 s window (a peer that found no host for a while
 * does not extend it).
 */
export interface MatchTargetValue {
  roomId: string;
  browserConnectedAtHostLoss?: boolean;
  msSinceHostLoss?: number;
}

/**
 * Host → peer (extension): a browser of the peer's room connected / left the host. The peer's
 * parent then gets `connection` / `close` like the host's own parent does, so Entry HW on a peer
 * can re-announce its device to a returning browser and reset it when the student's tab closes.
 * Arguments: the roomId, then the number of that room's browsers now connected.
 * Peers of the original server ignore these events.
 */
export const ROOM_CONNECTION_EVENT = 'roomConnection';
export const ROOM_CLOSE_EVENT = 'roomClose';

/**
 * Host → peer (extension): the peer's `matchTarget` was refused (the room is held by another
 * connected peer, or is the host's own room). The peer serves no room until a claim succeeds;
 * its parent gets `error { code: 'ROOM_CLAIMED' }`.
 */
export const ROOM_CLAIM_REFUSED_EVENT = 'roomClaimRefused';

export interface RoomClaimRefusedValue {
  roomId: string;
  reason: RoomClaimRefusal;
  message: string;
}

/**
 * Peer → host (extension): what this instance's Entry HW reported about its device, so the host's
 * diagnostics page shows the whole classroom (src/diagnostics/snapshot.ts PeerReport). Sent after
 * each (re)connection and on each change. Hosts of the original server ignore it.
 */
export const DIAGNOSTICS_REPORT_EVENT = 'diagnosticsReport';
