// The test's side of parent-relay.cjs: starts the relay (the parent app) with a given Node, on a
// given platform (this one, or Windows under Wine), and offers what the tests need of a parent:
// every message the executable sent, waiting for one, sending, and the ways a parent goes away.
// The relay's output and the executable's (inherited) go to a log file: Wine's node.exe cannot
// write to a Linux pipe (EBADF), and the file stays readable after both have exited.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type {
  ParentMessage,
  ParentToServerKey,
  ServerMessage,
  ServerToParentKey,
} from '../../src/ipc/messages';

/** The relay script, run by the parent's Node. */
export const RELAY_SCRIPT = join(__dirname, 'parent-relay.cjs');

/** How to run the relay (the parent app) and how it names this machine's paths. */
export interface ParentRunner {
  /** For test names and messages, e.g. 'node.exe 22.23.2 under Wine 8'. */
  label: string;
  /** The command line that runs `script` with the parent's Node. */
  command(script: string): { command: string; args: string[] };
  /** A path of this machine as the parent's Node names it (Wine: `Z:\...`). */
  path(linuxPath: string): string;
  /** The relay's environment, from the instance's. */
  env(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

/** The program under test: an executable, or a Node with the bundle. Paths of this machine. */
export interface ProgramUnderTest {
  command: string;
  /** Paths only (each is converted with the runner's `path`). */
  args: string[];
}

export interface RelayedParentOptions {
  runner: ParentRunner;
  program: ProgramUnderTest;
  port: number;
  name: string;
  logDir: string;
  /** Extra environment for the program (ENTRY_HW_CERT_DIR, ENTRY_HW_SECRET; undefined removes). */
  env?: Record<string, string | undefined>;
}

type RelayEvent =
  | { ev: 'spawned'; pid: number }
  | { ev: 'message'; message: ServerMessage }
  | { ev: 'channel-closed' }
  | { ev: 'exit'; code: number | null; signal: string | null }
  | { ev: 'error'; message: string };

/** One instance of the program, with the relay as its parent and the test behind the relay. */
export class RelayedParent {
  readonly name: string;
  readonly port: number;
  readonly logFile: string;
  /** Every message the program sent its parent, in order. */
  readonly messages: ServerMessage[] = [];
  /** Relay errors (a failed spawn, a send after the channel closed). */
  readonly errors: string[] = [];
  /** The program's exit as the relay saw it (never set once the relay itself has quit). */
  exit: { code: number | null; signal: string | null } | undefined;
  /** Whether the relay said the IPC channel closed. */
  channelClosed = false;
  private readonly relay: ChildProcess;
  private readonly relayExited: Promise<void>;
  private socket: Socket | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(options: RelayedParentOptions, connected: Promise<Socket>) {
    this.name = options.name;
    this.port = options.port;
    mkdirSync(options.logDir, { recursive: true });
    this.logFile = join(options.logDir, `${options.name}.log`);
    const log = openSync(this.logFile, 'w');
    const { runner, program } = options;
    const { command, args } = runner.command(runner.path(RELAY_SCRIPT));
    // The scenarios' instances stand for different students but run as the test's one OS user:
    // they pair by roomId only, as in harness/server-process.ts.
    const env = runner.env({
      ...process.env,
      ENTRY_HW_PORT: String(options.port),
      ENTRY_HW_SESSION_PAIRING: 'off',
      ...options.env,
    });
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
    this.relay = spawn(command, [...args, runner.path(program.command), ...program.args.map(runner.path)], {
      stdio: ['ignore', log, log],
      env,
    });
    closeSync(log);
    this.relayExited = once(this.relay, 'exit').then(() => this.wake());
    void connected.then((socket) => this.attach(socket));
  }

  /**
   * Starts the relay, which spawns the program; resolves once the program is running.
   *
   * @example
   * const parent = await RelayedParent.start({ runner, program, port, name: 'A', logDir });
   * await parent.open(); // 2
   */
  static async start(options: RelayedParentOptions): Promise<RelayedParent> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const connected = once(server, 'connection').then(([socket]) => {
      server.close();
      return socket as Socket;
    });
    // The relay learns the test's port from its first argument.
    const relayOptions = { ...options, runner: withTestPort(options.runner, address.port) };
    const parent = new RelayedParent(relayOptions, connected);
    try {
      await parent.until('the program to start', () => parent.spawned, 30_000);
    } catch (error) {
      server.close();
      await parent.stop();
      throw error;
    }
    return parent;
  }

  private spawned = false;

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    let pending = '';
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
        this.onEvent(JSON.parse(pending.slice(0, end)) as RelayEvent);
        pending = pending.slice(end + 1);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.wake());
  }

  private onEvent(event: RelayEvent): void {
    if (event.ev === 'spawned') this.spawned = true;
    else if (event.ev === 'message') this.messages.push(event.message);
    else if (event.ev === 'channel-closed') this.channelClosed = true;
    else if (event.ev === 'exit') this.exit = { code: event.code, signal: event.signal };
    else this.errors.push(event.message);
    this.wake();
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Whether the relay (the parent app) is still running. */
  get relayAlive(): boolean {
    return this.relay.exitCode === null && this.relay.signalCode === null;
  }

  /** The relay's and the program's output so far. */
  output(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Resolves when `check` returns true; rejects with what was seen after `timeoutMs`. */
  until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const attempt = (): void => {
        let done: boolean;
        try {
          done = check();
        } catch (error) {
          cleanup();
          reject(error);
          return;
        }
        if (done) {
          cleanup();
          resolve();
        } else if (!this.relayAlive && !this.socket?.readable) {
          cleanup();
          reject(
            new Error(`${this.name}: the parent relay exited while waiting for ${what}\n${this.describe()}`),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`),
        );
      }, timeoutMs);
      const poll = setInterval(attempt, 100);
      const cleanup = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters.delete(attempt);
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  /** What this parent has seen, for failure messages. */
  describe(): string {
    const seen = this.messages.map((m) => `${m.key}=${JSON.stringify(m.value)}`).join(', ');
    return (
      `messages: ${seen.slice(0, 1500)}\nexit: ${JSON.stringify(this.exit)}; relay errors: ${this.errors.join('; ')}\n` +
      `log (${this.logFile}):\n${this.output().slice(-3000)}`
    );
  }

  /** Sends a typed message over the program's IPC channel. */
  send<K extends ParentToServerKey>(message: ParentMessage<K>): void {
    this.sendRaw(message);
  }

  /** Sends any value over the IPC channel (encrypt/decrypt with an `id`). */
  sendRaw(message: unknown): void {
    this.command({ op: 'send', message });
  }

  private command(command: object): void {
    if (!this.socket) throw new Error(`${this.name}: the relay has not connected`);
    this.socket.write(`${JSON.stringify(command)}\n`);
  }

  /** Waits for a message with `key` matching `predicate`, at or after index `from`. */
  async waitFor<K extends ServerToParentKey>(
    key: K,
    predicate: (message: ServerMessage<K>) => boolean = () => true,
    { timeoutMs = 10_000, from = 0 }: { timeoutMs?: number; from?: number } = {},
  ): Promise<ServerMessage<K>> {
    let found: ServerMessage<K> | undefined;
    await this.until(
      `${key}`,
      () => {
        for (let i = from; i < this.messages.length; i += 1) {
          const m = this.messages[i] as ServerMessage;
          if (m.key === key && predicate(m as ServerMessage<K>)) {
            found = m as ServerMessage<K>;
            return true;
          }
        }
        if (this.exit)
          throw new Error(`${this.name}: the program exited while waiting for ${key}\n${this.describe()}`);
        return false;
      },
      timeoutMs,
    );
    return found as ServerMessage<K>;
  }

  /** Sends `open` and waits for the role; returns runningModeChanged's value. */
  async open(value: ParentMessage<'open'>['value'] = 'production', timeoutMs = 20_000): Promise<number> {
    const from = this.messages.length;
    this.send({ key: 'open', value });
    return (await this.waitFor('runningModeChanged', () => true, { from, timeoutMs })).value;
  }

  /** The parent closes the IPC channel and stays (the program must exit). */
  closeChannel(): void {
    this.command({ op: 'disconnect' });
  }

  /** The parent app quits at once, without a word to the program; resolves when it is gone. */
  async quit(): Promise<void> {
    if (this.relayAlive) this.command({ op: 'exit' });
    await this.relayExited;
  }

  /** Clean-up: kills the program if the relay can still reach it, then ends the relay. */
  async stop(): Promise<void> {
    if (this.relayAlive && this.socket && !this.exit) {
      this.command({ op: 'kill' });
      await this.until('the program to exit', () => this.exit !== undefined, 5000).catch(() => undefined);
    }
    this.socket?.destroy();
    if (this.relayAlive) {
      const timer = setTimeout(() => this.relay.kill('SIGKILL'), 5000);
      await this.relayExited;
      clearTimeout(timer);
    }
  }
}

/** The runner with the test's port put where the relay reads it (its first argument). */
function withTestPort(runner: ParentRunner, port: number): ParentRunner {
  return {
    ...runner,
    command(script) {
      const { command, args } = runner.command(script);
      return { command, args: [...args, String(port)] };
    },
  };
}
