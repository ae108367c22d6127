// Everything a host puts on the port: the TCP listener (TLS and plain on one port), the shared
// http.Server with its routes, and the hand-off of socket.io traffic to the HostHub. Every
// request and upgrade passes request-policy.ts's admitRequest first (Host, Origin, JSONP, peers).
import { X509Certificate } from 'node:crypto';
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from 'node:tls';
import {
  DEFAULT_LISTENER_LIMITS,
  INFLIGHT_BUDGET_BYTES,
  type ListenerLimits,
  MAX_LOCAL_PAYLOAD_BYTES,
  MAX_PAYLOAD_BYTES,
  SMALL_MESSAGE_BYTES,
} from '../../config';
import type { LoadedCertificate } from '../../crypto/certificates';
import { type HandshakeDecision, isWebSocketUpgrade } from '../../policy/handshake';
import { isOlderServerJoin, OLDER_SERVER_JOIN_MESSAGE } from '../../policy/older-version';
import { type Admission, admitRequest, isSocketIoPath } from '../../policy/request-policy';
import type { Logger } from '../../util/log';
import { DualProtocolListener } from './dual-protocol-listener';
import {
  type HttpRoutesOptions,
  handleHttpRequest,
  type ModuleHandlers,
  type StatusBody,
} from './http-routes';
import { MessageBudget } from './message-budget';

/**
 * What serves the socket.io path (the HostHub): the listener hands it requests and upgrades and
 * asks it the origin policy, without knowing anything else about it.
 */
export interface BrowserRequestHandler {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  isOriginAllowed(origin: string | undefined): boolean;
  /** The configured extra origins (defaults not included). */
  allowedOrigins(): readonly string[];
  /** A handshake the request policy admitted, with its classification (made once, here). */
  handshakeAdmitted(req: IncomingMessage, decision: HandshakeDecision): void;
}

export interface HostListenerOptions extends ModuleHandlers {
  hub: BrowserRequestHandler;
  logger: Logger;
  /** Certificate to serve wss/https with; undefined serves plain only. */
  certificate: LoadedCertificate | undefined;
  status: () => StatusBody;
  /** The diagnostics routes (src/diagnostics). */
  diagnostics?: HttpRoutesOptions['diagnostics'];
  /** Header deadline and connection cap; DEFAULT_LISTENER_LIMITS unless given (main.ts reads the environment). */
  limits?: ListenerLimits;
  /** The port, bound already (election/start-role.ts): adopted instead of binding again. */
  bound?: NetServer;
}

/**
 * Writes a refusal on a raw socket (an upgrade that never reached a response object) and closes
 * it once written: a refused sender keeps no slot.
 */
export function refuseUpgrade(socket: Duplex, status: number): void {
  const text = status === 400 ? 'Bad Request' : 'Forbidden';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
    () => socket.destroy(),
  );
}

/**
 * Any answer of 400 or more is sent with `Connection: close` and its connection closed once it is
 * written, whoever writes it (the request policy's refusal, the routes, engine.io): a refused sender keeps no slot,
 * and a slow body behind a refusal is not read.
 */
function closeAfterRefusal(res: ServerResponse, close: () => void): void {
  const writeHead = res.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
    if (typeof args[0] === 'number' && args[0] >= 400 && this.shouldKeepAlive) {
      this.shouldKeepAlive = false;
      this.once('finish', close);
    }
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
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
  /** Message bytes in flight across every connection. */
  readonly budget: MessageBudget;
  private readonly listener: DualProtocolListener;

  constructor(options: HostListenerOptions) {
    this.http = createHttpServer({ keepAliveTimeout: 5000 });
    this.budget = new MessageBudget({
      limits: {
        browserMessageBytes: MAX_PAYLOAD_BYTES,
        localMessageBytes: MAX_LOCAL_PAYLOAD_BYTES,
        inflightBytes: INFLIGHT_BUDGET_BYTES,
        smallMessageBytes: SMALL_MESSAGE_BYTES,
      },
      onRefused: (kind, detail) => options.logger.refused(kind, detail),
    });
    const admit = (req: IncomingMessage, isUpgrade: boolean): Admission => {
      if (isUpgrade) this.listener.upgraded(req.socket);
      else this.listener.requestStarted(req);
      const admission = admitRequest(
        { method: req.method, url: req.url, headers: req.headers, isUpgrade },
        options.hub.allowedOrigins(),
      );
      if (!admission.allow) {
        // The original v2 server joining as a peer is refused like any no-Origin polling request,
        // but said once in words a person can act on (every instance must run the same version).
        if (isOlderServerJoin(req.url))
          options.logger.warnOnce('older-server-join', OLDER_SERVER_JOIN_MESSAGE);
        // Counted by kind, never one line per Host or Origin: a flood cannot bury a warning.
        else options.logger.refused(admission.kind, admission.reason);
      }
      // A socket.io request that passed the origin rules comes from an allowed page or a local
      // program (a WebSocket without Origin): its connection may use the reserved slots.
      else if (isSocketIoPath(req.url)) {
        this.listener.known(req.socket);
        // The policy classified the handshake with the event's idea of a WebSocket; the hub's gate
        // takes that answer whenever its own idea (the Upgrade header) agrees, so it never differs.
        if (admission.handshake && isUpgrade === isWebSocketUpgrade(req.headers))
          options.hub.handshakeAdmitted(req, admission.handshake);
      }
      return admission;
    };
    this.http.on('request', (req, res) => {
      closeAfterRefusal(res, () => this.listener.drop(req.socket));
      res.once('finish', () => this.listener.responseDone(req.socket));
      const admission = admit(req, false);
      if (!admission.allow) {
        const text = admission.status === 400 ? 'bad request' : 'forbidden';
        res.writeHead(admission.status, { 'content-type': 'text/plain', 'content-length': text.length });
        res.end(text);
        return;
      }
      if (isSocketIoPath(req.url)) {
        if (req.method === 'POST' && !this.budget.admitPollingBody(req, res)) return;
        options.hub.handleRequest(req, res);
      } else
        handleHttpRequest(req, res, {
          ...options,
          isOriginAllowed: (origin) => options.hub.isOriginAllowed(origin),
          onWarning: (m) => options.logger.warn(m),
        });
    });
    this.http.on('upgrade', (req, socket, head) => {
      const admission = admit(req, true);
      if (!admission.allow) refuseUpgrade(socket, admission.status);
      else if (isSocketIoPath(req.url)) {
        options.hub.handleUpgrade(req, socket, head);
        this.budget.watchWebSocket(socket, req.headers.origin !== undefined);
      } else socket.destroy();
    });
    this.http.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      options.logger.refused('bad-request', error.code ?? error.message);
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', () => socket.destroy());
      else socket.destroy();
    });
    const limits = options.limits ?? DEFAULT_LISTENER_LIMITS;
    this.listener = new DualProtocolListener({
      httpServer: this.http,
      bound: options.bound,
      headersTimeoutMs: limits.headersTimeoutMs,
      maxConnections: limits.maxConnections,
      tls: options.certificate ? tlsOptionsFor(options.certificate) : undefined,
      onWarning: (message) => options.logger.warn(message),
      onRefused: (kind, detail) => options.logger.refused(kind, detail),
    });
  }

  get tlsEnabled(): boolean {
    return this.listener.tlsEnabled;
  }

  /** TCP connections open now, and how many of them are anonymous (for GET /status's debug). */
  get connections(): { open: number; anonymous: number } {
    return { open: this.listener.connectionCount, anonymous: this.listener.anonymousCount };
  }

  listen(port: number, host: string): Promise<void> {
    return this.listener.listen(port, host);
  }

  async close(): Promise<void> {
    await this.listener.close();
    this.http.close();
  }
}
