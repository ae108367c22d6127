// The console half of the logger's output: info lines to stdout, warnings
// and errors to stderr, where Entry HW reads them. A stream that fails (a closed pipe: EPIPE,
// `node dist/main.cjs | head`; a parent that went away) is never written again and its error
// never reaches the fatal path: the server goes on, and the first failure is told once
// (to the log file, by the caller).

type Stream = Pick<NodeJS.WritableStream, 'write' | 'on'>;

export interface ConsoleOutputOptions {
  stdout?: Stream;
  stderr?: Stream;
  /** Told once per stream, at its first failure. */
  onBroken?: (stream: 'stdout' | 'stderr', error: unknown) => void;
}

/**
 * Writes log lines to stdout/stderr and survives their failure.
 *
 * @example
 * const output = new ConsoleOutput({ onBroken: (name, e) => file.write(`${name} failed: ${e}`) });
 * output.write('warn', '[entry-hw-server] warning: …');
 */
export class ConsoleOutput {
  private readonly broken = new Set<'stdout' | 'stderr'>();
  private readonly streams: Record<'stdout' | 'stderr', Stream>;
  private readonly onBroken: NonNullable<ConsoleOutputOptions['onBroken']>;

  constructor({
    stdout = process.stdout,
    stderr = process.stderr,
    onBroken = () => {},
  }: ConsoleOutputOptions = {}) {
    this.streams = { stdout, stderr };
    this.onBroken = onBroken;
    // Listening is what keeps an asynchronous EPIPE from becoming an uncaught exception.
    stdout.on('error', (error: unknown) => this.fail('stdout', error));
    stderr.on('error', (error: unknown) => this.fail('stderr', error));
  }

  /** Whether a stream has failed (it is no longer written). */
  isBroken(stream: 'stdout' | 'stderr'): boolean {
    return this.broken.has(stream);
  }

  write(level: 'info' | 'warn' | 'error', line: string): void {
    const name = level === 'info' ? 'stdout' : 'stderr';
    if (this.broken.has(name)) return;
    try {
      this.streams[name].write(`${line}\n`);
    } catch (error) {
      this.fail(name, error);
    }
  }

  private fail(name: 'stdout' | 'stderr', error: unknown): void {
    if (this.broken.has(name)) return;
    this.broken.add(name);
    this.onBroken(name, error);
  }
}
