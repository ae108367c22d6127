// A full garbage collection at a fixed interval (default once a minute), for the program only
// (main.ts; an embedder of EntryServer keeps its own GC policy). Why: under Entry's steady traffic
// (a browser message every 16 ms, a device frame every 32 ms) the process is never idle, so V8's
// memory reducer never runs, and the ArrayBuffers of received frames that outlived two scavenges
// are returned only at the next mark-compact, which V8 puts off while the heap is small. Measured
// on Node 26 (docs/RELIABILITY.md, finding 12): a peer's private memory climbed from ~24 to ~32 MB
// over ten minutes before dropping back, on a cloud PC where 30 copies run. The collection is
// asked for with `execution: 'async'`: V8 runs it as a task of its own on the event loop, with no
// JavaScript on the stack, rather than inside the timer's callback. It is still a pause of the
// main thread (a host with 30 tabs: 20-40 ms once a minute, `debug.gc.maxMs`), which the 60 Hz
// traffic rides out in its socket buffers.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What GET /status `debug.gc` reports. */
export interface CollectionStats {
  intervalMs: number;
  /** Collections finished. */
  count: number;
  /** From request to finish of the last and of the longest collection, ms (its wait for a turn included). */
  lastMs: number;
  maxMs: number;
}

/** Starts one full collection; a promise if it runs as a task of its own. */
export type Collector = () => Promise<unknown> | undefined;

type ExposedGc = (options?: { type: 'major' | 'minor'; execution: 'sync' | 'async' }) => unknown;

/**
 * V8's full collection as a task of its own: through the runtime's `gc` when it was started with
 * --expose-gc, else exposed now through V8's flags (a fresh context then has `gc`). Undefined if
 * neither works.
 *
 * @example
 * await fullCollector()?.(); // one full collection, between two other tasks of the event loop
 */
export function fullCollector(): Collector | undefined {
  let gc: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc');
    } catch {
      return undefined;
    }
  }
  if (typeof gc !== 'function') return undefined;
  const exposed = gc as ExposedGc;
  return () => exposed({ type: 'major', execution: 'async' }) as Promise<unknown> | undefined;
}

/**
 * Runs `collect` every `intervalMs` on an unref'd timer and times each run.
 *
 * @example
 * const collection = new PeriodicCollection(gc, 60_000);
 * collection.start();
 * collection.stats; // { intervalMs: 60000, count: 0, lastMs: 0, maxMs: 0 }
 */
export class PeriodicCollection {
  readonly stats: CollectionStats;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly collect: Collector,
    intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.stats = { intervalMs, count: 0, lastMs: 0, maxMs: 0 };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.stats.intervalMs);
    this.timer.unref();
  }

  /** One collection now, counted and timed; none while the previous one is still running. */
  async runOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const started = this.now();
    try {
      await this.collect();
    } finally {
      this.running = false;
    }
    const ms = Math.round((this.now() - started) * 100) / 100;
    this.stats.count += 1;
    this.stats.lastMs = ms;
    this.stats.maxMs = Math.max(this.stats.maxMs, ms);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

let running: PeriodicCollection | undefined;

/**
 * Starts the process's periodic collection (once); `intervalMs` 0 turns it off. Returns false
 * when it cannot run (no way to reach V8's collector).
 *
 * @example
 * startPeriodicCollection(60_000);
 */
export function startPeriodicCollection(intervalMs: number): boolean {
  if (running || intervalMs <= 0) return running !== undefined;
  const collect = fullCollector();
  if (!collect) return false;
  running = new PeriodicCollection(collect, intervalMs);
  running.start();
  return true;
}

/** The running collection's figures, or null when it is off (GET /status `debug.gc`). */
export function periodicCollectionStats(): CollectionStats | null {
  return running ? { ...running.stats } : null;
}
