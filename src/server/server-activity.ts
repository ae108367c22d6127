// What the server tells its observers about activity, beyond the parent's events: the telemetry
// log (loaded only when `open` gives an endpoint, docs/BENCHMARKS.md) and the diagnostics page's
// per-room and device records, fed by the same browser and device events.
import type { Diagnostics } from '../diagnostics/diagnostics';
import type { OpenOptions } from '../ipc/messages';
import type { UsageLog } from '../telemetry/usage-log';
import type { Logger } from '../util/log';
import { VERSION } from '../version';

/**
 * Telemetry and diagnostics records of one server.
 *
 * @example
 * const activity = new ServerActivity(diagnostics, logger);
 * activity.startUsage(openOptions);                  // only with a telemetry URL
 * activity.connected(inCloud);                      // a browser this instance serves
 * activity.deviceConnected('0a0b0c', inCloud);       // → a peer report to share with the host
 */
export class ServerActivity {
  private usage: UsageLog | undefined;

  constructor(
    private readonly diagnostics: Diagnostics,
    private readonly logger: Logger,
  ) {}

  /** Starts the telemetry log when `open` named an endpoint. */
  startUsage(options: OpenOptions): void {
    if (!options.telemetryUrl) return;
    const { UsageLog } = require('../telemetry/usage-log') as typeof import('../telemetry/usage-log');
    this.usage = new UsageLog({
      endpoint: options.telemetryUrl,
      offlineVersion: options.offlineVersion,
      onError: (message) => this.logger.warnOnce(`usage:${message}`, message),
    });
    this.usage.record('start_app', false);
  }

  /** A browser this instance serves connected (the parent's `connection`). */
  connected(cloud: boolean): void {
    this.usage?.browserConnected(cloud);
  }

  /** A browser this instance serves left (the parent's `close`). */
  closed(cloud: boolean): void {
    this.usage?.browserDisconnected(cloud);
  }

  /** The parent's `connectHardwareSuccess`; returns the report a peer shares with its host. */
  deviceConnected(hardwareId: string, cloud: boolean): unknown {
    this.usage?.deviceConnected(hardwareId, cloud);
    this.diagnostics.deviceReported('connected', hardwareId);
    return this.deviceReport();
  }

  /** The parent's `connectHardwareFailed`; returns the report a peer shares with its host. */
  deviceFailed(cloud: boolean): unknown {
    this.usage?.deviceFailed(cloud);
    this.diagnostics.deviceReported('failed');
    return this.deviceReport();
  }

  /** What this instance's Entry HW last reported, as a peer sends it to the host. */
  deviceReport(): unknown {
    return this.diagnostics.peerReport(VERSION);
  }
}
