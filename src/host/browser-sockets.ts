// A browser's socket on the host: joins its rooms, hands each `message` to the routing rules
// (to the host's parent, to the peer of its room, or dropped), acknowledges it, gets what was
// held for its room, has its OS session looked up (session-pairings.ts), and tells the instance
// that serves it (the same rule as its messages) when it connects and leaves: the host's parent
// (`connection` / `close`) or its room's peer.

import { ROOM_CLOSE_EVENT, ROOM_CONNECTION_EVENT } from '../contracts/socket-events';
import { ALL_BROWSERS, ackValue, routeBrowserMessage } from '../routing/host-routing';
import { clip } from '../util/log';
import type { HubContext } from './hub-context';
import type { HostSocket } from './peer-rooms';

/**
 * Wires an admitted browser socket.
 *
 * @example
 * wireBrowser(context, socket, decision.roomId, decision.note);
 */
export function wireBrowser(
  hub: HubContext,
  socket: HostSocket,
  roomId: string | undefined,
  note: string | undefined,
): void {
  if (note) hub.logger.warnOnce(`note:${note}`, `browser handshake: ${note}`);
  socket.data = { kind: 'browser', roomId };
  socket.join(ALL_BROWSERS);
  if (roomId !== undefined) socket.join(roomId);
  socket.on('message', (message, ack) =>
    hub.guard('browser message', () => {
      routeFromBrowser(hub, roomId, message);
      if (typeof ack === 'function') ack(ackValue(message));
    }),
  );
  socket.onAny((event: string) => {
    if (event !== 'message') hub.logger.refused('event', `"${clip(event, 40)}" from a browser`);
  });
  socket.once('disconnect', () => hub.guard('browser disconnect', () => browserLeft(hub, socket)));
  hub.stats?.browserJoined(roomId);
  hub.delivery.browserArrived(socket);
  // Its session is looked up now; a room paired before (a reload) is served at once.
  hub.pairings.browserArrived(socket);
  tellServer(hub, roomId, 'connection', roomId === undefined ? 0 : hub.inRoom(roomId));
}

function routeFromBrowser(hub: HubContext, roomId: string | undefined, message: unknown): void {
  hub.stats?.fromBrowser(roomId);
  const route = routeBrowserMessage(hub.snapshot(), roomId);
  if (route.to === 'parent') {
    hub.owner.data(message);
  } else if (route.to === 'peer') {
    hub.io.sockets.sockets.get(route.peerId)?.emit('message', message);
  } else {
    hub.stats?.dropped(roomId, 'no-instance-for-room');
    hub.logger.warnOnce(`drop:${roomId}`, `dropping a browser message: ${route.reason}`);
  }
}

function browserLeft(hub: HubContext, browser: HostSocket): void {
  const roomId = browser.data.roomId;
  const left = roomId === undefined ? browsersWithoutRoom(hub) : hub.inRoom(roomId);
  if (left === 0) hub.delivery.roomLeft(roomId);
  hub.stats?.browserLeft(roomId);
  tellServer(hub, roomId, 'close', left);
  hub.pairings.browserLeft();
}

/**
 * Tells the instance a browser is served by (docs/PROTOCOL.md §4) that it connected or left:
 * the host's parent hears `connection` / `close`, a peer `roomConnection` / `roomClose` with the
 * room's browser count. Nobody else hears of it: another student's Entry HW resets its device on
 * `close`.
 */
function tellServer(
  hub: HubContext,
  roomId: string | undefined,
  event: 'connection' | 'close',
  browsersInRoom: number,
): void {
  const route = routeBrowserMessage(hub.snapshot(), roomId);
  if (route.to === 'parent') hub.owner[event]({ kind: 'browser', roomId });
  else if (route.to === 'peer' && roomId !== undefined)
    hub.io.sockets.sockets
      .get(route.peerId)
      ?.emit(event === 'connection' ? ROOM_CONNECTION_EVENT : ROOM_CLOSE_EVENT, roomId, browsersInRoom);
}

/** Browsers connected without a roomId. */
function browsersWithoutRoom(hub: HubContext): number {
  let count = 0;
  for (const id of hub.io.sockets.adapter.rooms.get(ALL_BROWSERS) ?? [])
    if (hub.io.sockets.sockets.get(id)?.data.roomId === undefined) count += 1;
  return count;
}
