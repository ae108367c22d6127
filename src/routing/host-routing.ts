// Routing decisions of the host, as pure functions of a small snapshot of its state
// (docs/PROTOCOL.md §4). The socket layer (HostHub) asks these and carries out the answer, so every
// rule here is unit-testable without sockets. One rule decides who is served by a browser: its
// messages, and the parent's `connection` and `close` for it, go to the same instance.

import { asRecord } from '../util/wire';
import { HOST_INSTANCE } from './session-pairing';

/** What the host knows when it routes one message. */
export interface RoutingSnapshot {
  /** The host's own roomId (from its parent's `addRoomId`), if any. */
  ownRoomId: string | undefined;
  /**
   * Whether rooms decide routing: while any peer is connected, and also after the last one left
   * if this host has ever been part of a cloud (it had peers, or was a peer itself before a
   * failover). Only a host without a roomId that never was part of a cloud serves every browser
   * (single-server compat); a host with a roomId serves only its room whatever this says.
   */
  cloud: boolean;
  /** Peer socket id serving a roomId, from a granted `matchTarget`. */
  peerForRoom: (roomId: string) => string | undefined;
  /**
   * The instance a room no Entry HW named is paired with by OS session (HOST_INSTANCE or a peer
   * socket id; routing/session-pairing.ts), if any. Absent: nothing is paired by session.
   */
  pairedTo?: (roomId: string) => string | undefined;
  /** The rooms paired by OS session with the host's own instance (see `pairedTo`). */
  hostPairedRooms?: () => readonly string[];
}

/**
 * socket.io room every browser joins (and no peer), so a broadcast never reaches peers. Not a
 * valid roomId (it starts with a NUL), so no browser's own room can be called that.
 */
export const ALL_BROWSERS = '\u0000browsers';

/**
 * Which browsers a message reaches, in the shape socket.io's `BroadcastOperator` speaks:
 * `io.to(to).except(except)`. A browser is reached when it is in a room of `to` and in no room
 * of `except`; browsers are in {@link ALL_BROWSERS} and in the room of their roomId. `to` is never
 * empty (socket.io reads an empty `to` as everyone).
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
 * Whether an instance is left without a room: it has no roomId while rooms decide what it serves
 * (a peer always; a host once it has had a peer or was one). It then serves no browser at all
 * rather than guess which room is its student's (docs/PROTOCOL.md §4, "Which room is mine"), and
 * its parent is told `ROOM_UNKNOWN`.
 *
 * @example
 * withoutRoom(undefined, true);  // true
 * withoutRoom(undefined, false); // false (a single PC: the host serves every tab)
 * withoutRoom('0a1b2c3d4e', true); // false
 */
export function withoutRoom(ownRoomId: string | undefined, routesByRoom: boolean): boolean {
  return ownRoomId === undefined && routesByRoom;
}

/**
 * A parent send's route as targets: every browser, or one room.
 *
 * @example
 * sendTargets({ to: 'rooms', roomIds: ['r1'] }) // { to: ['r1'], except: [] }
 */
export function sendTargets(route: Exclude<ParentSendRoute, { to: 'nobody' }>): BrowserTargets {
  return route.to === 'rooms' ? { to: route.roomIds, except: [] } : { to: [ALL_BROWSERS], except: [] };
}

/**
 * Whether targets reach a browser with this roomId (undefined: it gave none), e.g. to decide
 * which reconnecting tabs get a message held.
 *
 * @example
 * targetsReach({ to: ['r1'], except: [] }, 'r1'); // true
 * targetsReach({ to: [ALL_BROWSERS], except: [] }, undefined); // true
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
 * Which instance a browser is served by: where its `message`s go, and whose parent hears
 * `connection` and `close` for it. The peer holding its room; else the host when the room is the
 * host's own; else the instance the room is paired with by OS session; else the host
 * when it has no roomId and never was part of a cloud (single-server compat: every browser); else
 * nobody.
 *
 * @example
 * routeBrowserMessage({ ownRoomId: 'a', cloud: true, peerForRoom: (r) => (r === 'b' ? 'p1' : undefined) }, 'b')
 * // { to: 'peer', peerId: 'p1' }
 * routeBrowserMessage({ ownRoomId: undefined, cloud: true, peerForRoom: () => undefined }, 'b')
 * // { to: 'drop', reason: '...' }  (the host cannot tell whether room b is its student's)
 */
export function routeBrowserMessage(
  state: RoutingSnapshot,
  browserRoomId: string | undefined,
): BrowserMessageRoute {
  const peerId = browserRoomId === undefined ? undefined : state.peerForRoom(browserRoomId);
  if (peerId !== undefined) return { to: 'peer', peerId };
  if (state.ownRoomId !== undefined && browserRoomId === state.ownRoomId) return { to: 'parent' };
  const paired = browserRoomId === undefined ? undefined : state.pairedTo?.(browserRoomId);
  if (paired !== undefined)
    return paired === HOST_INSTANCE ? { to: 'parent' } : { to: 'peer', peerId: paired };
  if (state.ownRoomId !== undefined) {
    return { to: 'drop', reason: `no Entry HW on this PC has room ${browserRoomId ?? '(none)'}` };
  }
  if (!withoutRoom(state.ownRoomId, state.cloud)) return { to: 'parent' };
  return {
    to: 'drop',
    reason: `no Entry HW on this PC has room ${browserRoomId ?? '(none)'} (the host has no room number either)`,
  };
}

export type ParentSendRoute =
  | { to: 'all-browsers' }
  | { to: 'rooms'; roomIds: string[] }
  | { to: 'nobody'; reason: string };

/**
 * Which browsers a `send` from the host's own parent reaches: its own room's and those paired with
 * it by OS session, or every browser while it is a single server without a roomId (compat), or
 * none while it has neither in a cloud (it cannot tell which room is its student's).
 *
 * @example
 * routeParentSend({ ownRoomId: undefined, cloud: true, peerForRoom: () => undefined })
 * // { to: 'nobody', reason: '...' }  (never other students' browsers)
 */
export function routeParentSend(state: RoutingSnapshot): ParentSendRoute {
  const paired = state.hostPairedRooms?.() ?? [];
  if (state.ownRoomId !== undefined) return { to: 'rooms', roomIds: [state.ownRoomId, ...paired] };
  if (!withoutRoom(state.ownRoomId, state.cloud)) return { to: 'all-browsers' };
  if (paired.length > 0) return { to: 'rooms', roomIds: [...paired] };
  return { to: 'nobody', reason: 'this Entry HW has not been told its room number on this shared PC' };
}

export type PeerMessageRoute = { to: 'rooms'; roomIds: string[] } | { to: 'drop'; reason: string };

/**
 * Where a peer's `message` goes: the browsers of the room the peer matched and of the rooms paired
 * with it by OS session.
 *
 * @example
 * routePeerMessage('0a1b2c3d4e') // { to: 'rooms', roomIds: ['0a1b2c3d4e'] }
 * routePeerMessage(undefined, ['f0e1d2c3b4']) // { to: 'rooms', roomIds: ['f0e1d2c3b4'] }
 */
export function routePeerMessage(
  peerRoomId: string | undefined,
  pairedRooms: readonly string[] = [],
): PeerMessageRoute {
  if (peerRoomId === undefined && pairedRooms.length === 0)
    return {
      to: 'drop',
      reason:
        'the peer holds no room (no matchTarget yet, or its claim was refused) and none is paired with its OS session',
    };
  return { to: 'rooms', roomIds: peerRoomId === undefined ? [...pairedRooms] : [peerRoomId, ...pairedRooms] };
}

/** The value the browser's acknowledgement callback receives: `message.key` if present, else `true`. */
export function ackValue(message: unknown): unknown {
  const key = asRecord(message)?.key;
  return key === undefined || key === null ? true : key;
}
