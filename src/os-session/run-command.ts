// Runs one of the OS's table commands (netstat, tasklist, lsof) the safe way: execFile with an
// absolute path, no shell, a timeout that kills it, a cap on its output, and every outcome as a
// value, never a throw (docs/SESSIONS.md §3).
import { execFile } from 'node:child_process';

/** Output beyond this fails the command (a table of ~1000 connections is ~100 KB). */
export const MAX_COMMAND_OUTPUT = 16 * 1024 * 1024;

/** How a command ended. `stdout` is decoded byte for byte (latin1): every parser reads ASCII only. */
export type CommandResult =
  | { readonly kind: 'exited'; readonly code: number; readonly stdout: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'failed'; readonly detail: string };

/** Runs `file` with `args`, bounded by `timeoutMs`. Never rejects. */
export type RunCommand = (file: string, args: readonly string[], timeoutMs: number) => Promise<CommandResult>;

/** The real runner. */
export const runCommand: RunCommand = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    try {
      execFile(
        file,
        [...args],
        {
          timeout: Math.max(1, Math.round(timeoutMs)),
          killSignal: 'SIGKILL',
          maxBuffer: MAX_COMMAND_OUTPUT,
          encoding: 'latin1',
          shell: false,
          windowsHide: true,
        },
        (error, stdout) => {
          if (!error) return resolve({ kind: 'exited', code: 0, stdout });
          const failure = error as NodeJS.ErrnoException & {
            killed?: boolean;
            code?: unknown;
            signal?: unknown;
          };
          // Node kills the child both on the timeout and when the output passes maxBuffer.
          if (failure.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
            return resolve({ kind: 'failed', detail: 'output too large' });
          if (failure.killed) return resolve({ kind: 'timeout' });
          if (typeof failure.code === 'number')
            return resolve({ kind: 'exited', code: failure.code, stdout });
          if (failure.signal)
            return resolve({ kind: 'failed', detail: `killed by ${String(failure.signal)}` });
          resolve({
            kind: 'failed',
            detail: typeof failure.code === 'string' ? failure.code : 'spawn failed',
          });
        },
      );
    } catch (error) {
      resolve({ kind: 'failed', detail: (error as NodeJS.ErrnoException).code ?? 'spawn failed' });
    }
  });
