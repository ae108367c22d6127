// Who gets in: runs socket/handshake.ts's classification once per handshake request (and the
// check for the original v2 server joining as a peer), logs refusals once, and remembers each
// request's decision so the socket.io `connection` handler reads it instead of classifying again.
import type { IncomingMessage } from 'node:http';
import { classifyHandshake, type HandshakeDecision, isWebSocketUpgrade } from '../policy/handshake';
import { isOriginAllowed } from '../policy/origin-policy';
import type { Logger } from '../util/log';
import { isOlderServerJoin, OLDER_SERVER_JOIN_MESSAGE } from './older-version';

/** First value of a header that may repeat. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The host's door.
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
    if (!decision.admit)
      this.logger.warnOnce(`refused:${decision.reason}`, `refused a handshake: ${decision.reason}`);
    return decision;
  }
}
