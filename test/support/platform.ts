// What this platform cannot do for a test, as skip reasons (undefined: it can). The suites run on
// Linux here and on Windows and macOS runners in the release workflow (.github/workflows): a test
// that needs a POSIX signal with no Windows equivalent is skipped there with the reason, never
// weakened.

/**
 * On Windows `child.kill('SIGTERM')` and `kill('SIGINT')` end the process at once
 * (TerminateProcess): no handler runs, so a graceful shutdown on a signal cannot be tested there.
 * Entry HW stops the server by closing its IPC channel, which is tested on every platform.
 */
export const NO_GRACEFUL_SIGNALS =
  process.platform === 'win32'
    ? 'Windows has no catchable SIGTERM/SIGINT for another process: kill() terminates it at once'
    : undefined;

/**
 * SIGSTOP / SIGCONT freeze a process with its sockets open; Windows has no such signal in Node
 * (suspending another process needs a native API).
 */
export const NO_FREEZE =
  process.platform === 'win32' ? 'Windows cannot freeze a process (no SIGSTOP/SIGCONT in Node)' : undefined;
