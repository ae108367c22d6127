// One log line for a connection that closed for a reason other than a normal leave (an engine.io
// transport error, a ping timeout, a parse error): bounded outside text, info for the usual ping
// timeout of a sleeping laptop, warn for the rest.
import type { Logger } from '../util/log';
import { asRecord } from '../util/wire';

/** Longest piece of outside text (an error description) put in one log line. */
const MAX_LOGGED_TEXT = 200;

/**
 * Logs an engine.io `close` unless it is a normal leave.
 *
 * @example
 * engineSocket.on('close', (reason, description) => logAbnormalClose(logger, reason, description));
 */
export function logAbnormalClose(logger: Logger, reason: string, description: unknown): void {
  if (reason === 'transport close' || reason === 'forced close' || reason === 'server shutting down') return;
  const record = asRecord(description);
  const detail =
    description instanceof Error
      ? description.message
      : record !== undefined && 'message' in record
        ? String(record.message)
        : description === undefined
          ? ''
          : String(description);
  const text = detail.length > MAX_LOGGED_TEXT ? `${detail.slice(0, MAX_LOGGED_TEXT)}...` : detail;
  const line = `a connection was closed: ${reason}${text ? ` (${text})` : ''}`;
  if (reason === 'ping timeout') logger.info(line);
  else logger.warn(line);
}
