// The one reader of the extension argument a peer sends with a forwarded `message`
// (ForwardMeta in socket-events.ts), a wire value that arrives as `unknown`; peer-sockets.ts
// parses it on arrival and passes the number inward.
import { asRecord, positiveOrZero } from '../util/wire';

/**
 * What a peer sends with a queued `message` (extension, second argument, ignored by other
 * versions): how long it waited on the peer, so the host counts its held-message age from the
 * send. Anything but a finite non-negative number reads as 0.
 *
 * @example
 * queuedMsOf({ queuedMs: 1200 }); // 1200
 * queuedMsOf(undefined);          // 0
 */
export function queuedMsOf(meta: unknown): number {
  return positiveOrZero(asRecord(meta)?.queuedMs);
}
