// Every socket.io event this server speaks, declared once as typed maps (in the manner of
// socket.io's own `typed-events`): browser ↔ host and peer ↔ host, plus the per-socket facts the
// host keeps in `socket.data`. HostHub types its socket.io `Server` with these maps and PeerLink
// types its socket.io-client `Socket` with the same ones, so an event renamed or a payload changed
// on one side fails to compile on the other (test/types/socket-events.typecheck.ts).
// `message` carries data both ways, for browsers and peers alike (docs/PROTOCOL.md §3-5).
import type { Server } from 'socket.io';
import type { SessionAnswer, SessionIdentity } from '../os-session';
import type { RoomClaimRefusal } from '../routing/room-claims';
import type { TabSession } from '../routing/session-pairing';
import type { PeerReport } from './peer-report';

/** Peer → host: the roomId this peer serves (a string or `{ roomId }`; compat). */
export const MATCH_TARGET_EVENT = 'matchTarget';

/**
 * What this version's peers send with `matchTarget` (extension of the compat `{ roomId }`):
 * `browserConnectedAtHostLoss` is true on the first claim after a failover when the peer's room
 * had a browser connected to the lost host, so the new host holds that room's messages for the
 * reconnecting tab (docs/PROTOCOL.md §4). `msSinceHostLoss` says how long ago that was, so the new
 * host holds only for what is left of the 5 s window (a peer that found no host for a while
 * does not extend it).
 */
export interface MatchTargetValue {
  roomId: string;
  browserConnectedAtHostLoss?: boolean;
  msSinceHostLoss?: number;
}

/**
 * Peer → host, the extension argument of `message`: how long a send waited in the peer's outbox
 * between hosts, so the host ages it from the send (forward-meta.ts `queuedMsOf`).
 */
export interface ForwardMeta {
  queuedMs: number;
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

/**
 * Host → peer (extension): the room this peer asked for and was refused is free now (its
 * holder left or changed room, or the host's own room changed). The peer claims it again if it
 * still wants it; several refused peers may, and the first claim wins as always. Peers of the
 * original server ignore it.
 */
export const ROOM_FREE_EVENT = 'roomFree';

/**
 * Host → peer (extension): this peer has no room (neither claimed nor paired by OS
 * session) and a tab no instance serves may be its student's; its parent gets `error ROOM_UNKNOWN`.
 * Sent at most once per connection. Peers of earlier versions ignore it.
 */
export const ROOM_UNKNOWN_EVENT = 'roomUnknown';

export interface RoomClaimRefusedValue {
  roomId: string;
  reason: RoomClaimRefusal;
  message: string;
}

/**
 * Peer → host (extension): what this instance's Entry HW reported about its device, so the host's
 * diagnostics page shows the whole classroom (contracts/peer-report.ts PeerReport). Sent after
 * each (re)connection and on each change. Hosts of the original server ignore it.
 */
export const DIAGNOSTICS_REPORT_EVENT = 'diagnosticsReport';

/** A parent's value on its way to a browser: always wrapped as `{ data }` (docs/PROTOCOL.md §3). */
export interface DataPayload {
  data: unknown;
}

/**
 * Browser → host. The acknowledgement, when the browser asks for one, receives `message.key`
 * or `true` (routing/host-routing.ts `ackValue`). Whatever a browser sends is unchecked input.
 */
export interface BrowserToHostEvents {
  message: (message: unknown, ack?: (value: unknown) => void) => void;
}

/** Host → browser: a parent's `{ data }`, or what a peer forwarded for the browser's room. */
export interface HostToBrowserEvents {
  message: (payload: unknown) => void;
}

/** Peer → host. */
export interface PeerToHostEvents {
  /** A send of the peer's parent, already wrapped, for the browsers of the peer's room. */
  message: (payload: DataPayload, meta?: ForwardMeta) => void;
  [MATCH_TARGET_EVENT]: (claim: MatchTargetValue) => void;
  /** contracts/peer-report.ts `PeerReport`, unchecked until the host parses it on arrival. */
  [DIAGNOSTICS_REPORT_EVENT]: (report: unknown) => void;
}

/** Host → peer. */
export interface HostToPeerEvents {
  /** A browser's message, as the browser sent it, for the peer's parent. */
  message: (message: unknown) => void;
  [ROOM_CONNECTION_EVENT]: (roomId: string, browsers: number) => void;
  [ROOM_CLOSE_EVENT]: (roomId: string, browsers: number) => void;
  [ROOM_CLAIM_REFUSED_EVENT]: (refusal: RoomClaimRefusedValue) => void;
  [ROOM_FREE_EVENT]: (roomId: string) => void;
  [ROOM_UNKNOWN_EVENT]: () => void;
}

/**
 * What the host's socket.io `Server` hears: from a browser or from a peer (one handler per kind,
 * attached after the handshake says which). Arguments are typed `unknown` here because the host
 * checks what it receives: a browser's, or an older peer's, may be anything.
 */
export interface HostListenEvents {
  /** From a browser the second argument is its ack callback; from a peer, its ForwardMeta. */
  message: (message: unknown, extra?: unknown) => void;
  [MATCH_TARGET_EVENT]: (claim: unknown) => void;
  [DIAGNOSTICS_REPORT_EVENT]: (report: unknown) => void;
}

/** What the host's socket.io `Server` says, to a browser or to a peer. */
export type HostEmitEvents = HostToBrowserEvents & HostToPeerEvents;

/**
 * Per-socket facts the host keeps in socket.io's `socket.data`, set once from the handshake's
 * classification (policy/handshake.ts): a browser and its roomId, or a peer, the room it holds
 * (after a granted `matchTarget`), the room it last asked for (granted or not) and its last
 * diagnostics report.
 */
export interface SocketData {
  kind: 'browser' | 'peer';
  roomId: string | undefined;
  /** A peer's last `matchTarget` roomId, also when refused; undefined: it has named no room. */
  askedRoomId?: string;
  /** A peer's last diagnostics report, parsed on arrival (the raw value is not kept). */
  report?: PeerReport;
  /** A browser's OS session, looked up from its connection (host/session-pairings.ts). */
  session?: TabSession;
  /** A peer's OS session, looked up from its connection (never from what it says). */
  lookedUp?: SessionAnswer;
  /** What a peer says its session is (its report): only a cross-check of `lookedUp`. */
  reportedSession?: SessionIdentity;
  /** A peer was told ROOM_UNKNOWN on this connection. */
  roomUnknownTold?: boolean;
}

/** The host's socket.io server, typed with these maps (one definition for the hub and delivery). */
export type HostServer = Server<HostListenEvents, HostEmitEvents, Record<string, never>, SocketData>;
