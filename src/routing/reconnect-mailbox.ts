// Short-lived holding area for messages addressed to browsers that are not connected right now.
// Browsers reconnect on their own (entryjs waits 1500 ms), and after a failover the new host
// has no browsers for a moment: what arrives in that gap is held per recipient key, in order,
// and handed to the first browser that connects for that key. Bounded in count and age. Whether
// a message is held at all is decided by routing/held-messages.ts (only for a reconnecting tab).

export interface MailboxOptions {
  /** How long a held message stays deliverable. Default 5000 ms. */
  maxAgeMs?: number;
  /** Most messages held per key; the oldest are dropped beyond it. Default 500. */
  maxPerKey?: number;
  /** Most keys held at once; the stalest key is dropped beyond it. Default 200. */
  maxKeys?: number;
  now?: () => number;
}

interface Held<T> {
  at: number;
  value: T;
}

/**
 * Per-key FIFO of recent undeliverable messages.
 *
 * @example
 * const mailbox = new ReconnectMailbox<unknown>();
 * mailbox.hold('room:0a1b2c3d4e', { data: 1 });
 * mailbox.take('room:0a1b2c3d4e'); // [{ data: 1 }] if taken within 5 s, then empty
 */
export class ReconnectMailbox<T, K extends string = string> {
  private readonly boxes = new Map<K, Held<T>[]>();
  private readonly maxAgeMs: number;
  private readonly maxPerKey: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: MailboxOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 5000;
    this.maxPerKey = options.maxPerKey ?? 500;
    this.maxKeys = options.maxKeys ?? 200;
    this.now = options.now ?? Date.now;
  }

  /** Number of messages held under `key` that are still fresh. */
  size(key: K): number {
    this.expire(key);
    return this.boxes.get(key)?.length ?? 0;
  }

  /**
   * Holds a message for `key`. `ageMs` is how long it already waited before it got here (a send
   * queued on a peer between hosts): its age counts from when it was sent, so the window bounds
   * the whole way from the parent to the browser. A message already past the window is not held.
   *
   * @example
   * mailbox.hold('room:0a1b2c3d4e', { data: 1 }, 1200); // deliverable for 3.8 s more
   */
  hold(key: K, value: T, ageMs = 0): void {
    const age = Number.isNaN(ageMs) ? 0 : Math.max(ageMs, 0); // Infinity: past the window
    if (age >= this.maxAgeMs) return;
    let box = this.boxes.get(key);
    if (!box) {
      if (this.boxes.size >= this.maxKeys) this.dropStalestKey();
      box = [];
      this.boxes.set(key, box);
    }
    box.push({ at: this.now() - age, value });
    if (box.length > this.maxPerKey) box.splice(0, box.length - this.maxPerKey);
  }

  /** Removes and returns the fresh messages held under `key`, oldest first. */
  take(key: K): T[] {
    this.expire(key);
    const box = this.boxes.get(key);
    this.boxes.delete(key);
    return box ? box.map((held) => held.value) : [];
  }

  /**
   * Keys and messages held right now; `stale` are past their age (dropped when their key is next
   * read). For leak counters: reads only, changes nothing.
   *
   * @example
   * mailbox.stats(); // { keys: 1, messages: 3, stale: 0 }
   */
  stats(): { keys: number; messages: number; stale: number } {
    const oldest = this.now() - this.maxAgeMs;
    let messages = 0;
    let stale = 0;
    for (const box of this.boxes.values()) {
      messages += box.length;
      for (const held of box) if (held.at < oldest) stale += 1;
    }
    return { keys: this.boxes.size, messages, stale };
  }

  /**
   * Drops everything held except under `key` (undefined: drops everything); returns how many
   * messages went.
   *
   * @example
   * mailbox.keepOnly('room:0a1b2c3d4e'); // 3 (what other keys held)
   */
  keepOnly(key: K | undefined): number {
    let dropped = 0;
    for (const [k, box] of this.boxes) {
      if (k === key) continue;
      dropped += box.length;
      this.boxes.delete(k);
    }
    return dropped;
  }

  clear(): void {
    this.boxes.clear();
  }

  private expire(key: K): void {
    const box = this.boxes.get(key);
    if (!box) return;
    const oldest = this.now() - this.maxAgeMs;
    // Not sorted by age: a message that waited on a peer may follow a younger one.
    const fresh = box.filter((held) => held.at >= oldest);
    if (fresh.length === 0) this.boxes.delete(key);
    else if (fresh.length < box.length) this.boxes.set(key, fresh);
  }

  private dropStalestKey(): void {
    let stalest: K | undefined;
    let stalestAt = Number.POSITIVE_INFINITY;
    for (const [key, box] of this.boxes) {
      const last = box.reduce((newest, held) => Math.max(newest, held.at), 0);
      if (last < stalestAt) {
        stalestAt = last;
        stalest = key;
      }
    }
    if (stalest !== undefined) this.boxes.delete(stalest);
  }
}
