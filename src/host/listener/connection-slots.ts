// Connection slots a page cannot exhaust (docs/PROTOCOL.md §3): every accepted TCP
// connection's deadline and whether it is still anonymous. A connection that has sent no byte
// gets a short deadline (a page without Local Network Access permission still opens TCP for each
// blocked fetch, and sends nothing); one that has, must complete each request, headers and body,
// within the request deadline, counted from the connection (the first request) or from the end of
// the previous answer (a kept-alive one), and the answer is then due within the same deadline: a
// plain HTTP connection is never without one. A WebSocket has none (its heartbeat watches it).
// A connection becomes known once one of its socket.io
// requests passed the origin rules (an allowed page, or a WebSocket without Origin: a peer or a
// local program); the others stay anonymous, and anonymous ones may not take the last slots: a new
// connection when they hold all the unreserved slots closes the oldest anonymous one.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { RefusalKind } from '../../util/log';

export interface SlotLimits {
  /** Open connections beyond this are closed at once. */
  maxConnections: number;
  /** Slots anonymous connections may not take. */
  reserved: number;
  /** A connection that sent no byte is closed after this. */
  firstByteMs: number;
  /** Each request (headers and body) must be complete within this. */
  requestMs: number;
}

/** Slots kept for known connections: a tenth of the cap, at least one. */
export function reservedSlots(maxConnections: number): number {
  return Math.max(1, Math.floor(maxConnections / 10));
}

export type SlotDecision = 'accept' | 'evict-oldest-anonymous' | 'refuse';

/**
 * What to do with a new connection, given how many are open and how many of them are anonymous.
 *
 * @example
 * slotFor(1000, 0, limits)   // 'refuse': the cap is reached by known connections
 * slotFor(950, 900, limits)  // 'evict-oldest-anonymous': anonymous ones hold every unreserved slot
 * slotFor(950, 899, limits)  // 'accept'
 */
export function slotFor(open: number, anonymous: number, limits: SlotLimits): SlotDecision {
  if (anonymous >= limits.maxConnections - limits.reserved) return 'evict-oldest-anonymous';
  if (open >= limits.maxConnections) return 'refuse';
  return 'accept';
}

export interface ConnectionSlotsHooks {
  /** A connection closed for what its sender did (too slow, or to keep a slot). */
  onRefused: (kind: RefusalKind, detail: string) => void;
  /** A connection refused because the cap is reached. */
  onFull: () => void;
}

interface SlotState {
  acceptedAt: number;
  timer: NodeJS.Timeout | undefined;
  /** Upgraded to a WebSocket: its heartbeat watches it, no deadline. */
  upgraded: boolean;
}

/**
 * The accepted connections of one listener, their deadlines and the anonymous ones.
 *
 * @example
 * const slots = new ConnectionSlots(limits, { onRefused, onFull });
 * if (slots.accept(socket)) socket.once('data', () => slots.firstByte(socket));
 */
export class ConnectionSlots {
  private readonly states = new Map<Socket, SlotState>();
  /** Anonymous connections, oldest first. */
  private readonly anonymous = new Set<Socket>();

  constructor(
    private readonly limits: SlotLimits,
    private readonly hooks: ConnectionSlotsHooks,
  ) {}

  get size(): number {
    return this.states.size;
  }

  get anonymousCount(): number {
    return this.anonymous.size;
  }

  has(socket: Socket): boolean {
    return this.states.has(socket);
  }

  /** Takes a slot for a new connection (closing the oldest anonymous one if needed); false: refused. */
  accept(socket: Socket): boolean {
    const decision = slotFor(this.states.size, this.anonymous.size, this.limits);
    if (decision === 'evict-oldest-anonymous') {
      const oldest = this.anonymous.values().next().value;
      if (oldest) {
        this.hooks.onRefused(
          'slots',
          `${this.anonymous.size} anonymous connections held the unreserved slots`,
        );
        this.drop(oldest);
      }
    }
    if (decision === 'refuse' || this.states.size >= this.limits.maxConnections) {
      this.hooks.onFull();
      socket.destroy();
      return false;
    }
    this.states.set(socket, { acceptedAt: Date.now(), timer: undefined, upgraded: false });
    this.anonymous.add(socket);
    this.arm(socket, this.limits.firstByteMs, 'sent no byte in time');
    socket.once('close', () => this.drop(socket));
    return true;
  }

  /** The connection sent its first byte: it now has the request deadline from its start. */
  firstByte(socket: Socket): void {
    const state = this.states.get(socket);
    if (!state) return;
    const left = this.limits.requestMs - (Date.now() - state.acceptedAt);
    this.arm(socket, left, 'sent no complete request in time');
  }

  /**
   * A request's headers are complete. Once its body is complete too, the connection has the
   * request deadline again, for the answer and the next request: an HTTP connection is never
   * without one (a long-polling answer comes within about a second, a module file in far less
   * than the deadline), so no trickle of bytes can hold it.
   */
  requestStarted(socket: Socket, req: IncomingMessage): void {
    if (!this.states.has(socket)) return;
    let done = false;
    const bodyDone = () => {
      if (done) return;
      done = true;
      this.arm(socket, this.limits.requestMs, 'did not finish a request in time');
    };
    req.once('end', bodyDone);
    // A request without a body is complete as soon as its headers are parsed (in this same turn).
    process.nextTick(() => {
      if (req.complete) bodyDone();
    });
  }

  /** An answer was written on a connection kept alive: the next request has the request deadline. */
  responseDone(socket: Socket): void {
    this.arm(socket, this.limits.requestMs, 'sent no complete request in time');
  }

  /** The connection was upgraded to a WebSocket: no request deadline any more. */
  upgraded(socket: Socket): void {
    const state = this.states.get(socket);
    if (!state) return;
    state.upgraded = true;
    clearTimeout(state.timer);
    state.timer = undefined;
  }

  /** One of the connection's socket.io requests passed the origin rules: it is no longer anonymous. */
  known(socket: Socket): void {
    this.anonymous.delete(socket);
  }

  /** Destroys every connection and forgets them. */
  clear(): void {
    for (const socket of [...this.states.keys()]) this.drop(socket);
  }

  private arm(socket: Socket, ms: number, why: string): void {
    const state = this.states.get(socket);
    if (!state || state.upgraded) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(
      () => {
        this.hooks.onRefused('slow', why);
        this.drop(socket);
      },
      Math.max(1, ms),
    );
    state.timer.unref();
  }

  private drop(socket: Socket): void {
    const state = this.states.get(socket);
    if (state) clearTimeout(state.timer);
    this.states.delete(socket);
    this.anonymous.delete(socket);
    socket.destroy();
  }
}
