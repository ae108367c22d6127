// One TCP port, two protocols (docs/PROTOCOL.md §3): the first byte of each new connection decides.
// 0x16 (a TLS handshake record) goes through the TLS server, anything else straight to the
// plain HTTP server. Both end in the same http.Server, so socket.io and the HTTP routes are
// shared. Owns the TCP listener and every socket it accepted, so close() leaves nothing behind.
// Slow and idle sockets (connection-slots.ts): a connection that sends no byte has a short
// deadline, each request (headers and body) must be complete in time, a TLS client error destroys
// the socket, the number of open connections is capped, and anonymous connections cannot take the
// last slots. The owner reports what it sees of each request (requestStarted, responseDone,
// upgraded, known). Node's own headersTimeout never runs here because the http.Server never
// listens itself.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  createServer as createTlsServer,
  type SecureContextOptions,
  type Server as TlsServer,
} from 'node:tls';
import { TCP_SERVER_OPTIONS } from '../../config';
import type { RefusalKind } from '../../util/log';
import { ConnectionSlots, reservedSlots } from './connection-slots';

/** The first byte of a TLS record carrying a handshake (ClientHello). */
export const TLS_HANDSHAKE_BYTE = 0x16;

export type ConnectionProtocol = 'tls' | 'plain';

/** The TCP socket under a TLS socket the TLS server wrapped (Node keeps it as `_parent`). */
function rawSocketOf(socket: Duplex): Socket | undefined {
  const parent = (socket as { _parent?: unknown })._parent;
  return parent !== null && typeof parent === 'object' ? (parent as Socket) : undefined;
}

/** Which server a connection whose first byte is `firstByte` belongs to. */
export function protocolForFirstByte(
  firstByte: number | undefined,
  tlsAvailable: boolean,
): ConnectionProtocol {
  return firstByte === TLS_HANDSHAKE_BYTE && tlsAvailable ? 'tls' : 'plain';
}

export interface DualProtocolListenerOptions {
  /** Receives plain connections and decrypted TLS connections. */
  httpServer: HttpServer;
  /**
   * A TCP server already bound to the port (election/start-role.ts `startHost`), adopted instead of
   * binding again, so no other instance can take the port in between.
   */
  bound?: NetServer;
  /** Certificate and key; without them every connection is treated as plain. */
  tls?: SecureContextOptions;
  /** Each request (headers and body) must be complete within this. Default 10 s. */
  headersTimeoutMs?: number;
  /** A connection that sent no byte is closed after this. Default 2 s (at most headersTimeoutMs). */
  firstByteTimeoutMs?: number;
  /** Open connections beyond this are closed at once. Default 1000. */
  maxConnections?: number;
  /** Receives operational warnings (the connection cap, listener errors). */
  onWarning?: (message: string) => void;
  /** Receives each connection closed for what its sender did (a failed TLS handshake, too slow). */
  onRefused?: (kind: RefusalKind, detail: string) => void;
}

/**
 * TCP listener that serves TLS and plain HTTP on the same port.
 *
 * @example
 * const listener = new DualProtocolListener({ httpServer, tls: { key, cert } });
 * await listener.listen(23518, '127.0.0.1'); // rejects with the listen error (e.g. code EADDRINUSE)
 * await listener.close();
 */
export class DualProtocolListener {
  private readonly net: NetServer;
  private readonly tls: TlsServer | undefined;
  /** Every accepted TCP socket, its deadline, and whether it is anonymous. */
  private readonly slots: ConnectionSlots;
  /** Connections refused at the cap since the last line about it. */
  private refusedAtCap = 0;
  private capLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: DualProtocolListenerOptions) {
    const requestMs = options.headersTimeoutMs ?? 10_000;
    const maxConnections = options.maxConnections ?? 1000;
    this.slots = new ConnectionSlots(
      {
        maxConnections,
        reserved: reservedSlots(maxConnections),
        requestMs,
        firstByteMs: Math.min(options.firstByteTimeoutMs ?? 2000, requestMs),
      },
      {
        onRefused: (kind, detail) => options.onRefused?.(kind, detail),
        onFull: () => this.full(maxConnections),
      },
    );
    this.net = options.bound ?? createNetServer(TCP_SERVER_OPTIONS);
    this.net.on('connection', (socket) => this.accept(socket));
    if (options.tls) {
      this.tls = createTlsServer({ ...options.tls, ALPNProtocols: ['http/1.1'] });
      this.tls.on('secureConnection', (secureSocket) => options.httpServer.emit('connection', secureSocket));
      this.tls.on('tlsClientError', (error, tlsSocket) => {
        options.onRefused?.('tls', error.message);
        tlsSocket.destroy();
        const raw = rawSocketOf(tlsSocket);
        if (raw) raw.destroy();
      });
    }
  }

  /** The raw TCP socket under a request's socket (plain, or the TLS socket over it). */
  private rawOf(socket: Duplex): Socket | undefined {
    if (this.slots.has(socket as Socket)) return socket as Socket;
    const raw = rawSocketOf(socket);
    return raw && this.slots.has(raw) ? raw : undefined;
  }

  /** A request's headers are complete: its deadline ends once its body is complete too. */
  requestStarted(req: IncomingMessage): void {
    const raw = this.rawOf(req.socket);
    if (raw) this.slots.requestStarted(raw, req);
  }

  /** An answer was written on a kept-alive connection: the next request has the request deadline. */
  responseDone(socket: Duplex): void {
    const raw = this.rawOf(socket);
    if (raw) this.slots.responseDone(raw);
  }

  /** A connection's upgrade headers are complete and it became a WebSocket (or is refused). */
  upgraded(socket: Duplex): void {
    const raw = this.rawOf(socket);
    if (raw) this.slots.upgraded(raw);
  }

  /** Closes a request's connection (a refusal was written): the TLS socket and the TCP one under it. */
  drop(socket: Duplex): void {
    const raw = this.rawOf(socket);
    socket.destroy();
    raw?.destroy();
  }

  /** One of the connection's socket.io requests passed the origin rules: it is no longer anonymous. */
  known(socket: Duplex): void {
    const raw = this.rawOf(socket);
    if (raw) this.slots.known(raw);
  }

  /** True when connections starting with a TLS handshake are served over TLS. */
  get tlsEnabled(): boolean {
    return this.tls !== undefined;
  }

  /** Number of TCP connections currently open, and of those still anonymous. */
  get connectionCount(): number {
    return this.slots.size;
  }

  get anonymousCount(): number {
    return this.slots.anonymousCount;
  }

  /**
   * Starts listening; resolves once bound, rejects with the error (its `code` tells why). An
   * adopted server is bound already.
   */
  listen(port: number, host: string): Promise<void> {
    if (this.net.listening) {
      this.net.on('error', (error) => this.options.onWarning?.(`listener error: ${error.message}`));
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.net.off('listening', onListening);
        reject(error);
      };
      const onListening = () => {
        this.net.off('error', onError);
        this.net.on('error', (error) => this.options.onWarning?.(`listener error: ${error.message}`));
        resolve();
      };
      this.net.once('error', onError);
      this.net.once('listening', onListening);
      this.net.listen({ port, host, exclusive: true });
    });
  }

  /** Stops accepting and destroys every open connection. */
  close(): Promise<void> {
    this.slots.clear();
    if (!this.net.listening) return Promise.resolve();
    return new Promise((resolve) => this.net.close(() => resolve()));
  }

  /** The cap is reached: one warning line per 10 s at most, with how many were refused since. */
  private full(maxConnections: number): void {
    this.refusedAtCap += 1;
    const now = Date.now();
    if (now - this.capLoggedAt < 10_000) return;
    this.capLoggedAt = now;
    this.options.onWarning?.(
      `refusing connections: ${maxConnections} are already open (${this.refusedAtCap} refused since the last line)`,
    );
    this.refusedAtCap = 0;
  }

  private accept(socket: Socket): void {
    // A reset before the owner attached its handlers must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    if (!this.slots.accept(socket)) return;
    socket.once('data', (chunk: Buffer) => {
      this.slots.firstByte(socket);
      socket.pause();
      socket.unshift(chunk);
      const protocol = protocolForFirstByte(chunk[0], this.tls !== undefined);
      if (protocol === 'tls' && this.tls) this.tls.emit('connection', socket);
      else this.options.httpServer.emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
    socket.resume();
  }
}
