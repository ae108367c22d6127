// socket.io events between a peer instance and the host (cloud PC mode), in one place so both
// sides name them identically. `message` carries data both ways, as it does for browsers.

/** Peer → host: the roomId this peer serves (a string or `{ roomId }`; compat). */
export const MATCH_TARGET_EVENT = 'matchTarget';

/**
 * Host → peer (extension): a browser of the peer's room connected / left the host. The peer's
 * parent then gets `connection` / `close` like the host's own parent does, so Entry HW on a peer
 * can re-announce its device to a returning browser and reset it when the student's tab closes.
 * Peers of the original server ignore these events.
 */
export const ROOM_CONNECTION_EVENT = 'roomConnection';
export const ROOM_CLOSE_EVENT = 'roomClose';

/**
 * Peer → host (extension): what this instance's Entry HW reported about its device, so the host's
 * diagnostics page shows the whole classroom (src/diagnostics/snapshot.ts PeerReport). Sent after
 * each (re)connection and on each change. Hosts of the original server ignore it.
 */
export const DIAGNOSTICS_REPORT_EVENT = 'diagnosticsReport';
