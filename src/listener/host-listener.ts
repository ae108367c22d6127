// Everything a host puts on the port: the TCP listener (TLS and plain on one port), the shared
// http.Server with its routes, and the hand-off of socket.io traffic to the HostHub.
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from 'node:tls';
import { SOCKET_IO_PATH } from '../config';
import type { Logger } from '../util/log';
import type { LoadedCertificate } from './certificates';
import { DualProtocolListener } from './dual-protocol-listener';
import {
  type HttpRoutesOptions,
  handleHttpRequest,
  type ModuleHandlers,
  type StatusBody,
} from './http-routes';

/**
 * What serves the socket.io path (the HostHub): the listener hands it requests and upgrades and
 * asks it the origin policy, without knowing anything else about it.
 */
export interface BrowserRequestHandler {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  isOriginAllowed(origin: string | undefined): boolean;
}

/** True when a request URL belongs to socket.io. */
export function isSocketIoPath(url: string | undefined): boolean {
  return typeof url === 'string' && url.startsWith(SOCKET_IO_PATH);
}

export interface HostListenerOptions extends ModuleHandlers {
  hub: BrowserRequestHandler;
  logger: Logger;
  /** Certificate to serve wss/https with; undefined serves plain only. */
  certificate: LoadedCertificate | undefined;
  status: () => StatusBody;
  /** The diagnostics routes (src/diagnostics). */
  diagnostics?: HttpRoutesOptions['diagnostics'];
}

/** TLS options from a certificate: the leaf plus its intermediates (self-signed roots are not sent). */
export function tlsOptionsFor(certificate: LoadedCertificate): SecureContextOptions {
  const intermediates = certificate.files.chain.filter((pem) => {
    try {
      const cert = new X509Certificate(pem);
      return cert.subject !== cert.issuer;
    } catch {
      return false;
    }
  });
  return { key: certificate.files.key, cert: [certificate.files.cert, ...intermediates].join('\n') };
}

/**
 * The host's presence on the port.
 *
 * @example
 * const host = new HostListener({ hub, logger, certificate, status: () => statusBody });
 * await host.listen(23518, '127.0.0.1'); // rejects with EADDRINUSE when another instance is host
 */
export class HostListener {
  readonly http: HttpServer;
  private readonly listener: DualProtocolListener;

  constructor(options: HostListenerOptions) {
    this.http = createHttpServer({ keepAliveTimeout: 5000 });
    this.http.on('request', (req, res) => {
      if (isSocketIoPath(req.url)) options.hub.handleRequest(req, res);
      else
        handleHttpRequest(req, res, {
          ...options,
          isOriginAllowed: (origin) => options.hub.isOriginAllowed(origin),
          onWarning: (m) => options.logger.warn(m),
        });
    });
    this.http.on('upgrade', (req, socket, head) => {
      if (isSocketIoPath(req.url)) options.hub.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    this.http.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.listener = new DualProtocolListener({
      httpServer: this.http,
      tls: options.certificate ? tlsOptionsFor(options.certificate) : undefined,
      onWarning: (message) => options.logger.warnOnce(`listener:${message}`, message),
    });
  }

  get tlsEnabled(): boolean {
    return this.listener.tlsEnabled;
  }

  listen(port: number, host: string): Promise<void> {
    return this.listener.listen(port, host);
  }

  async close(): Promise<void> {
    await this.listener.close();
    this.http.close();
  }
}
