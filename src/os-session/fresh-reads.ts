// Shares reads of the connection table among lookups that arrive together (a failover reconnects
// every tab within a second) without ever answering a lookup from a read that started before it
// was asked: a lookup joins the next read, never one already under way (docs/SESSIONS.md §3).

/**
 * At most one read per key under way and one waiting behind it. `get(key)` resolves with a read
 * that started no earlier than the call: the one it starts, or the one queued behind the read
 * under way, which every caller arriving meanwhile shares.
 */
export class FreshReads<K, V> {
  private readonly slots = new Map<K, { waiting?: Waiting<V> }>();

  /** `read` must settle (bound it) and should not reject; a rejection becomes `onError(error)`. */
  constructor(
    private readonly read: (key: K) => Promise<V>,
    private readonly onError: (error: unknown) => V,
  ) {}

  /** A read of `key` that starts now or, when one is under way, right after it. */
  get(key: K): Promise<V> {
    const slot = this.slots.get(key);
    if (slot === undefined) {
      const fresh = {};
      this.slots.set(key, fresh);
      return this.launch(key, fresh);
    }
    if (slot.waiting === undefined) slot.waiting = waiting<V>();
    return slot.waiting.promise;
  }

  /** Keys with a read under way (for tests). */
  get busyKeys(): number {
    return this.slots.size;
  }

  private launch(key: K, slot: { waiting?: Waiting<V> }): Promise<V> {
    let started: Promise<V>;
    try {
      started = this.read(key).catch(this.onError);
    } catch (error) {
      started = Promise.resolve(this.onError(error));
    }
    void started.then(() => {
      const next = slot.waiting;
      if (next === undefined) {
        this.slots.delete(key);
        return;
      }
      slot.waiting = undefined;
      next.resolve(this.launch(key, slot));
    });
    return started;
  }
}

interface Waiting<V> {
  promise: Promise<V>;
  resolve: (value: V | Promise<V>) => void;
}

function waiting<V>(): Waiting<V> {
  let resolve!: (value: V | Promise<V>) => void;
  const promise = new Promise<V>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
