// The running and cloud modes as the parent has been told them: `open` settles on the first
// role, and each mode is reported again only when it changes (docs/PROTOCOL.md §2). Nothing is
// reported once the server is closing.
import type { CloudModeValue, RunningModeValue } from '../ipc/messages';

export interface ModeListener {
  runningModeChanged(mode: RunningModeValue): void;
  cloudModeChanged(mode: CloudModeValue): void;
}

/**
 * The modes reported so far, and the promise `open` returns.
 *
 * @example
 * const modes = new ModeReport({ runningModeChanged: emitRunning, cloudModeChanged: emitCloud });
 * const opened = modes.opened(); // resolves on the first set()
 * modes.set(RunningMode.server, CloudMode.singleServer); // both reported the first time
 */
export class ModeReport {
  runningMode: RunningModeValue | undefined;
  cloudMode: CloudModeValue | undefined;
  private settle: (() => void) | undefined;
  private closing = false;

  constructor(private readonly listener: ModeListener) {}

  /** A promise that resolves on the first role (or at close). */
  opened(): Promise<void> {
    return new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** Reports each mode that changed; the first call reports both and settles `opened()`. */
  set(running: RunningModeValue, cloud: CloudModeValue): void {
    if (this.closing) return;
    const first = this.settle !== undefined;
    if (first || running !== this.runningMode) {
      this.runningMode = running;
      this.listener.runningModeChanged(running);
    }
    if (first || cloud !== this.cloudMode) {
      this.cloudMode = cloud;
      this.listener.cloudModeChanged(cloud);
    }
    this.settleOpen();
  }

  /** The server is closing: nothing more is reported. */
  close(): void {
    this.closing = true;
  }

  /** Settles `opened()` without a role (the server closed first). */
  settleOpen(): void {
    this.settle?.();
    this.settle = undefined;
  }
}
