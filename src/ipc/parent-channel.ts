// IPC out, and the parent's lifetime: sends server → parent messages over Node's IPC channel
// without ever throwing (a closed channel must not crash the process, docs/PROTOCOL.md §2), keeps
// the unsent backlog bounded when the parent stops reading, and notices at once when the parent
// goes away.
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
 * Sizes are only measured once this many messages are waiting (the parent is lagging), so a
 * parent that keeps up costs nothing extra.
 */
const MEASURE_AFTER_UNSENT = 64;

/** Serialized size of a message (Node's IPC sends JSON), or 0 if it cannot be measured. */
function serializedSize(message: object): number {
  try {
    return JSON.stringify(message)?.length ?? 0;
  } catch {
    return 0;
  }
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

  /** True when the parent is so far behind that browser data should be dropped. */
  get congested(): boolean {
    return this.unsentBytes > MAX_IPC_BACKLOG_BYTES;
  }

  send<K extends ServerToParentKey>(message: ServerMessage<K>): void {
    if (this.gone || !this.proc.connected || !this.proc.send) return;
    if (message.key === 'data' && this.congested) {
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
    const size = this.unsent >= MEASURE_AFTER_UNSENT ? serializedSize(message) : 0;
    try {
      this.unsent += 1;
      this.unsentBytes += size;
      this.proc.send(message, (error) => {
        this.unsent -= 1;
        this.unsentBytes -= size;
        if (error) this.logger.warnOnce('ipc-send', `could not send to the parent: ${error.message}`);
      });
    } catch (error) {
      this.unsent = Math.max(0, this.unsent - 1);
      this.unsentBytes = Math.max(0, this.unsentBytes - size);
      this.logger.warnOnce('ipc-send', `could not send to the parent: ${(error as Error).message}`);
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
