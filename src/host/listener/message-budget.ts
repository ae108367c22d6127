// Memory with a ceiling (docs/PROTOCOL.md §3): how many bytes of messages from clients
// may be in flight at once (being received, parsed and handed on) across every connection of the
// host, and how large one message may be for its kind of connection. A WebSocket message is
// counted from its first frame header (ws-frame-meter.ts), before the WebSocket library buffers
// it; a polling POST from its Content-Length. A large message that would take the total over the
// budget is refused: its sender is closed with one counted log line, and every other connection
// goes on (small messages, such as a tab's 60 Hz messages, are never refused for the budget). A
// connection without an Origin (a peer, a local program) may send smaller messages than a browser
// page: what a peer legitimately forwards is its Entry HW's device data, a few hundred bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RefusalKind } from '../../util/log';
import { WsFrameMeter } from './ws-frame-meter';

export interface MessageLimits {
  /** Largest message from a connection with an (allowed) Origin: 100 MB, as the original. */
  browserMessageBytes: number;
  /** Largest message from a connection without an Origin (peers, local programs). */
  localMessageBytes: number;
  /** Bytes of messages in flight across every connection beyond which large ones are refused. */
  inflightBytes: number;
  /** A message up to this size is never counted nor refused for the budget. */
  smallMessageBytes: number;
}

export interface MessageBudgetOptions {
  limits: MessageLimits;
  /** One refused message: its kind and a detail for the counted log line. */
  onRefused: (kind: RefusalKind, detail: string) => void;
}

const MB = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Message bytes one connection has reserved in the budget; returned when they are handed on. */
class Reservation {
  bytes = 0;
  constructor(private readonly budget: MessageBudget) {}

  /** Returns the bytes once the current turn of the event loop is over (the message was parsed and handed on). */
  releaseSoon(): void {
    const bytes = this.bytes;
    this.bytes = 0;
    if (bytes > 0) setImmediate(() => this.budget.release(bytes));
  }

  releaseNow(): void {
    this.budget.release(this.bytes);
    this.bytes = 0;
  }
}

/**
 * The host's budget of message bytes in flight (one per hosting turn, owned by HostListener).
 *
 * @example
 * const budget = new MessageBudget({ limits: MESSAGE_LIMITS, onRefused: (kind, detail) => logger.refused(kind, detail) });
 * budget.watchWebSocket(socket, req.headers.origin !== undefined); // after the upgrade is handed on
 */
export class MessageBudget {
  private inFlight = 0;
  private peak = 0;

  constructor(private readonly options: MessageBudgetOptions) {}

  /** Bytes reserved now. */
  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** The most bytes reserved at once so far. */
  get peakBytes(): number {
    return this.peak;
  }

  /**
   * Reserves `bytes` of a message that has `messageBytes` so far; false (nothing reserved) when
   * a large message would take the total over the budget.
   */
  private reserve(reservation: Reservation, messageBytes: number): boolean {
    const { inflightBytes, smallMessageBytes } = this.options.limits;
    // Small messages (a tab's 60 Hz ones) are neither counted nor refused: at most one per
    // connection is being received at a time, so the connection cap bounds them.
    if (messageBytes <= smallMessageBytes) return true;
    const bytes = messageBytes - reservation.bytes;
    if (this.inFlight + bytes > inflightBytes) return false;
    this.inFlight += bytes;
    this.peak = Math.max(this.peak, this.inFlight);
    reservation.bytes += bytes;
    return true;
  }

  release(bytes: number): void {
    this.inFlight = Math.max(0, this.inFlight - bytes);
  }

  /**
   * Follows the frames of an upgraded WebSocket connection and closes it when a message is over
   * its limit or the budget. Call right after the upgrade was handed on: the meter reads the
   * connection beside the WebSocket library (it starts with the first listener the library adds,
   * so it sees the same bytes, the upgrade's head included).
   */
  watchWebSocket(socket: Duplex, hasOrigin: boolean): void {
    const limit = hasOrigin ? this.options.limits.browserMessageBytes : this.options.limits.localMessageBytes;
    const reservation = new Reservation(this);
    const meter = new WsFrameMeter({
      frame: (_bytes, messageBytes) => {
        if (messageBytes > limit) {
          const who = hasOrigin ? 'a browser page' : 'a connection without an Origin';
          this.refuse(
            socket,
            'size',
            `a message of ${messageBytes} bytes from ${who}, whose limit is ${limit}`,
          );
          return false;
        }
        if (this.reserve(reservation, messageBytes)) return true;
        this.refuse(
          socket,
          'memory',
          `a ${MB(messageBytes)} message while ${MB(this.inFlight)} were in flight`,
        );
        return false;
      },
      messageEnd: () => reservation.releaseSoon(),
    });
    const onData = (chunk: Buffer) => {
      if (!meter.feed(chunk)) socket.off('data', onData);
    };
    let attached = false;
    const attach = (event: string | symbol) => {
      if (event !== 'data' || attached) return;
      attached = true;
      socket.off('newListener', attach);
      socket.on('data', onData);
    };
    if (socket.listenerCount('data') > 0) attach('data');
    else socket.on('newListener', attach);
    socket.once('close', () => {
      socket.off('newListener', attach);
      reservation.releaseNow();
    });
  }

  /**
   * Reserves a polling POST's body before engine.io reads it: by its Content-Length, else as its
   * chunks arrive. False when refused: the request was answered `503` and its connection closed.
   */
  admitPollingBody(req: IncomingMessage, res: ServerResponse): boolean {
    const reservation = new Reservation(this);
    res.once('close', () => reservation.releaseNow());
    const declared = Number(req.headers['content-length']);
    if (Number.isSafeInteger(declared) && declared > 0) {
      // Over the per-message limit: engine.io answers 413 itself without reading it.
      if (declared > this.options.limits.browserMessageBytes) return true;
      if (this.reserve(reservation, declared)) return true;
      this.refuse(
        req.socket,
        'memory',
        `a ${MB(declared)} polling body while ${MB(this.inFlight)} were in flight`,
        res,
      );
      return false;
    }
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (this.reserve(reservation, total)) return;
      req.off('data', onData);
      this.refuse(
        req.socket,
        'memory',
        `a chunked polling body while ${MB(this.inFlight)} were in flight`,
        res,
      );
    };
    process.nextTick(() => req.on('data', onData));
    return true;
  }

  private refuse(socket: Duplex, kind: RefusalKind, detail: string, res?: ServerResponse): void {
    this.options.onRefused(kind, detail);
    if (res && !res.headersSent) {
      res.shouldKeepAlive = false;
      res.writeHead(503, { 'content-type': 'text/plain', connection: 'close' });
      res.end('busy', () => socket.destroy());
      setTimeout(() => socket.destroy(), 1000).unref();
    } else socket.destroy();
  }
}
