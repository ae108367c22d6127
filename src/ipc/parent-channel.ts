// IPC out, and the parent's lifetime: sends server → parent messages over Node's IPC channel
// without ever throwing (a closed channel must not crash the process, docs/PROTOCOL.md §2), keeps
// the unsent backlog bounded when the parent stops reading, and notices at once when the parent
// goes away.
import { SMALL_MESSAGE_BYTES } from '../config';
import type { Logger } from '../util/log';
import type { ServerMessage, ServerToParentKey } from './messages';

/** Anything that can carry server → parent messages (the IPC channel or the developer console). */
export interface ParentSink {
  send<K extends ServerToParentKey>(message: ServerMessage<K>): void;
}

/**
 * Unsent bytes the IPC channel may hold before browser data is dropped: about 25 s of a full
 * classroom of 200 browsers at 60 Hz. A parent that stops reading (busy, hung) while a browser
 * keeps sending would otherwise grow this process's memory without limit. Device data is a
 * stream of fresh values, so dropping the excess is the right failure; mode changes, replies and
 * errors are never dropped.
 */
export const MAX_IPC_BACKLOG_BYTES = 32 * 1024 * 1024;
/**
 * Exact sizes are only measured once this many messages are waiting (the parent is lagging), so a
 * parent that keeps up costs nothing extra; before that, {@link roughSize} counts the large ones.
 */
const MEASURE_AFTER_UNSENT = 64;
/** How many values {@link roughSize} looks at, at most. */
const ROUGH_SIZE_VALUES = 256;

/** Serialized size of a message (Node's IPC sends JSON), or 0 if it cannot be measured. */
function serializedSize(message: object): number {
  try {
    return JSON.stringify(message)?.length ?? 0;
  } catch {
    return 0;
  }
}

/**
 * A cheap lower bound of a value's JSON size: the lengths of the strings among its first
 * {@link ROUGH_SIZE_VALUES} values (depth first). A browser message is `{ data: string, type }`,
 * so a 95 MB one is counted at once, before the parent has fallen 64 messages behind:
 * bytes queued for the parent count toward the backlog from the first large message.
 *
 * @example
 * roughSize({ key: 'data', value: { data: 'x'.repeat(1000), type: 'utf8' } }); // ≥ 1000
 */
export function roughSize(value: unknown): number {
  let size = 0;
  let budget = ROUGH_SIZE_VALUES;
  const stack: unknown[] = [value];
  while (stack.length > 0 && budget > 0) {
    const next = stack.pop();
    budget -= 1;
    if (typeof next === 'string') size += next.length;
    else if (typeof next === 'object' && next !== null) {
      for (const key in next) {
        if (stack.length >= budget) break;
        stack.push((next as Record<string, unknown>)[key]);
      }
    } else size += 4;
  }
  return size;
}

/** The parts of `process` this channel uses, so tests can hand in a fake. */
export interface IpcProcess {
  connected: boolean;
  send?(message: unknown, callback: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

/**
 * The IPC channel to Entry HW.
 *
 * @example
 * const channel = new IpcParentChannel(process, logger);
 * channel.onMessage((raw) => handle(raw));
 * channel.watchDisconnect(() => process.exit(0));
 * channel.send({ key: 'runningModeChanged', value: RunningMode.server });
 */
export class IpcParentChannel implements ParentSink {
  private gone = false;
  /** Messages handed to `process.send` whose write has not completed, and their measured bytes. */
  private unsent = 0;
  private unsentBytes = 0;
  /** The part of unsentBytes in small messages (up to SMALL_MESSAGE_BYTES each). */
  private unsentSmallBytes = 0;
  /** Measured bytes of each unsent message, oldest first from `head` (writes complete in order). */
  private sizes: number[] = [];
  private head = 0;
  /** Browser messages dropped in the current congestion episode. */
  private dropped = 0;

  constructor(
    private readonly proc: IpcProcess,
    private readonly logger: Logger,
  ) {}

  /** True when the process was started with an IPC channel. */
  static isAvailable(proc: IpcProcess): boolean {
    return typeof proc.send === 'function' && proc.connected;
  }

  /** True when the parent is so far behind that some browser data is being dropped. */
  get congested(): boolean {
    return this.congestedFor(0) || this.congestedFor(Number.POSITIVE_INFINITY);
  }

  /**
   * Whether a browser message of about `size` bytes is dropped now. Small ones (a tab's 60 Hz
   * messages) only when more than the bound of small ones waits; large ones when more than the
   * bound waits behind the message being written now. So one large message never holds up the
   * others' small ones, and a parent that stops reading still costs a bounded backlog.
   */
  private congestedFor(size: number): boolean {
    if (size <= SMALL_MESSAGE_BYTES) return this.unsentSmallBytes > MAX_IPC_BACKLOG_BYTES;
    return this.unsentBytes - (this.sizes[this.head] ?? 0) > MAX_IPC_BACKLOG_BYTES;
  }

  send<K extends ServerToParentKey>(message: ServerMessage<K>): void {
    if (this.gone || !this.proc.connected || !this.proc.send) return;
    const rough = roughSize(message);
    if (message.key === 'data' && this.congestedFor(rough)) {
      this.dropped += 1;
      if (this.dropped === 1) {
        this.logger.warn('the parent app is not reading: dropping browser messages until it catches up');
      }
      return;
    }
    if (this.dropped > 0 && !this.congested) {
      this.logger.warn(`the parent app caught up; ${this.dropped} browser messages were dropped`);
      this.dropped = 0;
    }
    const size = this.unsent >= MEASURE_AFTER_UNSENT ? Math.max(rough, serializedSize(message)) : rough;
    try {
      this.unsent += 1;
      this.unsentBytes += size;
      if (size <= SMALL_MESSAGE_BYTES) this.unsentSmallBytes += size;
      this.sizes.push(size);
      this.proc.send(message, (error) => {
        this.written(size);
        if (error) this.logger.warnOnce('ipc-send', `could not send to the parent: ${error.message}`);
      });
    } catch (error) {
      this.written(size);
      this.logger.warnOnce('ipc-send', `could not send to the parent: ${(error as Error).message}`);
    }
  }

  /** The oldest unsent message's write completed (or failed). */
  private written(size: number): void {
    this.unsent = Math.max(0, this.unsent - 1);
    this.unsentBytes = Math.max(0, this.unsentBytes - size);
    if (size <= SMALL_MESSAGE_BYTES) this.unsentSmallBytes = Math.max(0, this.unsentSmallBytes - size);
    this.head += 1;
    if (this.head >= this.sizes.length) {
      this.sizes = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.sizes.length) {
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  onMessage(handler: (raw: unknown) => void): void {
    this.proc.on('message', handler);
  }

  /**
   * Calls `onGone` once when the parent goes away: on the channel's `disconnect` event, with a
   * periodic `connected` check as a fallback.
   */
  watchDisconnect(onGone: () => void, pollMs = 1000): void {
    const fire = () => {
      if (this.gone) return;
      this.gone = true;
      clearInterval(timer);
      onGone();
    };
    this.proc.on('disconnect', fire);
    const timer = setInterval(() => {
      if (!this.proc.connected) fire();
    }, pollMs);
    timer.unref();
  }
}
