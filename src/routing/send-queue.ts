// The queue and its rules for the parent sends an instance keeps while it has no role to hand them
// to (between hosts after a failover, or while joining; server/parent-outbox.ts is the server's use
// of it): bounded in count (the last 1000), stamped with the time they were sent so that
// none reaches a browser more than the held-message window (5 s) after it was sent, and tied to
// the roomId they were sent for. docs/PROTOCOL.md §5 (failover) and §4 (held messages).

import { BoundedQueue } from '../util/bounded-queue';
import { RECONNECT_WINDOW_MS } from './held-messages';

/** A queued send and how long it has waited. */
export interface QueuedSend<T> {
  value: T;
  /** Milliseconds between the send and the drain. */
  queuedMs: number;
}

/** What one drain hands out and what it dropped. */
export interface SendQueueDrain<T> {
  /** Sends still within the window, oldest first. */
  fresh: QueuedSend<T>[];
  /** Sends dropped because they waited the whole window or longer. */
  expired: number;
}

/**
 * Queue of parent sends waiting for a host.
 *
 * A roomId change empties it (`roomChanged`): the queued sends were device data for the
 * previous room's tab, and this instance no longer serves that room. Delivering them to the new
 * room would hand one student's device data to another student's tab; re-keying them to the old
 * room is impossible, since a peer claims one room at a time and the old room may already be
 * another peer's. So they are dropped, and the caller logs how many.
 *
 * @example
 * const queue = new SendQueue<unknown>();
 * queue.push({ a0: 512 }, 1000);
 * queue.drain(3000); // { fresh: [{ value: { a0: 512 }, queuedMs: 2000 }], expired: 0 }
 * queue.push('late', 1000);
 * queue.drain(7000); // { fresh: [], expired: 1 }
 */
export class SendQueue<T> {
  private readonly queue: BoundedQueue<{ value: T; at: number }>;

  constructor(
    capacity = 1000,
    private readonly windowMs = RECONNECT_WINDOW_MS,
  ) {
    this.queue = new BoundedQueue(capacity);
  }

  get length(): number {
    return this.queue.length;
  }

  get capacity(): number {
    return this.queue.capacity;
  }

  /** Sends dropped for capacity since the last drain. */
  get dropped(): number {
    return this.queue.dropped;
  }

  /** Queues a send made at `now`. */
  push(value: T, now: number): void {
    this.queue.push({ value, at: now });
  }

  /** Empties the queue (the roomId changed); returns how many sends were dropped. */
  roomChanged(): number {
    return this.queue.drain().length;
  }

  /** Removes everything; hands out the sends younger than the window, oldest first. */
  drain(now: number): SendQueueDrain<T> {
    const fresh: QueuedSend<T>[] = [];
    let expired = 0;
    for (const { value, at } of this.queue.drain()) {
      const queuedMs = Math.max(0, now - at);
      if (queuedMs < this.windowMs) fresh.push({ value, queuedMs });
      else expired += 1;
    }
    return { fresh, expired };
  }
}
