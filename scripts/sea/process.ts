// Child-process helper for the build: runs a command, keeps its output, and turns a failure into
// an error that shows the tail of that output.
import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Name used in error messages. */
  label: string;
}

export interface RunResult {
  output: string;
}

/**
 * Runs `command args` and resolves with its combined output; rejects on a non-zero exit.
 *
 * @example
 * await run('strip', [file], { label: 'strip' });
 */
export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', (error) => reject(new Error(`${options.label}: ${error.message}`)));
    child.once('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === 0) resolve({ output });
      else {
        const tail = output.trim().split('\n').slice(-20).join('\n');
        reject(new Error(`${options.label} failed (${signal ?? `exit ${code}`})${tail ? `:\n${tail}` : ''}`));
      }
    });
  });
}
