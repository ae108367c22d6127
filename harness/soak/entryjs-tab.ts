// The soak's browser tab running entryjs (src/class/hw.ts), with its reconnection as entryjs does it.
// It sends and receives; what its messages mean is the ledger's business (ledger.ts).
import ioV2 from 'socket.io-client-v2';

// A browser tab running entryjs (src/class/hw.ts): socket.io-client 2.5.0 with query
// { client: true, roomId }, transports ['websocket', 'polling'], the client's own reconnection
// (3 attempts, delay at most 1 s, 1 s connect timeout), and 1.5 s after a disconnect a nudge that
// turns reconnection back on and connects. After 'reconnect_failed' entryjs shows "disconnected"
// and gives up; the soak counts that and reloads the tab, as the student would.

type V2Socket = ReturnType<typeof ioV2>;
interface V2Manager {
  reconnectionAttempts(n: number): unknown;
  reconnectionDelayMax(ms: number): unknown;
  timeout(ms: number): unknown;
  reconnection(on: boolean): unknown;
}

export class EntryjsTab {
  readonly socket: V2Socket;
  private nudge: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    port: number,
    readonly roomId: string,
    onMessage: (payload: unknown) => void,
    onGaveUp: () => void,
  ) {
    this.socket = ioV2(`http://127.0.0.1:${port}`, {
      forceNew: true,
      transports: ['websocket', 'polling'],
      query: { client: 'true', roomId },
      extraHeaders: { Origin: 'https://playentry.org' },
    });
    const manager = this.socket.io as unknown as V2Manager;
    manager.reconnectionAttempts(3);
    manager.reconnectionDelayMax(1000);
    manager.timeout(1000);
    this.socket.on('message', onMessage);
    this.socket.on('disconnect', () => {
      if (this.closed) return;
      clearTimeout(this.nudge);
      this.nudge = setTimeout(() => {
        if (this.closed || this.socket.connected) return;
        manager.reconnection(true);
        this.socket.open();
      }, 1500);
    });
    this.socket.on('reconnect_failed', () => {
      if (!this.closed) onGaveUp();
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  emit(payload: unknown): void {
    this.socket.emit('message', payload);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.nudge);
    this.socket.close();
  }
}
