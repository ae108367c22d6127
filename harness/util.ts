// The small helpers every test suite and bench shares (in the manner of socket.io's test/support/util.ts):
// waiting, polling with a deadline, roomIds like entryjs makes, and the /status body type.
// Test-only set-up lives in test/helpers; this module depends on nothing of the project
// but its public types.
import { randomBytes } from 'node:crypto';

export type { StatusBody } from '../src/host/listener/http-routes';

/** Resolves after `ms` milliseconds. Only for pacing a sender, never as an assertion of timing. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A roomId like entryjs keeps in localStorage: 10 hex characters. */
export function randomRoomId(): string {
  return randomBytes(5).toString('hex');
}

export interface UntilOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  describe?: () => string;
  /** More detail for the timeout message (a page's state, a log). */
  explain?: () => string | Promise<string>;
}

/**
 * Polls `check` until it returns a truthy value and returns that value; throws on timeout.
 *
 * @example
 * const status = await until(() => fetchStatus(port), { describe: () => 'a host on the port' });
 */
export async function until<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 20, describe = () => 'condition', explain }: UntilOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) {
      const detail = explain ? `\n${await explain()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}${detail}`);
    }
    await sleep(intervalMs);
  }
}
