// A FIFO with a fixed capacity that drops its oldest entries when full, counting what it dropped.

/**
 * @example
 * const queue = new BoundedQueue<number>(2);
 * queue.push(1); queue.push(2); queue.push(3);
 * queue.drain(); // [2, 3]; queue.dropped === 1
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  /** How many entries were dropped since the last drain. */
  dropped = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) {
      this.items.shift();
      this.dropped += 1;
    }
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const items = this.items;
    this.items = [];
    this.dropped = 0;
    return items;
  }
}
