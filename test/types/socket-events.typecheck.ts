// Type-level test, run by `npm run typecheck` (tsc --noEmit; tsconfig includes test/): fails to
// compile when an event name or payload drifts between the host's socket.io server (HostHub) and
// the peer's socket.io-client socket (PeerLink), or between either of them and the declared maps
// in src/contracts/socket-events.ts. Nothing here runs; each `@ts-expect-error` line must stay an error.
import type { Server } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import type {
  DataPayload,
  ForwardMeta,
  HostToPeerEvents,
  MatchTargetValue,
  PeerToHostEvents,
  RoomClaimRefusedValue,
  SocketData,
} from '../../src/contracts/socket-events';
import type { HostHub } from '../../src/host/host-hub';
import type { PeerSocket } from '../../src/peer/peer-link';

/** True only when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectTrue<T extends true>(_proof?: T): void {}

// The maps each end was actually built with (read off the classes, not re-declared here).
type HostIo = HostHub['io'];
type HostListen = HostIo extends Server<infer L, infer _E, infer _S, infer _D> ? L : never;
type HostEmit = HostIo extends Server<infer _L, infer E, infer _S, infer _D> ? E : never;
type HostData = HostIo extends Server<infer _L, infer _E, infer _S, infer D> ? D : never;
type PeerListen = PeerSocket extends ClientSocket<infer L, infer _E> ? L : never;
type PeerEmit = PeerSocket extends ClientSocket<infer _L, infer E> ? E : never;

// The peer speaks exactly PeerToHostEvents and hears exactly HostToPeerEvents.
expectTrue<Equal<PeerEmit, PeerToHostEvents>>();
expectTrue<Equal<PeerListen, HostToPeerEvents>>();
expectTrue<Equal<HostData, SocketData>>();

// Every event the peer emits is one the host listens to, with the same arguments it sends.
type PeerEventsHostHears = { [K in keyof PeerEmit]: K extends keyof HostListen ? true : false };
expectTrue<Equal<PeerEventsHostHears[keyof PeerEventsHostHears], true>>();
expectTrue<Equal<Parameters<HostListen['matchTarget']>, [claim: unknown]>>();
expectTrue<Equal<Parameters<PeerEmit['matchTarget']>, [claim: MatchTargetValue]>>();
expectTrue<Equal<Parameters<PeerEmit['message']>, [payload: DataPayload, meta?: ForwardMeta]>>();
expectTrue<Equal<Parameters<PeerEmit['diagnosticsReport']>, [report: unknown]>>();

// Every event the host emits to a peer is one the peer listens to, with identical arguments.
type HostToPeerNames = Exclude<keyof HostToPeerEvents, 'message'>;
type HostPeerArgsMatch = {
  [K in HostToPeerNames]: Equal<Parameters<HostEmit[K]>, Parameters<PeerListen[K]>>;
};
expectTrue<Equal<HostPeerArgsMatch[HostToPeerNames], true>>();
expectTrue<Equal<Parameters<PeerListen['roomConnection']>, [roomId: string, browsers: number]>>();
expectTrue<Equal<Parameters<PeerListen['roomClose']>, [roomId: string, browsers: number]>>();
expectTrue<Equal<Parameters<PeerListen['roomClaimRefused']>, [refusal: RoomClaimRefusedValue]>>();
expectTrue<Equal<Parameters<PeerListen['roomFree']>, [roomId: string]>>();
expectTrue<Equal<Parameters<PeerListen['roomUnknown']>, []>>();
expectTrue<
  Equal<
    keyof PeerListen,
    'message' | 'roomConnection' | 'roomClose' | 'roomClaimRefused' | 'roomFree' | 'roomUnknown'
  >
>();
expectTrue<Equal<keyof PeerEmit, 'message' | 'matchTarget' | 'diagnosticsReport'>>();

// Misuse fails to compile on both ends.
export function misuse(peer: PeerSocket, host: HostIo): void {
  // @ts-expect-error: no such peer → host event
  peer.emit('matchTargets', { roomId: 'r1' });
  // @ts-expect-error: matchTarget carries { roomId }, not a number
  peer.emit('matchTarget', 42);
  // @ts-expect-error: the browser count is a number
  host.to('r1').emit('roomConnection', 'r1', 'one');
  // @ts-expect-error: no such host → peer event
  host.to('r1').emit('roomConnected', 'r1', 1);
  // @ts-expect-error: a refusal is an object, not a string
  peer.on('roomClaimRefused', (refusal: string) => refusal);
  host.on('connection', (socket) => {
    // @ts-expect-error: socket.data has no such fact
    socket.data.room = 'r1';
    // @ts-expect-error: a socket is a browser or a peer
    socket.data.kind = 'host';
  });
}
