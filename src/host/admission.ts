// Who gets in at the socket.io path: the engine.io server with its handshake check, CORS and
// Private Network Access answers, and the 403 for a refused WebSocket upgrade. The HandshakeGate
// keeps each handshake request's decision: the one the request policy made on the way in
// (HostListener hands it over), or, for a request that did not come that way, its own run of
// policy/handshake.ts (and the check for the original v2 server joining as a peer), logging a
// refusal once; the socket.io `connection` handler reads it instead of classifying again.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server as EngineServer } from 'engine.io';
import { MAX_PAYLOAD_BYTES, PING_INTERVAL_MS, PING_TIMEOUT_MS } from '../config';
import {
  classifyHandshake,
  type HandshakeDecision,
  headerValue,
  isWebSocketUpgrade,
} from '../policy/handshake';
import { isOlderServerJoin, OLDER_SERVER_JOIN_MESSAGE } from '../policy/older-version';
import { isOriginAllowed } from '../policy/origin-policy';
import type { Logger } from '../util/log';
import { logAbnormalClose } from './abnormal-close';
import { type BrowserRequestHandler, refuseUpgrade } from './listener/host-listener';

/**
 * Each socket.io handshake request's admission decision, kept for as long as the request lives.
 *
 * @example
 * const gate = new HandshakeGate(logger, () => extraOrigins);
 * gate.admit(req);      // classifies, logs a refusal once, remembers the answer for this request
 * gate.decisionFor(req); // the same answer, without classifying again
 */
export class HandshakeGate {
  private readonly decisions = new WeakMap<IncomingMessage, HandshakeDecision>();

  constructor(
    private readonly logger: Logger,
    private readonly allowedOrigins: () => readonly string[],
  ) {}

  /** The origin policy in force (defaults plus configured extras). */
  isOriginAllowed(origin: string | undefined): boolean {
    return isOriginAllowed(origin, this.allowedOrigins());
  }

  /**
   * Decides a handshake request (or reads the decision already made for it).
   *
   * @example
   * gate.admit(req); // { admit: true, kind: 'browser', roomId: '0a1b2c3d4e' }
   */
  admit(req: IncomingMessage): HandshakeDecision {
    const known = this.decisions.get(req);
    if (known) return known;
    const decision = this.classify(req);
    this.decisions.set(req, decision);
    return decision;
  }

  /** Takes the request policy's classification of an admitted handshake (see HostListener). */
  remember(req: IncomingMessage, decision: HandshakeDecision): void {
    this.decisions.set(req, decision);
  }

  /** The decision made for the request a socket.io socket was opened with. */
  decisionFor(req: IncomingMessage): HandshakeDecision {
    return this.admit(req);
  }

  private classify(req: IncomingMessage): HandshakeDecision {
    if (isOlderServerJoin(req.url)) {
      // The original v2 server joining as a peer: refused (Engine.IO 3 polling with no Origin is
      // what a web page's <img> or <script> sends too), and said once, in words a person acts on.
      this.logger.warnOnce('older-server-join', OLDER_SERVER_JOIN_MESSAGE);
      return { admit: false, reason: 'an older entry-hw-server tried to join' };
    }
    const origin = headerValue(req.headers.origin);
    const decision = classifyHandshake(
      { url: req.url, origin, websocket: isWebSocketUpgrade(req.headers) },
      this.allowedOrigins(),
    );
    if (!decision.admit) this.logger.refused('handshake', decision.reason);
    return decision;
  }
}

/**
 * The engine.io server behind the socket.io path, and the listener's way in to it.
 *
 * @example
 * const door = new EngineDoor(logger, () => extraOrigins);
 * io.bind(door.engine);
 * new HostListener({ hub: door, ... }); // requests and upgrades under /socket.io/ come here
 */
export class EngineDoor implements BrowserRequestHandler {
  readonly engine: EngineServer;
  readonly gate: HandshakeGate;

  constructor(
    logger: Logger,
    readonly allowedOrigins: () => readonly string[],
  ) {
    const gate = new HandshakeGate(logger, allowedOrigins);
    this.gate = gate;
    this.engine = new EngineServer({
      allowEIO3: true,
      transports: ['polling', 'websocket'],
      maxHttpBufferSize: MAX_PAYLOAD_BYTES,
      pingInterval: PING_INTERVAL_MS,
      pingTimeout: PING_TIMEOUT_MS,
      allowRequest: (req, callback) => {
        const decision = gate.admit(req);
        callback(decision.admit ? null : decision.reason, decision.admit);
      },
      cors: {
        origin: (origin, callback) => callback(null, gate.isOriginAllowed(origin)),
        credentials: true,
      },
    });
    this.engine.on(
      'connection',
      (socket: { on(event: 'close', fn: (r: string, d?: unknown) => void): void }) =>
        socket.on('close', (reason, description) => logAbnormalClose(logger, reason, description)),
    );
  }

  /** The origin policy in force (defaults plus configured extras). */
  isOriginAllowed(origin: string | undefined): boolean {
    return this.gate.isOriginAllowed(origin);
  }

  handshakeAdmitted(req: IncomingMessage, decision: HandshakeDecision): void {
    this.gate.remember(req, decision);
  }

  /** Serves a socket.io polling request; answers preflights with the Private Network Access header. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (
      req.method === 'OPTIONS' &&
      req.headers['access-control-request-private-network'] === 'true' &&
      this.isOriginAllowed(headerValue(req.headers.origin))
    ) {
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
    this.engine.handleRequest(req, res);
  }

  /** Serves a WebSocket upgrade; a refused handshake gets HTTP 403 before engine.io sees it. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.gate.admit(req).admit) {
      refuseUpgrade(socket, 403);
      return;
    }
    this.engine.handleUpgrade(req, socket, head);
  }
}
