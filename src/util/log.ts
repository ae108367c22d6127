// One logger for the whole program. Output goes to stdout/stderr, which Entry HW inherits into
// its own log, so every line carries a short prefix. Text that comes from outside (origins,
// hosts, event names, roomIds) is clipped with {@link clip}; every line is capped and control
// characters escaped, and warnings/errors share one global rate limit, so a hostile page cannot
// flood the app's log. `warnOnce` keeps repeated conditions to one line.

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Logs `message` at warn level only the first time `key` is seen. */
  warnOnce(key: string, message: string): void;
}

const PREFIX = '[entry-hw-server]';
/** Longest warning line (after the prefix); errors may be longer (stack traces), up to {@link MAX_ERROR_CHARS}. */
export const MAX_WARNING_CHARS = 400;
export const MAX_ERROR_CHARS = 4000;
/** Global budget: at most this many warnings and errors per window; the rest are counted and summarised. */
export const WARNINGS_PER_WINDOW = 30;
export const WARNING_WINDOW_MS = 10_000;
/** Longest key kept by warnOnce, and how many keys it remembers. */
const MAX_KEY_CHARS = 200;
const MAX_KEYS = 1000;

/**
 * Quotes text from outside for a log line: at most `max` characters, control characters escaped.
 *
 * @example
 * clip('https://evil.example/' + 'a'.repeat(2000)) // '"https://evil.example/aaaa…" (2021 chars)'
 */
export function clip(text: unknown, max = 80): string {
  const value = typeof text === 'string' ? text : String(text);
  const quoted = JSON.stringify(value.length > max ? value.slice(0, max) : value);
  return value.length > max ? `${quoted.slice(0, -1)}…" (${value.length} chars)` : quoted;
}

/**
 * Caps a line and escapes control characters, so text from outside cannot fake a log line.
 * Newlines survive only where asked (stack traces in errors).
 */
function sanitize(line: string, max: number, keepNewlines = false): string {
  const safe = line.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
    keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f]/g : /[\u0000-\u001f\u007f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return safe.length > max ? `${safe.slice(0, max)}… (${safe.length} chars)` : safe;
}

export interface LoggerOptions {
  /** Drop info lines (warnings and errors always print, within the rate limit). */
  silent?: boolean;
  /** Clock (tests). */
  now?: () => number;
  /** Where lines go (tests); default console.log / console.warn / console.error. */
  write?: (level: 'info' | 'warn' | 'error', line: string) => void;
}

const consoleWrite: NonNullable<LoggerOptions['write']> = (level, line) => {
  if (level === 'info') console.log(line);
  else if (level === 'warn') console.warn(line);
  else console.error(line);
};

/**
 * Creates a logger.
 *
 * @example
 * const log = createLogger();
 * log.warnOnce(`origin:${origin}`, `refused origin ${clip(origin)}`);
 */
export function createLogger({
  silent = false,
  now = Date.now,
  write = consoleWrite,
}: LoggerOptions = {}): Logger {
  const seen = new Set<string>();
  let windowStart = -Infinity;
  let used = 0;
  let suppressed = 0;
  /** True when one more warning/error may print now; opens a new window when the old one is over. */
  const admit = (): boolean => {
    const t = now();
    if (t - windowStart >= WARNING_WINDOW_MS) {
      if (suppressed > 0) {
        write('warn', `${PREFIX} warning: ${suppressed} more warnings were not logged (rate limit)`);
      }
      windowStart = t;
      used = 0;
      suppressed = 0;
    }
    if (used >= WARNINGS_PER_WINDOW) {
      suppressed += 1;
      return false;
    }
    used += 1;
    return true;
  };
  const logger: Logger = {
    info: (message) => {
      if (!silent) write('info', `${PREFIX} ${sanitize(message, MAX_ERROR_CHARS, true)}`);
    },
    warn: (message) => {
      if (admit()) write('warn', `${PREFIX} warning: ${sanitize(message, MAX_WARNING_CHARS)}`);
    },
    error: (message) => {
      if (admit()) write('error', `${PREFIX} error: ${sanitize(message, MAX_ERROR_CHARS, true)}`);
    },
    warnOnce: (key, message) => {
      const k = key.length > MAX_KEY_CHARS ? key.slice(0, MAX_KEY_CHARS) : key;
      if (seen.has(k)) return;
      if (seen.size >= MAX_KEYS) seen.clear(); // bounded: a hostile page cannot grow this forever
      seen.add(k);
      logger.warn(message);
    },
  };
  return logger;
}
