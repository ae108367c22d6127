// Routing decisions of the host, as pure functions of a small snapshot of its state
// (docs/PROTOCOL.md §4). The socket layer (HostHub) asks these and carries out the answer, so every
// rule here is unit-testable without sockets.

/** What the host knows when it routes one message. */
export interface RoutingSnapshot {
  /** The host's own roomId (from its parent's `addRoomId`), if any. */
  ownRoomId: string | undefined;
  /**
   * Whether rooms decide routing: while any peer is connected, and also after the last one left
   * if this host has ever been part of a cloud (it had peers, or was a peer itself before a
   * failover). A cloud that shrank to one instance must not start broadcasting one student's
   * device data to every other student's tab.
   */
  cloud: boolean;
  /** Peer socket id serving a roomId, from `matchTarget`. */
  peerForRoom: (roomId: string) => string | undefined;
  /**
   * Whether some peer has claimed this roomId on this host, even if it left since. Such a room
   * is never served by a host without a roomId: its browser belongs to the peer (or to nobody
   * while the peer is away), not to a stranger. Omitted: no room was ever claimed.
   */
  claimedBefore?: (roomId: string) => boolean;
  /**
   * Every roomId {@link isUnmatchedBrowser} treats as matched: the rooms peers hold now plus the
   * rooms claimed before. Needed only by {@link parentSendTargets}; omitted: none.
   */
  matchedRooms?: () => Iterable<string>;
}

/**
 * socket.io room every browser joins (and no peer), so a broadcast never reaches peers. Not a
 * valid roomId (it starts with a NUL), so no browser's own room can be called that.
 */
export const ALL_BROWSERS = '\u0000browsers';

/**
 * Which browsers a message reaches, in the shape socket.io's `BroadcastOperator` speaks:
 * `io.to(to).except(except)`. A browser is reached when it is in a room of `to` and in no room
 * of `except`; browsers are in {@link ALL_BROWSERS} and in the room of their roomId.
 */
export interface BrowserTargets {
  to: readonly string[];
  except: readonly string[];
}

/** The browsers of one room. */
export function roomTargets(roomId: string): BrowserTargets {
  return { to: [roomId], except: [] };
}

/**
 * {@link routeParentSend} as targets: every browser, one room, or the unmatched browsers, which
 * are all browsers except those of a matched room (held by a peer now, or claimed before).
 *
 * @example
 * parentSendTargets({ ownRoomId: undefined, cloud: true, peerForRoom: () => undefined, matchedRooms: () => ['r1'] })
 * // { to: [ALL_BROWSERS], except: ['r1'] }
 */
export function parentSendTargets(state: RoutingSnapshot): BrowserTargets {
  const route = routeParentSend(state);
  if (route.to === 'room') return roomTargets(route.roomId);
  if (route.to === 'all-browsers') return { to: [ALL_BROWSERS], except: [] };
  return { to: [ALL_BROWSERS], except: [...(state.matchedRooms?.() ?? [])] };
}

/**
 * Whether targets reach a browser with this roomId (undefined: it gave none), e.g. to decide
 * which reconnecting tabs get a message held.
 *
 * @example
 * targetsReach({ to: [ALL_BROWSERS], except: ['r1'] }, 'r1'); // false
 * targetsReach({ to: [ALL_BROWSERS], except: ['r1'] }, undefined); // true
 */
export function targetsReach(targets: BrowserTargets, roomId: string | undefined): boolean {
  if (roomId !== undefined && targets.except.includes(roomId)) return false;
  return targets.to.includes(ALL_BROWSERS) || (roomId !== undefined && targets.to.includes(roomId));
}

export type BrowserMessageRoute =
  | { to: 'parent' }
  | { to: 'peer'; peerId: string }
  | { to: 'drop'; reason: string };

/**
 * Where a browser's `message` goes.
 *
 * @example
 * routeBrowserMessage({ ownRoomId: 'a', cloud: true, peerForRoom: (r) => (r === 'b' ? 'p1' : undefined) }, 'b')
 * // { to: 'peer', peerId: 'p1' }
 */
export function routeBrowserMessage(
  state: RoutingSnapshot,
  browserRoomId: string | undefined,
): BrowserMessageRoute {
  if (!state.cloud) return { to: 'parent' };
  const peerId = browserRoomId === undefined ? undefined : state.peerForRoom(browserRoomId);
  if (peerId !== undefined) return { to: 'peer', peerId };
  if (state.ownRoomId === undefined) {
    if (browserRoomId !== undefined && state.claimedBefore?.(browserRoomId))
      return { to: 'drop', reason: `the instance of room ${browserRoomId} left` };
    return { to: 'parent' };
  }
  if (browserRoomId === state.ownRoomId) return { to: 'parent' };
  return { to: 'drop', reason: `roomId ${browserRoomId ?? '(none)'} belongs to no instance` };
}

export type ParentSendRoute =
  | { to: 'all-browsers' }
  | { to: 'room'; roomId: string }
  | { to: 'unmatched-browsers' };

/**
 * Which browsers a `send` from the host's own parent reaches.
 *
 * @example
 * routeParentSend({ ownRoomId: undefined, cloud: true, peerForRoom: () => undefined })
 * // { to: 'unmatched-browsers' }  (never other students' browsers)
 */
export function routeParentSend(state: RoutingSnapshot): ParentSendRoute {
  if (!state.cloud) return { to: 'all-browsers' };
  if (state.ownRoomId !== undefined) return { to: 'room', roomId: state.ownRoomId };
  return { to: 'unmatched-browsers' };
}

/**
 * Whether a browser counts as served by the host itself when the host has no roomId of its own:
 * true when no peer holds its roomId and none ever claimed it (a room whose peer left is
 * served by nobody until a peer claims it again, never by the host's parent).
 */
export function isUnmatchedBrowser(state: RoutingSnapshot, browserRoomId: string | undefined): boolean {
  if (browserRoomId === undefined) return true;
  return state.peerForRoom(browserRoomId) === undefined && !state.claimedBefore?.(browserRoomId);
}

export type PeerMessageRoute = { to: 'room'; roomId: string } | { to: 'drop'; reason: string };

/**
 * Where a peer's `message` goes: the browsers of the room the peer matched.
 *
 * @example
 * routePeerMessage('0a1b2c3d4e') // { to: 'room', roomId: '0a1b2c3d4e' }
 */
export function routePeerMessage(peerRoomId: string | undefined): PeerMessageRoute {
  if (peerRoomId === undefined)
    return { to: 'drop', reason: 'the peer holds no room (no matchTarget yet, or its claim was refused)' };
  return { to: 'room', roomId: peerRoomId };
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
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { browserConnectedAtHostLoss?: unknown }).browserConnectedAtHostLoss === true
  );
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
  const ms = (value as { msSinceHostLoss?: unknown }).msSinceHostLoss;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** Reads the roomId out of a `matchTarget` value: a string or `{ roomId }`. */
export function roomIdFromMatchTarget(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'roomId' in value)
    return (value as { roomId: unknown }).roomId;
  return value;
}

/** The value the browser's acknowledgement callback receives: `message.key` if present, else `true`. */
export function ackValue(message: unknown): unknown {
  if (typeof message === 'object' && message !== null && 'key' in message) {
    const key = (message as { key: unknown }).key;
    if (key !== undefined && key !== null) return key;
  }
  return true;
}
