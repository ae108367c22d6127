// Set-up shared by the browser suites (test/browser/*.test.ts): where screenshots go, the names
// Chromium maps to 127.0.0.1, a polling wait with an explanation on timeout, and the check that
// the program under test has been built.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/server-process';
import { until } from '../../harness/util';

/** Every browser suite saves its screenshots here. */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'browser');

/** The certificate's names, which the workspace tries first; Chromium maps them to 127.0.0.1. */
export const CERTIFICATE_HOSTS = ['hw.playentry.org', 'hardware.playentry.org'];

/** Waits until `check()` is true, polling; fails with `what` and `explain()` after `timeoutMs`. */
export async function untilTrue(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  explain?: () => string | Promise<string>,
): Promise<void> {
  await until(check, { timeoutMs, intervalMs: 25, describe: () => what, explain });
}

/** Throws unless the program the suites spawn exists (dist/main.cjs or ENTRY_HW_TEST_BIN). */
export function assertProgramBuilt(): void {
  if (!process.env.ENTRY_HW_TEST_BIN && !existsSync(join(REPO_ROOT, 'dist', 'main.cjs'))) {
    throw new Error('dist/main.cjs is missing: run `npm run build:js` first (`npm test` does)');
  }
}
