// One TCP port, two protocols (docs/PROTOCOL.md §3): the first byte of each new connection decides.
// 0x16 (a TLS handshake record) goes through the TLS server, anything else straight to the
// plain HTTP server. Both end in the same http.Server, so socket.io and the HTTP routes are
// shared. Owns the TCP listener and every socket it accepted, so close() leaves nothing behind.
// Half-open sockets: each connection has a deadline until its first request (or upgrade) headers
// are complete (the owner calls headersComplete), a TLS client error destroys the socket, and
// the number of open connections is capped. Node's own headersTimeout never runs here because
// the http.Server never listens itself.
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  createServer as createTlsServer,
  type SecureContextOptions,
  type Server as TlsServer,
} from 'node:tls';
import { TCP_SERVER_OPTIONS } from '../config';
import type { RefusalKind } from '../util/log';

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
   * A TCP server already bound to the port (roles/start-role.ts `startHost`), adopted instead of
   * binding again, so no other instance can take the port in between.
   */
  bound?: NetServer;
  /** Certificate and key; without them every connection is treated as plain. */
  tls?: SecureContextOptions;
  /** A connection whose first request headers are not complete after this long is dropped. Default 10 s. */
  headersTimeoutMs?: number;
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
  private readonly sockets = new Set<Socket>();
  /** Header deadlines of accepted sockets, by raw socket. */
  private readonly deadlines = new Map<Socket, NodeJS.Timeout>();
  private readonly headersTimeoutMs: number;
  private readonly maxConnections: number;

  constructor(private readonly options: DualProtocolListenerOptions) {
    this.headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
    this.maxConnections = options.maxConnections ?? 1000;
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

  /**
   * The owner saw complete request (or upgrade) headers on `socket` (plain, or the TLS socket):
   * its deadline ends. Later requests on a kept-alive connection are bounded by keepAliveTimeout.
   */
  headersComplete(socket: Duplex): void {
    const raw = this.deadlines.has(socket as Socket) ? (socket as Socket) : rawSocketOf(socket);
    if (raw === undefined) return;
    clearTimeout(this.deadlines.get(raw));
    this.deadlines.delete(raw);
  }

  /** True when connections starting with a TLS handshake are served over TLS. */
  get tlsEnabled(): boolean {
    return this.tls !== undefined;
  }

  /** Number of TCP connections currently open. */
  get connectionCount(): number {
    return this.sockets.size;
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
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    for (const timer of this.deadlines.values()) clearTimeout(timer);
    this.deadlines.clear();
    if (!this.net.listening) return Promise.resolve();
    return new Promise((resolve) => this.net.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    // A reset before the owner attached its handlers must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    if (this.sockets.size >= this.maxConnections) {
      this.options.onWarning?.(`refusing connections: ${this.maxConnections} are already open`);
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const deadline = setTimeout(() => {
      this.options.onRefused?.('slow', 'no complete request in time');
      socket.destroy();
    }, this.headersTimeoutMs);
    deadline.unref();
    this.deadlines.set(socket, deadline);
    socket.once('close', () => {
      this.sockets.delete(socket);
      clearTimeout(this.deadlines.get(socket));
      this.deadlines.delete(socket);
    });
    socket.once('data', (chunk: Buffer) => {
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
