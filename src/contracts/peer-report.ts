// The one reader of a peer's `diagnosticsReport` (socket-events.ts DIAGNOSTICS_REPORT_EVENT), a wire
// value that arrives as `unknown`: host/peer-sockets.ts parses it on arrival into a PeerReport of
// a few short fields, and the diagnostics read only that.
import { parseSessionIdentity, type SessionIdentity } from '../os-session/identity';
import { asRecord } from '../util/wire';

/** What an Entry HW reported about its device (`connectHardwareSuccess` / `connectHardwareFailed`). */
export interface DeviceReport {
  state: 'connected' | 'failed';
  /** The hardware module id, e.g. `520101`. */
  moduleId?: string;
  /** ISO time of the report. */
  at: string;
}

/** What a peer instance tells the host about itself (event `diagnosticsReport`). */
export interface PeerReport {
  version: string | undefined;
  device: DeviceReport | undefined;
  /** The OS session the peer says it runs in: only a cross-check of the host's lookup. */
  session?: SessionIdentity;
}

/** The report of a peer that sent none yet, or nothing usable. */
export function emptyPeerReport(): PeerReport {
  return { version: undefined, device: undefined };
}

/**
 * Reads a peer's report defensively: anything else on the wire becomes an empty report.
 *
 * @example
 * parsePeerReport({ version: '3.0.0', device: { state: 'connected', moduleId: '520101', at: '…' } })
 * parsePeerReport('garbage') // { version: undefined, device: undefined }
 */
export function parsePeerReport(value: unknown): PeerReport {
  const report = emptyPeerReport();
  const fields = asRecord(value);
  if (fields === undefined) return report;
  const { version, device, session } = fields;
  if (typeof version === 'string' && /^[\w.+-]{1,40}$/.test(version)) report.version = version;
  const identity = parseSessionIdentity(session);
  if (identity !== undefined) report.session = identity;
  const deviceFields = asRecord(device);
  if (deviceFields !== undefined) {
    const { state, moduleId, at } = deviceFields;
    if (state === 'connected' || state === 'failed') {
      const time = typeof at === 'string' ? new Date(at) : undefined;
      report.device = {
        state,
        ...(typeof moduleId === 'string' && /^[\w.-]{1,40}$/.test(moduleId) ? { moduleId } : {}),
        at: time && !Number.isNaN(time.getTime()) ? time.toISOString() : new Date().toISOString(),
      };
    }
  }
  return report;
}
