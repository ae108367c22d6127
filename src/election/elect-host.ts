// Host election as a small state machine (docs/PROTOCOL.md §5). The first instance to bind the port
// is the host; one that finds the port in use checks who holds it and joins an Entry HW host as
// a peer; when the host goes away every peer tries to bind again and the OS lets exactly one
// win. `electHost` is pure: it maps (state, event) to the next state and the actions the driver
// (ElectionRunner, election-runner.ts) must carry out, so every path is unit-testable without
// sockets.
import type { ServerErrorCode } from '../ipc/messages';

/** Named phases of one instance's life. */
export type ElectionPhase =
  | 'idle' // not opened yet
  | 'binding' // trying to listen on the port
  | 'probing' // port in use: asking the holder who it is
  | 'joining' // connecting to the host as a peer
  | 'host' // listening: this instance is the host
  | 'peer' // connected to the host
  | 'waiting' // backing off before the next attempt
  | 'closed'; // shut down for good

export interface ElectionState {
  phase: ElectionPhase;
  /** Consecutive failed attempts, for the backoff; reset once a role is taken. */
  failures: number;
  /** The problem last reported to the parent, so a retry loop reports it once, not every time. */
  reported: ServerErrorCode | undefined;
}

export type ElectionEvent =
  | { type: 'open' }
  | { type: 'bound' }
  | { type: 'bindFailed'; code: string | undefined; message: string }
  | {
      type: 'probed';
      holder: 'entry-hw-server' | 'older-entry-hw-server' | 'nobody' | 'foreign';
      detail?: string;
    }
  | { type: 'joined' }
  | { type: 'joinFailed'; message: string }
  | { type: 'hostLost' }
  | { type: 'retryDue' }
  | { type: 'close' };

export type ElectionAction =
  | { type: 'listen' }
  | { type: 'probe' }
  | { type: 'join' }
  | { type: 'becomeHost' }
  | { type: 'becomePeer' }
  | { type: 'retryAfter'; ms: number }
  | { type: 'report'; code: ServerErrorCode; message: string }
  | { type: 'shutdown' };

export interface ElectionStep {
  state: ElectionState;
  actions: ElectionAction[];
}

export const INITIAL_ELECTION: ElectionState = { phase: 'idle', failures: 0, reported: undefined };

/** First retry delay and its cap: a foreign program that leaves is noticed within 5 s. */
export const RETRY_BASE_MS = 250;
export const RETRY_MAX_MS = 5000;

/**
 * Quick retries when the port is in use but nobody answers on it: a host killed with SIGKILL
 * may still hold its listening socket for a moment after its connections dropped. Past this
 * many in a row, the port counts as held by another program.
 */
export const QUICK_RETRIES = 3;
export const QUICK_RETRY_MS = 20;

/** Backoff for the n-th consecutive failure (1-based): 250, 500, 1000, ... up to 5000 ms. */
export function retryDelay(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
}

function backOff(state: ElectionState, code: ServerErrorCode | undefined, message: string): ElectionStep {
  const failures = state.failures + 1;
  const actions: ElectionAction[] = [];
  if (code !== undefined && state.reported !== code) actions.push({ type: 'report', code, message });
  actions.push({ type: 'retryAfter', ms: retryDelay(failures) });
  return { state: { phase: 'waiting', failures, reported: code ?? state.reported }, actions };
}

const settled = (phase: 'host' | 'peer'): ElectionState => ({ phase, failures: 0, reported: undefined });

/**
 * The election's transition function. Events that do not apply to the current phase (a late
 * callback after close, say) leave the state unchanged and ask for nothing.
 *
 * @example
 * let step = electHost(INITIAL_ELECTION, { type: 'open' });            // binding, [listen]
 * step = electHost(step.state, { type: 'bindFailed', code: 'EADDRINUSE', message: '' }); // probing, [probe]
 * step = electHost(step.state, { type: 'probed', holder: 'entry-hw-server' });           // joining, [join]
 * step = electHost(step.state, { type: 'joined' });                                     // peer, [becomePeer]
 * step = electHost(step.state, { type: 'hostLost' });                                   // binding, [listen]
 */
export function electHost(state: ElectionState, event: ElectionEvent): ElectionStep {
  const same: ElectionStep = { state, actions: [] };
  if (state.phase === 'closed') return same;
  if (event.type === 'close') {
    return { state: { phase: 'closed', failures: 0, reported: undefined }, actions: [{ type: 'shutdown' }] };
  }
  const listen: ElectionStep = { state: { ...state, phase: 'binding' }, actions: [{ type: 'listen' }] };

  switch (state.phase) {
    case 'idle':
      return event.type === 'open' ? listen : same;
    case 'binding':
      if (event.type === 'bound') return { state: settled('host'), actions: [{ type: 'becomeHost' }] };
      if (event.type === 'bindFailed') {
        if (event.code === 'EADDRINUSE')
          return { state: { ...state, phase: 'probing' }, actions: [{ type: 'probe' }] };
        return backOff(state, 'LISTEN_FAILED', `cannot listen: ${event.message}`);
      }
      return same;
    case 'probing':
      if (event.type !== 'probed') return same;
      if (event.holder === 'entry-hw-server')
        return { state: { ...state, phase: 'joining' }, actions: [{ type: 'join' }] };
      if (event.holder === 'nobody') {
        // The holder vanished between our listen and the probe: usually a dying host. Try again soon.
        if (state.failures < QUICK_RETRIES) {
          return {
            state: { ...state, phase: 'waiting', failures: state.failures + 1 },
            actions: [{ type: 'retryAfter', ms: QUICK_RETRY_MS }],
          };
        }
        return backOff(state, 'PORT_HELD_BY_OTHER_PROGRAM', 'the port is in use but nothing answers on it');
      }
      if (event.holder === 'older-entry-hw-server') {
        // The original v2 server: it cannot take this version's peers. Said once, retried.
        return backOff(
          state,
          'HOST_IS_OLDER_VERSION',
          event.detail ??
            'an older entry-hw-server holds the port; every instance on one PC must run the same version',
        );
      }
      return backOff(
        state,
        'PORT_HELD_BY_OTHER_PROGRAM',
        `the port is held by another program: ${event.detail ?? 'unknown'}`,
      );
    case 'joining':
      if (event.type === 'joined') return { state: settled('peer'), actions: [{ type: 'becomePeer' }] };
      if (event.type === 'joinFailed') {
        // A host that keeps refusing us is reported, not retried in silence.
        return backOff(
          state,
          state.failures + 1 >= QUICK_RETRIES ? 'LISTEN_FAILED' : undefined,
          event.message,
        );
      }
      return same;
    case 'peer':
      return event.type === 'hostLost' ? listen : same;
    case 'waiting':
      return event.type === 'retryDue' ? listen : same;
    case 'host':
      return same;
  }
}
