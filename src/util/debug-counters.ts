// Leak counters for the `debug` field of GET /status (read by the soak): what this process holds open
// right now. A long soak reads them before and after failovers; any count that keeps growing
// while the number of connected browsers and peers stays the same is a leak.
import type { CollectionStats } from './periodic-collection';

/** Counts the host's socket.io hub keeps (see HostHub.debugCounters). */
export interface HubCounters {
  /** Browsers and peers in the hub's member table. */
  members: number;
  /** engine.io connections (every transport-level client, admitted or not yet). */
  engineClients: number;
  /** socket.io sockets on the default namespace. */
  sockets: number;
  /** Rooms with a peer's matchTarget. */
  claimedRooms: number;
  /** Rooms remembered as paired by OS session (bounded, routing/session-pairing.ts). */
  rememberedPairings?: number;
  /** Listeners registered on the hub, its server and every member socket. */
  listeners: number;
  /** Keys and messages in the reconnect mailbox; `stale` are past their age and wait to be dropped. */
  mailboxKeys: number;
  heldMessages: number;
  staleHeldMessages: number;
  /** TCP connections open on the port, and those not yet known (host/listener/connection-slots.ts). */
  connections?: number;
  anonymousConnections?: number;
  /** Client message bytes in flight now, and the most at once (host/listener/message-budget.ts). */
  messageBytesInFlight?: number;
  messageBytesPeak?: number;
}

export interface DebugCounters {
  /** Node's active resources by type (`Timeout`, `TCPSocketWrap`, `TCPServerWrap`, `PipeWrap`...). */
  resources: Record<string, number>;
  /** Parent sends queued while a peer is between hosts. */
  peerQueue: number;
  /** Listeners on the server object and on the peer link. */
  listeners: number;
  /** The host's hub; null on a peer. */
  hub: HubCounters | null;
  /** The executable's periodic full collection (util/periodic-collection.ts); null when off. */
  gc: CollectionStats | null;
}

/**
 * Node's active handles and requests, counted by type.
 *
 * @example
 * activeResourceCounts(); // { TCPServerWrap: 1, TCPSocketWrap: 3, Timeout: 2, PipeWrap: 1 }
 */
export function activeResourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  const info = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
  for (const type of info) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/**
 * Total listeners registered on an emitter, over all its events.
 *
 * @example
 * listenerTotal(socket); // 7
 */
export function listenerTotal(emitter: {
  eventNames(): (string | symbol)[];
  listenerCount(event: string | symbol): number;
}): number {
  let total = 0;
  for (const name of emitter.eventNames()) total += emitter.listenerCount(name);
  return total;
}
