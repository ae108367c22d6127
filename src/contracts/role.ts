// What EntryServer holds while it has a role: a HostRole (this instance owns the port) or a
// PeerRole (it is connected to the instance that does). Both have the same small surface, so the
// server never asks which one it has to deliver, set a roomId, report or close; a role reports to
// its owner (RoleOwner, EntryServer) by direct calls. Between roles (electing, joining, binding)
// the server has none and queues parent values in its outbox.

import type { CloudModeValue, ConnectionInfo, ServerErrorInfo } from '../ipc/messages';
import type { SessionIdentity } from '../os-session';
import type { HubCounters } from '../util/debug-counters';
import type { HubFacts } from './hub-facts';

/**
 * What a role reports, called directly by the role (no events inside the server): EntryServer
 * implements it and passes it in when the role is created (through the election), so a role
 * reports from its first moment. A call that EntryServer answers per role passes the role.
 */
export interface RoleOwner {
  /** A browser message for this instance's parent. */
  data(value: unknown): void;
  /** A browser this instance serves connected (docs/PROTOCOL.md §4: the same rule as its messages). */
  connection(info: ConnectionInfo): void;
  /** A browser this instance serves left. */
  close(info: ConnectionInfo): void;
  /** The role's cloud mode changed (a host gained its first peer or lost its last one). */
  cloudModeChanged(role: Role): void;
  /** Something the parent must hear about (a peer's claim of `roomId` was refused). */
  problem(role: Role, info: ServerErrorInfo, roomId: string): void;
  /**
   * This instance serves no room and a tab no instance serves may be its student's (the host
   * decides, docs/PROTOCOL.md §4): its parent is told `ROOM_UNKNOWN` unless it has a roomId.
   */
  roomUnknown(role: Role): void;
}

/** Counts for GET /status. */
export interface RoleStatus {
  browsers: number;
  peers: number;
  /** Listeners on the role's own emitters (a peer's socket to its host), for the leak counters. */
  listeners: number;
  hub: HubCounters | null;
  /** Rooms with tabs by how they are served (a host's only). */
  pairings: { claimed: number; session: number; none: number } | null;
}

/** The surface both roles share. */
export interface Role {
  readonly kind: 'host' | 'peer';
  /** The cloud mode this role starts in. */
  readonly cloudMode: CloudModeValue;
  /**
   * Whether rooms decide what this instance serves: always for a peer; for a host once it has had
   * a peer (or was one). An instance without a roomId then serves nobody (`ROOM_UNKNOWN`).
   */
  readonly routesByRoom: boolean;
  /**
   * Delivers a parent's value to the browser side: a host to the browsers it serves, a peer
   * through its host. False when it cannot right now (the caller queues it). `queuedMs`: how
   * long it waited in the outbox, so a held copy ages from the parent's send.
   */
  deliver(value: unknown, queuedMs?: number): boolean;
  /** This instance's roomId was set or changed by its parent. */
  addRoomId(roomId: string): void;
  /** This instance's own OS session (a peer sends it with its reports, a cross-check for the host). */
  shareOwnSession(session: SessionIdentity | undefined): void;
  /** What this instance's Entry HW reported about its device (a peer passes it to its host). */
  shareDeviceReport(report: unknown): void;
  /** The hub's facts for the diagnostics page (a host's only). */
  hubFacts(): HubFacts | undefined;
  status(): RoleStatus;
  close(): Promise<void>;
}
