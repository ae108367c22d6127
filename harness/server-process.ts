// Spawns the program exactly as Entry HW does (IPC channel, inherited stdout/stderr) and plays
// the parent: records every message, waits for specific ones, sends typed messages.
// The program is `node dist/main.cjs` unless ENTRY_HW_TEST_BIN names a built executable.
// Importing this module points every program a test spawns at a temporary log folder (unless
// ENTRY_HW_LOG_DIR is set already), so no suite writes into the real user's log folder.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParentMessage, ParentToServerKey, ServerMessage, ServerToParentKey } from '../src/ipc/messages';

export const REPO_ROOT = join(__dirname, '..');

/**
 * The log folder of the programs this test process spawns: a temporary one, removed when the test
 * process exits; the test runner (scripts/test.mjs) gives one to the whole run. Set in this
 * process's environment, so every spawn that passes `process.env` on inherits it, and a real
 * folder rather than `off`, so every suite also runs the log file's code (instances sharing a
 * folder take its slots, as on a cloud PC).
 */
export const TEST_LOG_DIR = (() => {
  const given = process.env.ENTRY_HW_LOG_DIR;
  if (given) return given;
  const made = mkdtempSync(join(tmpdir(), 'entry-hw-test-logs-'));
  process.env.ENTRY_HW_LOG_DIR = made;
  process.on('exit', () => rmSync(made, { recursive: true, force: true }));
  return made;
})();

/** Asks the OS for a free loopback port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Ids of {@link ServerProcess.drain} requests so far (unique per test process). */
let drains = 0;

export interface SpawnOptions {
  port: number;
  /** Extra environment (ENTRY_HW_CERT_DIR, ENTRY_HW_SECRET, ...). */
  env?: Record<string, string | undefined>;
  /** Run as this OS user (uid and gid; the IPC channel stays the test's). Default: the test's. */
  user?: { uid: number; gid: number };
  /** Path of an executable to run instead of `node dist/main.cjs`. Default: ENTRY_HW_TEST_BIN. */
  bin?: string;
  /** Command-line arguments for the program (Entry HW passes none). */
  args?: string[];
  /** Whether to open an IPC channel (default true). Without it the program is a developer run. */
  ipc?: boolean;
  /** Label used in timeout errors. */
  name?: string;
  /** Give the program's stdout as a pipe the test reads or closes (`child.stdout`); stderr is inherited. */
  pipeStdout?: boolean;
  /** Discard the program's stdout/stderr instead of inheriting them (benchmarks with many instances). */
  quiet?: boolean;
  /** Also keep the program's stdout/stderr text in `output` (still echoed unless `quiet`). */
  captureOutput?: boolean;
  /**
   * Which messages to keep in `messages` (default all). A long soak reads `data` from the child's
   * 'message' event itself and keeps only the rest, so memory does not grow with the traffic.
   */
  record?: (message: ServerMessage) => boolean;
}

type Predicate<K extends ServerToParentKey> = (message: ServerMessage<K>) => boolean;

/** A running server process with the test playing its parent. */
export class ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly name: string;
  /** Every message the server sent to this parent, in order. */
  readonly messages: ServerMessage[] = [];
  /** stdout and stderr text, when spawned with `captureOutput`. */
  output = '';
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** With `captureOutput`: bytes written to stdout and stderr so far. */
  outputBytes = 0;

  constructor(options: SpawnOptions) {
    this.port = options.port;
    this.name = options.name ?? `server:${options.port}`;
    const bin = options.bin ?? process.env.ENTRY_HW_TEST_BIN;
    const command = bin ?? process.execPath;
    const args = [...(bin ? [] : [join(REPO_ROOT, 'dist', 'main.cjs')]), ...(options.args ?? [])];
    const ipc = options.ipc ?? true;
    const out = options.captureOutput ? 'pipe' : options.quiet ? 'ignore' : 'inherit';
    this.child = spawn(command, args, {
      stdio: [
        'ignore',
        options.pipeStdout ? 'pipe' : out,
        options.pipeStdout ? 'inherit' : out,
        ...(ipc ? (['ipc'] as const) : []),
      ],
      // The suites' instances stand for different students but all run as the test's one OS user,
      // which pairing by OS session would rightly read as one student: they pair by roomId only,
      // unless a test turns pairing on (the real-users tests run each instance as its own user).
      env: {
        ...process.env,
        ENTRY_HW_PORT: String(options.port),
        ENTRY_HW_SESSION_PAIRING: 'off',
        ...options.env,
      },
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    for (const [stream, echo] of [
      [options.pipeStdout ? null : this.child.stdout, process.stdout],
      [this.child.stderr, process.stderr],
    ] as const) {
      stream?.on('data', (chunk: Buffer) => {
        this.output += chunk.toString('utf8');
        this.outputBytes += chunk.length;
        if (!options.quiet) echo.write(chunk);
      });
    }
    const record = options.record ?? (() => true);
    this.child.on('message', (message: ServerMessage) => {
      if (record(message)) this.messages.push(message);
      for (const wake of [...this.waiters]) wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        for (const wake of [...this.waiters]) wake();
        resolve({ code, signal });
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a typed message over IPC. */
  send<K extends ParentToServerKey>(message: ParentMessage<K>): void {
    this.child.send(message);
  }

  /** Sends anything at all over IPC (for malformed-input tests). */
  sendRaw(message: unknown): void {
    this.child.send(message as never);
  }

  /** How many times `text` occurs in the captured output (see `captureOutput`). */
  outputCount(text: string): number {
    return this.output.split(text).length - 1;
  }

  /** Messages with the given key received so far. */
  all<K extends ServerToParentKey>(key: K): ServerMessage<K>[] {
    return this.messages.filter((m) => m.key === key) as ServerMessage<K>[];
  }

  /**
   * Waits for a message with `key` (matching `predicate`) that arrived at or after index `from`
   * (default: anywhere in the history).
   */
  waitFor<K extends ServerToParentKey>(
    key: K,
    predicate: Predicate<K> = () => true,
    { timeoutMs = 10_000, from = 0 }: { timeoutMs?: number; from?: number } = {},
  ): Promise<ServerMessage<K>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.messages.length; i += 1) {
          const m = this.messages[i] as ServerMessage;
          if (m.key === key && predicate(m as ServerMessage<K>)) {
            cleanup();
            resolve(m as ServerMessage<K>);
            return true;
          }
        }
        if (!this.alive) {
          cleanup();
          reject(new Error(`${this.name} exited while waiting for ${key}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = this.messages.map((m) => `${m.key}=${JSON.stringify(m.value)}`).join(', ');
        reject(new Error(`${this.name}: timed out waiting for ${key}; seen: ${seen.slice(0, 2000)}`));
      }, timeoutMs);
      const wake = () => void check();
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      this.waiters.add(wake);
      check();
    });
  }

  /** Sends `open` and waits until the role is known; returns the running mode. */
  async open(value: ParentMessage<'open'>['value'] = 'production'): Promise<number> {
    const from = this.messages.length;
    this.send({ key: 'open', value });
    const mode = await this.waitFor('runningModeChanged', () => true, { from, timeoutMs: 15_000 });
    return mode.value;
  }

  /**
   * Resolves once every message the server sent before it read this call's request has arrived:
   * an `encrypt` request with a fresh id, answered over the same ordered IPC channel. A barrier,
   * not a wait: after it, a message the server emitted earlier is in `messages` or was never sent.
   */
  async drain(timeoutMs = 10_000): Promise<void> {
    drains += 1;
    const id = `drain-${process.pid}-${drains}`;
    const from = this.messages.length;
    this.sendRaw({ key: 'encrypt', value: '', id });
    await this.waitFor('encrypt', (m) => m.id === id, { from, timeoutMs });
  }

  /** Freezes the process (SIGSTOP): it runs no code, its sockets stay open, its peers see nothing. */
  freeze(): void {
    if (this.alive) this.child.kill('SIGSTOP');
  }

  /** Lets a frozen process run again (SIGCONT). */
  thaw(): void {
    if (this.alive) this.child.kill('SIGCONT');
  }

  /** Closes the IPC channel as if the parent app went away. */
  disconnectParent(): void {
    if (this.child.connected) this.child.disconnect();
  }

  /** Stops the process (SIGTERM, then SIGKILL after a grace period) and waits for exit. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function spawnServer(options: SpawnOptions): ServerProcess {
  return new ServerProcess(options);
}
