// Where the parent's values wait while this instance has no role (between hosts, or while the
// election runs): the server's use of the bounded, time-stamped SendQueue (routing/send-queue.ts),
// with the log lines a maintainer needs when something queued there is dropped and the hand-over
// to a role.
import type { Role } from '../contracts/role';
import { RECONNECT_WINDOW_MS } from '../routing/held-messages';
import { SendQueue } from '../routing/send-queue';
import type { Logger } from '../util/log';

/**
 * The parent's values between roles.
 *
 * @example
 * const outbox = new ParentOutbox(1000, logger);
 * outbox.keep({ a0: 512 });   // no role yet
 * outbox.handTo(role);        // the election settled: fresh values go out, old ones are dropped
 */
export class ParentOutbox {
  private readonly queue: SendQueue<unknown>;

  constructor(
    capacity: number,
    private readonly logger: Logger,
  ) {
    this.queue = new SendQueue(capacity);
  }

  /** Values waiting now (GET /status `debug.peerQueue`). */
  get length(): number {
    return this.queue.length;
  }

  /** Keeps a value for the next role; says once when the queue starts dropping its oldest. */
  keep(value: unknown, now = Date.now()): void {
    this.queue.push(value, now);
    if (this.queue.dropped === 1)
      this.logger.warn(`no host yet: keeping the last ${this.queue.capacity} sends, dropping older ones`);
  }

  /** The roomId changed: what was queued was for the previous room's tab and is dropped. */
  roomChanged(): void {
    if (this.queue.length === 0) return;
    const dropped = this.queue.roomChanged();
    this.logger.warn(`addRoomId: the roomId changed; dropped ${dropped} sends queued for the previous room`);
  }

  /** Hands what is younger than the held-message window to `role`, with its age; drops the rest. */
  handTo(role: Role, now = Date.now()): void {
    const { fresh, expired } = this.queue.drain(now);
    if (expired > 0)
      this.logger.warn(
        `dropped ${expired} sends queued while there was no host: older than ${RECONNECT_WINDOW_MS / 1000} s`,
      );
    for (const { value, queuedMs } of fresh) role.deliver(value, queuedMs);
  }
}
