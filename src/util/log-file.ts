// The log file: every line the logger writes, with its time, in a bounded,
// rotating file a help desk can find. One instance owns a "slot" of two files (the current one
// and the one before, each at most MAX_FILE_BYTES); the first instance in a folder takes slot 1
// (`entry-hw-server.log`, `entry-hw-server.1.log`), more copies in the same folder (several
// servers of one user) take slots 2… (`entry-hw-server-2.log`…), up to MAX_SLOTS, so a folder
// never holds more than MAX_SLOTS × 2 × MAX_FILE_BYTES. A slot is held by a lock file naming the
// process; a lock whose process is gone is taken over.
// Writing never stops the server: writes are small synchronous appends (docs/BENCHMARKS.md, "log
// file"), and any error (a full disk, a read-only or deleted folder) closes the file, counts the
// lines lost and tries again after RETRY_MS.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';

/** Largest size of one file; the current file is renamed to the previous one beyond it. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Most instances writing files in one folder; more run without a file. */
export const MAX_SLOTS = 4;
/** After an error, how long the file stays closed before the next try; also how often the path is checked. */
export const RETRY_MS = 30_000;
/** Most lines {@link LogFile.tail} returns. */
export const MAX_TAIL_LINES = 1000;

/** The file operations the log file uses: node:fs, or a test's wrapper that fails on demand. */
export type LogFs = Pick<
  typeof nodeFs,
  | 'mkdirSync'
  | 'openSync'
  | 'writeSync'
  | 'readSync'
  | 'closeSync'
  | 'fstatSync'
  | 'statSync'
  | 'renameSync'
  | 'readFileSync'
  | 'writeFileSync'
  | 'unlinkSync'
>;

export interface LogFileOptions {
  /** The folder; created when missing. */
  directory: string;
  /** Largest size of one file (tests). */
  maxFileBytes?: number;
  fs?: LogFs;
  now?: () => number;
  pid?: number;
  /** Whether a process is alive (a lock's owner). Default: signal 0. */
  isAlive?: (pid: number) => boolean;
  /** Told once per error spell (never through the file): what failed, and that it will retry. */
  onError?: (message: string) => void;
}

/** The names of a slot's files. */
export function slotFiles(
  directory: string,
  slot: number,
): { current: string; previous: string; lock: string } {
  const base = slot === 1 ? 'entry-hw-server' : `entry-hw-server-${slot}`;
  return {
    current: join(directory, `${base}.log`),
    previous: join(directory, `${base}.1.log`),
    lock: join(directory, `${base}.lock`),
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? String((error as Error)?.message ?? error).slice(0, 80);
}

/**
 * What the server shows of the program's log file (/status, the diagnostics page and bundle):
 * {@link LogFile} is one; an embedder may pass its own or none.
 */
export interface LogFileView {
  /** The file being written, or undefined when none is. */
  readonly path: string | undefined;
  /** Why it is not being written right now, or undefined. */
  readonly problem: string | undefined;
  /** The last lines, oldest first. */
  tail(lines: number): string[];
}

/**
 * A bounded, rotating log file. Never throws from {@link write} or {@link tail}.
 *
 * @example
 * const file = LogFile.open({ directory: '/home/kim/.local/state/entry-hw-server' });
 * file.write('[entry-hw-server] warning: …');
 * file.path;     // '/home/kim/.local/state/entry-hw-server/entry-hw-server.log'
 * file.tail(50); // the last 50 lines, oldest first
 */
export class LogFile {
  readonly directory: string;
  /** The slot this instance holds (0: none, every slot was taken). */
  readonly slot: number;
  private readonly files: ReturnType<typeof slotFiles> | undefined;
  private readonly fs: LogFs;
  private readonly now: () => number;
  private readonly pid: number;
  private readonly maxFileBytes: number;
  private readonly onError: (message: string) => void;
  private fd: number | undefined;
  private size = 0;
  /** While closed after an error: when to try again, the error, and the lines lost. */
  private retryAt = 0;
  private failure: string | undefined;
  private lost = 0;
  /** The error that lost the lines counted in `lost`. */
  private lostReason = '';
  /** The last failure told to onError. */
  private reported: string | undefined;
  /** When to check next that the path is still the open file (a deleted folder, a rename). */
  private checkAt = 0;
  private closed = false;

  private constructor(options: LogFileOptions, slot: number) {
    this.directory = options.directory;
    this.fs = options.fs ?? nodeFs;
    this.now = options.now ?? Date.now;
    this.pid = options.pid ?? process.pid;
    this.maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
    this.onError = options.onError ?? (() => {});
    this.slot = slot;
    this.files = slot > 0 ? slotFiles(options.directory, slot) : undefined;
  }

  /**
   * Takes the first free slot in `directory` and opens its file. Without one (every slot held
   * by a live process, or the folder cannot be made) the instance runs without a file; a folder
   * that fails now is tried again after RETRY_MS.
   */
  static open(options: LogFileOptions): LogFile {
    const fs = options.fs ?? nodeFs;
    const pid = options.pid ?? process.pid;
    const isAlive = options.isAlive ?? processAlive;
    let slot = 1; // when the folder cannot be made now, slot 1 is tried again later
    try {
      fs.mkdirSync(options.directory, { recursive: true, mode: 0o700 });
      slot = takeSlot(fs, options.directory, pid, isAlive);
    } catch {
      // reported by the first write's open below
    }
    const file = new LogFile(options, slot);
    if (slot === 0) {
      file.failure = `${MAX_SLOTS} other servers already write logs in ${options.directory}`;
      file.onError(`no log file: ${file.failure}`);
    } else {
      file.reopen();
    }
    return file;
  }

  /** The current file, or undefined when there is none (no slot, closed). */
  get path(): string | undefined {
    return this.closed ? undefined : this.files?.current;
  }

  /** Why the file is not written now (undefined while it is). */
  get problem(): string | undefined {
    return this.fd === undefined ? (this.failure ?? 'closed') : undefined;
  }

  /** Appends one line with its time (ISO, UTC). Never throws; never blocks beyond one small write. */
  write(line: string): void {
    if (!this.files || this.closed) return;
    const t = this.now();
    if (this.fd === undefined) {
      if (t < this.retryAt || !this.reopen()) {
        this.lost += 1;
        return;
      }
    } else if (t >= this.checkAt) {
      this.checkPath(t);
      if (this.fd === undefined) {
        this.lost += 1;
        return;
      }
    }
    const stamp = new Date(t).toISOString();
    if (this.lost > 0) {
      const lost = this.lost;
      this.lost = 0;
      const said = this.append(
        `${stamp} [entry-hw-server] warning: ${lost} lines were not written to this file (${this.lostReason})\n`,
      );
      if (!said) {
        this.lost = lost + 1;
        return;
      }
    }
    if (!this.append(`${stamp} ${line}\n`)) this.lost += 1;
  }

  /**
   * The last `lines` lines of this instance's files (the previous file, then the current one),
   * oldest first; [] when there are none. Reads from the end, at most 2 × MAX_FILE_BYTES.
   */
  tail(lines: number): string[] {
    const wanted = Math.max(0, Math.min(Math.floor(lines), MAX_TAIL_LINES));
    if (!this.files || wanted === 0) return [];
    const current = readLastLines(this.fs, this.files.current, wanted);
    if (current.length >= wanted) return current;
    const previous = readLastLines(this.fs, this.files.previous, wanted - current.length);
    return [...previous, ...current];
  }

  /** Closes the file and gives the slot back (at exit). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeFd();
    if (!this.files) return;
    try {
      if (this.fs.readFileSync(this.files.lock, 'utf8').trim() === String(this.pid))
        this.fs.unlinkSync(this.files.lock);
    } catch {
      // gone already: nothing to give back
    }
  }

  /** Writes `text` (rotating first when it would pass the bound); false when it was lost. */
  private append(text: string): boolean {
    try {
      const bytes = Buffer.from(text, 'utf8');
      if (this.size > 0 && this.size + bytes.length > this.maxFileBytes) this.rotate();
      if (this.fd === undefined) return false;
      for (let done = 0; done < bytes.length; ) {
        const written = this.fs.writeSync(this.fd, bytes, done);
        done += written;
        this.size += written;
      }
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /** The current file becomes the previous one (replacing it); a new current file is opened. */
  private rotate(): void {
    const files = this.files as NonNullable<typeof this.files>;
    this.closeFd();
    this.fs.renameSync(files.current, files.previous);
    this.openCurrent();
  }

  /** Opens (or creates) the folder and the current file after a start or an error. */
  private reopen(): boolean {
    try {
      this.fs.mkdirSync(this.directory, { recursive: true, mode: 0o700 });
      this.openCurrent();
      if (this.failure !== undefined) this.lostReason = this.failure;
      this.failure = undefined;
      // A deleted folder took the lock with it: put it back so another copy does not take the slot.
      const lock = (this.files as NonNullable<typeof this.files>).lock;
      try {
        this.fs.writeFileSync(lock, `${this.pid}\n`, { flag: 'wx', mode: 0o600 });
      } catch {
        // it is there (ours, normally)
      }
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  private openCurrent(): void {
    const path = (this.files as NonNullable<typeof this.files>).current;
    this.fd = this.fs.openSync(path, 'a', 0o600);
    this.size = this.fs.fstatSync(this.fd).size;
    this.checkAt = this.now() + RETRY_MS;
  }

  /** Reopens the file when its path no longer leads to it (folder deleted, file moved away). */
  private checkPath(t: number): void {
    this.checkAt = t + RETRY_MS;
    try {
      const open = this.fs.fstatSync(this.fd as number);
      const named = this.fs.statSync((this.files as NonNullable<typeof this.files>).current);
      if (open.ino === named.ino && open.dev === named.dev) return;
    } catch {
      // the path is gone
    }
    this.closeFd();
    this.reopen();
  }

  private fail(error: unknown): void {
    this.closeFd();
    this.retryAt = this.now() + RETRY_MS;
    this.failure = `${errorCode(error)} on ${this.files?.current ?? this.directory}`;
    // Once per kind of failure: a folder that stays read-only is not said every RETRY_MS.
    if (this.failure === this.reported) return;
    this.reported = this.failure;
    this.onError(`cannot write the log file (${this.failure}); trying again every ${RETRY_MS / 1000} s`);
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      this.fs.closeSync(fd);
    } catch {
      // nothing more to do with it
    }
  }
}

/**
 * Takes the first slot whose lock is free or held by a process that is gone; 0 when none is.
 * The lock is created exclusively, so two starting copies never take the same free slot.
 */
function takeSlot(fs: LogFs, directory: string, pid: number, isAlive: (pid: number) => boolean): number {
  for (let slot = 1; slot <= MAX_SLOTS; slot += 1) {
    const { lock } = slotFiles(directory, slot);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        fs.writeFileSync(lock, `${pid}\n`, { flag: 'wx', mode: 0o600 });
        return slot;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let owner = Number.NaN;
      try {
        owner = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
      } catch {
        // vanished meanwhile: try again
      }
      if (Number.isInteger(owner) && owner > 0 && owner !== pid && isAlive(owner)) break; // held
      try {
        fs.unlinkSync(lock); // its process is gone (or it is unreadable): take it over
      } catch {
        // someone else took it over first; the exclusive create decides
      }
    }
  }
  return 0;
}

/** Reads at most this much from the end of a file per step. */
const CHUNK_BYTES = 64 * 1024;

/** The last `count` lines of a file, oldest first ([] when it cannot be read). */
function readLastLines(fs: LogFs, path: string, count: number): string[] {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'r');
    const size = fs.fstatSync(fd).size;
    let start = size;
    let text = '';
    // Enough lines, or the whole file (bounded by its size, MAX_FILE_BYTES and a little).
    while (start > 0 && text.split('\n').length <= count + 1) {
      const length = Math.min(CHUNK_BYTES, start);
      start -= length;
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, start);
      text = buffer.toString('latin1') + text;
    }
    const lines = Buffer.from(text, 'latin1').toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (start > 0) lines.shift(); // the first may be cut
    return lines.slice(-count);
  } catch {
    return [];
  } finally {
    if (fd !== undefined)
      try {
        fs.closeSync(fd);
      } catch {
        // ignore
      }
  }
}
