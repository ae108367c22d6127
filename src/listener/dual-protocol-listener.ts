// One TCP port, two protocols (PROTOCOL.md §3): the first byte of each new connection decides.
// 0x16 (a TLS handshake record) goes through the TLS server, anything else straight to the
// plain HTTP server. Both end in the same http.Server, so socket.io and the HTTP routes are
// shared. Owns the TCP listener and every socket it accepted, so close() leaves nothing behind.
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import {
  createServer as createTlsServer,
  type SecureContextOptions,
  type Server as TlsServer,
} from 'node:tls';

/** The first byte of a TLS record carrying a handshake (ClientHello). */
export const TLS_HANDSHAKE_BYTE = 0x16;

export type ConnectionProtocol = 'tls' | 'plain';

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
  /** Certificate and key; without them every connection is treated as plain. */
  tls?: SecureContextOptions;
  /** A connection that sends nothing for this long is dropped. Default 15 s. */
  firstByteTimeoutMs?: number;
  /** Receives one line per dropped connection or TLS failure worth knowing about. */
  onWarning?: (message: string) => void;
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
  private readonly firstByteTimeoutMs: number;

  constructor(private readonly options: DualProtocolListenerOptions) {
    this.firstByteTimeoutMs = options.firstByteTimeoutMs ?? 15_000;
    this.net = createNetServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.accept(socket));
    if (options.tls) {
      this.tls = createTlsServer({ ...options.tls, ALPNProtocols: ['http/1.1'] });
      this.tls.on('secureConnection', (secureSocket) => options.httpServer.emit('connection', secureSocket));
      this.tls.on('tlsClientError', (error) => options.onWarning?.(`TLS handshake failed: ${error.message}`));
    }
  }

  /** True when connections starting with a TLS handshake are served over TLS. */
  get tlsEnabled(): boolean {
    return this.tls !== undefined;
  }

  /** Number of TCP connections currently open. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Starts listening; resolves once bound, rejects with the error (its `code` tells why). */
  listen(port: number, host: string): Promise<void> {
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
    if (!this.net.listening) return Promise.resolve();
    return new Promise((resolve) => this.net.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // A reset before the owner attached its handlers must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.firstByteTimeoutMs, () => {
      this.options.onWarning?.('dropped a connection that sent nothing');
      socket.destroy();
    });
    socket.once('data', (chunk: Buffer) => {
      socket.setTimeout(0);
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
