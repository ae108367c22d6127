// What the per-socket handlers (browser-sockets.ts, peer-sockets.ts) may use of the hub: its
// socket.io server, room claims, delivery, the routing snapshot, its events, and a guard that
// turns a handler's bug into one log line. HostHub builds one per hosting turn.
import type { EventEmitter } from 'node:events';
import type { HostServer } from '../contracts/socket-events';
import type { RoomStats } from '../diagnostics/room-stats';
import type { ConnectionInfo } from '../ipc/messages';
import type { RoutingSnapshot } from '../routing/host-routing';
import type { Logger } from '../util/log';
import type { BrowserDelivery } from './browser-delivery';
import type { PeerRooms } from './peer-rooms';
import type { SessionPairings } from './session-pairings';

/** socket.io room every peer joins. Not a valid roomId. */
export const ALL_PEERS = '\u0000peers';

export interface HostHubEvents {
  /** A browser message for this host's own parent. */
  data: [value: unknown];
  /** A browser the host's own parent serves connected (or its room became the parent's). */
  connection: [info: ConnectionInfo];
  /** A browser the host's own parent serves left. */
  close: [info: ConnectionInfo];
  peerCountChanged: [count: number];
  /** This host has no room, and a tab no instance serves may be its student's (ROOM_UNKNOWN). */
  roomUnknown: [];
}

export interface HubContext {
  readonly io: HostServer;
  readonly rooms: PeerRooms;
  /** Rooms paired by OS session (issue 21). */
  readonly pairings: SessionPairings;
  readonly delivery: BrowserDelivery;
  readonly logger: Logger;
  readonly stats: RoomStats | undefined;
  /** The hub, for its events. */
  readonly events: EventEmitter<HostHubEvents>;
  /** What the routing rules need, read once per message. */
  snapshot(): RoutingSnapshot;
  /** Runs a handler so that a bug in it costs one message, never the process. */
  guard(what: string, run: () => void): void;
  /** A peer joined: rooms decide routing from now on. */
  becameCloud(): void;
  peerCount(): number;
  /** Browsers connected with this roomId (only browsers join rooms). */
  inRoom(roomId: string): number;
}
