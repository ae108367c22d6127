// A peer instance's socket on the host (cloud PC mode, docs/PROTOCOL.md §4-5): its room claims
// (carried out by PeerRooms) and what a granted claim means for held messages and for the room's
// browsers, its diagnostics reports, and its messages for the browsers of its room.

import { queuedMsOf } from '../contracts/forward-meta';
import { type ParsedMatchTarget, parseMatchTarget } from '../contracts/match-target';
import { parsePeerReport } from '../contracts/peer-report';
import {
  DIAGNOSTICS_REPORT_EVENT,
  MATCH_TARGET_EVENT,
  ROOM_CONNECTION_EVENT,
} from '../contracts/socket-events';
import { routePeerMessage } from '../routing/host-routing';
import { clip } from '../util/log';
import { ALL_PEERS, type HubContext } from './hub-context';
import type { HostSocket } from './peer-rooms';

/**
 * Wires an admitted peer socket.
 *
 * @example
 * wirePeer(context, socket);
 */
export function wirePeer(hub: HubContext, socket: HostSocket): void {
  socket.data = { kind: 'peer', roomId: undefined };
  socket.join(ALL_PEERS);
  hub.becameCloud();
  socket.on(MATCH_TARGET_EVENT, (value) => hub.guard('matchTarget', () => matchPeer(hub, socket, value)));
  // Parsed on arrival into the few short fields the page shows; the rest is dropped at once, so a
  // peer's report costs the host a few hundred bytes whatever it sent.
  socket.on(DIAGNOSTICS_REPORT_EVENT, (report) =>
    hub.guard('diagnosticsReport', () => {
      socket.data.report = parsePeerReport(report);
      hub.pairings.peerReported(socket, socket.data.report.session);
    }),
  );
  socket.on('message', (message, meta) =>
    hub.guard('peer message', () => {
      const route = routePeerMessage(socket.data.roomId, hub.pairings.roomsOf(socket.id));
      if (route.to === 'rooms')
        hub.delivery.deliver({ to: route.roomIds, except: [] }, message, queuedMsOf(meta));
      else hub.logger.warnOnce(`peer-drop:${socket.id}`, `dropping a peer message: ${route.reason}`);
    }),
  );
  socket.onAny((event: string) => {
    if (event !== 'message' && event !== MATCH_TARGET_EVENT && event !== DIAGNOSTICS_REPORT_EVENT) {
      hub.logger.refused('event', `"${clip(event, 40)}" from a peer`);
    }
  });
  socket.once('disconnect', () => hub.guard('peer disconnect', () => peerLeft(hub, socket)));
  // No `connection` for the host's parent: a peer is another student's Entry HW, not a browser
  // it serves (docs/PROTOCOL.md §2).
  hub.owner.peerCountChanged();
  // Its session is looked up from its own connection; a roomless host learns now that
  // it may have no room.
  hub.pairings.peerArrived(socket);
}

function matchPeer(hub: HubContext, peer: HostSocket, value: unknown): void {
  const target = parseMatchTarget(value);
  const granted = claimAndPair(hub, peer, target);
  if (!granted) return;
  // A room's first claim: what the host held for its tab came from the host's own parent (it
  // served the room while unclaimed) and is not the claiming student's; drop it.
  const dropped = granted.first ? hub.delivery.dropHeld(granted.roomId) : 0;
  if (dropped > 0)
    hub.logger.info(`dropped ${dropped} messages held for room ${granted.roomId}: a peer claimed it`);
  const browsers = hub.inRoom(granted.roomId);
  // After a failover this host never saw the room's browser; the peer did: hold for the tab,
  // for what is left of the window since the peer lost its host.
  const leftMsAgo = target.valid ? target.browserLeftMsAgo : undefined;
  if (leftMsAgo !== undefined && browsers === 0)
    hub.delivery.roomLeft(granted.roomId, Date.now() - leftMsAgo);
  // Browsers of this room that came back before their peer did (a failover) are announced now,
  // unless the room was this peer's already by its OS session.
  if (browsers > 0 && !granted.pairedBefore) peer.emit(ROOM_CONNECTION_EVENT, granted.roomId, browsers);
}

/** Carries out a claim, then re-pairs: a claimed room is no longer anyone's by session. */
function claimAndPair(
  hub: HubContext,
  peer: HostSocket,
  target: ParsedMatchTarget,
): { roomId: string; first: boolean; pairedBefore: boolean } | undefined {
  const before = new Set(hub.pairings.roomsOf(peer.id));
  const granted = hub.rooms.claim(peer, target);
  hub.pairings.refresh();
  return granted && { ...granted, pairedBefore: before.has(granted.roomId) };
}

function peerLeft(hub: HubContext, peer: HostSocket): void {
  hub.rooms.release(peer);
  hub.pairings.refresh();
  // No `close` for the host's parent: its Entry HW would reset its own device for another
  // student's instance leaving (docs/PROTOCOL.md §2).
  hub.owner.peerCountChanged();
}
