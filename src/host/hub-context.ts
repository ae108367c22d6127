// What the per-socket handlers (browser-sockets.ts, peer-sockets.ts) may use of the hub: its
// socket.io server, room claims, delivery, the routing snapshot, the hub's owner (HostRole) to
// call with what the host's parent must hear, and a guard that turns a handler's bug into one log
// line. HostHub builds one per hosting turn.
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

/** What the hub reports to its owner (HostRole), by direct calls. */
export interface HubOwner {
  /** A browser message for this host's own parent. */
  data(value: unknown): void;
  /** A browser the host's own parent serves connected (or its room became the parent's). */
  connection(info: ConnectionInfo): void;
  /** A browser the host's own parent serves left. */
  close(info: ConnectionInfo): void;
  /** A peer joined or left; `peerCount()` says how many are connected now. */
  peerCountChanged(): void;
  /** This host has no room, and a tab no instance serves may be its student's (ROOM_UNKNOWN). */
  roomUnknown(): void;
}

export interface HubContext {
  readonly io: HostServer;
  readonly rooms: PeerRooms;
  /** Rooms paired by OS session (docs/PROTOCOL.md §4). */
  readonly pairings: SessionPairings;
  readonly delivery: BrowserDelivery;
  readonly logger: Logger;
  readonly stats: RoomStats | undefined;
  /** Who hears what the host's own parent must (HostRole). */
  readonly owner: HubOwner;
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
