// IPC out, and the parent's lifetime: sends server → parent messages over Node's IPC channel
// without ever throwing (a closed channel must not crash the process, PROTOCOL.md §2) and
// notices at once when the parent goes away.
import type { Logger } from '../util/log';
import type { ServerMessage } from './messages';

/** Anything that can carry server → parent messages (the IPC channel or the developer console). */
export interface ParentSink {
  send(message: ServerMessage): void;
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

  constructor(
    private readonly proc: IpcProcess,
    private readonly logger: Logger,
  ) {}

  /** True when the process was started with an IPC channel. */
  static isAvailable(proc: IpcProcess): boolean {
    return typeof proc.send === 'function' && proc.connected;
  }

  send(message: ServerMessage): void {
    if (this.gone || !this.proc.connected || !this.proc.send) return;
    try {
      this.proc.send(message, (error) => {
        if (error) this.logger.warnOnce('ipc-send', `could not send to the parent: ${error.message}`);
      });
    } catch (error) {
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
