// The many shapes `open` accepts, normalised into one OpenOptions (docs/PROTOCOL.md §2, §8):
// nothing, "production" / "development" (Entry HW), a telemetry URL (entry-offline over IPC),
// (offlineVersion, url) (entry-offline in-process), or an options object.
import type { OpenOptions } from '../ipc/messages';
import { asRecord } from '../util/wire';

/** True for an absolute http:// or https:// URL. */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const MODE_NAMES = new Set(['production', 'development']);

/**
 * Normalises `open`'s arguments; unknown fields and wrong types are dropped.
 *
 * @example
 * normalizeOpenArguments('production')                          // {}
 * normalizeOpenArguments('https://example.org/log')             // { telemetryUrl: 'https://example.org/log' }
 * normalizeOpenArguments('2.1.0', 'https://example.org/log')    // { offlineVersion: '2.1.0', telemetryUrl: '...' }
 * normalizeOpenArguments({ allowedOrigins: ['https://a.test'] }) // { allowedOrigins: ['https://a.test'] }
 */
export function normalizeOpenArguments(first?: unknown, second?: unknown): OpenOptions {
  const options: OpenOptions = {};
  const raw = asRecord(first);
  if (raw !== undefined) {
    if (isHttpUrl(raw.telemetryUrl)) options.telemetryUrl = raw.telemetryUrl;
    if (typeof raw.offlineVersion === 'string') options.offlineVersion = raw.offlineVersion;
    if (Array.isArray(raw.allowedOrigins)) {
      const origins = raw.allowedOrigins.filter((o): o is string => typeof o === 'string' && o.length > 0);
      if (origins.length > 0) options.allowedOrigins = origins;
    }
  } else if (typeof first === 'string' && first !== '') {
    if (isHttpUrl(first)) options.telemetryUrl = first;
    else if (!MODE_NAMES.has(first)) options.offlineVersion = first;
  }
  if (options.telemetryUrl === undefined && isHttpUrl(second)) options.telemetryUrl = second;
  return options;
}
