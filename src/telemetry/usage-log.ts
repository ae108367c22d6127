// Usage telemetry ("count log", docs/PROTOCOL.md §7): a bounded queue of events POSTed to the endpoint
// the parent gave in `open`, once a device and a browser are both connected. It never affects
// the server: failures are swallowed into one log line and the queue stays bounded. Batches go
// out at most once per `minIntervalMs` (a flood of connections costs one POST, not one each),
// and a redirect is a failure: the batch is never re-posted to wherever a 307 points.
import { createHash, randomBytes } from 'node:crypto';
import { arch, platform, release } from 'node:os';

export type UsageEventType =
  | 'start_app'
  | 'connect_device_success'
  | 'connect_device_fail'
  | 'connect_ws_success'
  | 'disconnect_ws'
  | 'connect_all';

/** One logged event. `data` is the timestamp (compat: the endpoint reads this misnamed field). */
export interface UsageEvent {
  data: number;
  type: UsageEventType;
  isCloudMode: boolean;
}

/** Only what identifies the kind of machine, never the person or the PC (school children's PCs). */
export interface OsInfo {
  platform: string;
  release: string;
  arch: string;
}

export interface UsageReport {
  instanceHashId: string;
  osInfo: OsInfo;
  logs: UsageEvent[];
  hardwareId: string | undefined;
  offlineVer: string | undefined;
}

export type PostJson = (url: string, body: UsageReport) => Promise<void>;

export interface UsageLogOptions {
  endpoint: string;
  offlineVersion?: string;
  /** Transport; default: fetch with a 5 s timeout, non-2xx is a failure. */
  post?: PostJson;
  now?: () => number;
  /** Largest number of queued events; the oldest are dropped beyond it. Default 500. */
  maxQueue?: number;
  /** Shortest time between two automatic POSTs. Default 5000 ms. */
  minIntervalMs?: number;
  onError?: (message: string) => void;
}

export function currentOsInfo(): OsInfo {
  return { platform: platform(), release: release(), arch: arch() };
}

const postWithFetch: PostJson = async (url, body) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    redirect: 'error',
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
};

/**
 * Collects usage events and sends them in batches.
 *
 * @example
 * const usage = new UsageLog({ endpoint: 'https://example.org/count' });
 * usage.record('start_app', false);
 * usage.deviceConnected('520101', false);
 * usage.browserConnected(false); // both connected: connect_all is logged and the batch is POSTed
 */
export class UsageLog {
  readonly instanceHashId = createHash('sha256').update(randomBytes(32)).digest('hex');
  private queue: UsageEvent[] = [];
  private hardwareId: string | undefined;
  private deviceUp = false;
  private browsers = 0;
  private sending = false;
  /** When the last automatic POST started (Date.now), and the timer of the next one. */
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private sendTimer: NodeJS.Timeout | undefined;
  private sendAgain = false;
  private readonly post: PostJson;
  private readonly now: () => number;
  private readonly maxQueue: number;
  private readonly minIntervalMs: number;

  constructor(private readonly options: UsageLogOptions) {
    this.post = options.post ?? postWithFetch;
    this.now = options.now ?? Date.now;
    this.maxQueue = options.maxQueue ?? 500;
    this.minIntervalMs = options.minIntervalMs ?? 5000;
  }

  /** Events waiting to be sent (a copy). */
  get pending(): UsageEvent[] {
    return [...this.queue];
  }

  record(type: UsageEventType, isCloudMode: boolean): void {
    this.queue.push({ data: this.now(), type, isCloudMode });
    if (this.queue.length > this.maxQueue) this.queue.splice(0, this.queue.length - this.maxQueue);
  }

  deviceConnected(hardwareId: string, isCloudMode: boolean): void {
    this.hardwareId = hardwareId;
    this.deviceUp = true;
    this.record('connect_device_success', isCloudMode);
    this.maybeSend(isCloudMode);
  }

  deviceFailed(isCloudMode: boolean): void {
    this.deviceUp = false;
    this.record('connect_device_fail', isCloudMode);
  }

  browserConnected(isCloudMode: boolean): void {
    this.browsers += 1;
    this.record('connect_ws_success', isCloudMode);
    this.maybeSend(isCloudMode);
  }

  browserDisconnected(isCloudMode: boolean): void {
    this.browsers = Math.max(0, this.browsers - 1);
    this.record('disconnect_ws', isCloudMode);
  }

  /** Logs connect_all and sends the batch when a device and a browser are both connected. */
  private maybeSend(isCloudMode: boolean): void {
    if (!this.deviceUp || this.browsers === 0) return;
    this.record('connect_all', isCloudMode);
    this.scheduleSend();
  }

  /** Sends now, or once `minIntervalMs` has passed since the last automatic send. */
  private scheduleSend(): void {
    if (this.sendTimer !== undefined) return;
    if (this.sending) {
      this.sendAgain = true;
      return;
    }
    const wait = this.lastSentAt + this.minIntervalMs - Date.now();
    const go = () => {
      this.sendTimer = undefined;
      this.lastSentAt = Date.now();
      void this.send().then(() => {
        if (this.sendAgain) {
          this.sendAgain = false;
          this.scheduleSend();
        }
      });
    };
    if (wait <= 0) go();
    else {
      this.sendTimer = setTimeout(go, wait);
      this.sendTimer.unref();
    }
  }

  /** Cancels a scheduled send (the queue stays as it is). */
  stop(): void {
    clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
  }

  /** Sends the queued events; on success exactly those events are removed. Resolves either way. */
  async send(): Promise<void> {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    const batch = [...this.queue];
    const report: UsageReport = {
      instanceHashId: this.instanceHashId,
      osInfo: currentOsInfo(),
      logs: batch,
      hardwareId: this.hardwareId,
      offlineVer: this.options.offlineVersion,
    };
    try {
      await this.post(this.options.endpoint, report);
      this.queue = this.queue.filter((event) => !batch.includes(event));
    } catch (error) {
      this.options.onError?.(`usage log not sent: ${(error as Error).message}`);
    } finally {
      this.sending = false;
    }
  }
}
