// One logger for the whole program. Output goes to stdout/stderr, which Entry HW inherits into
// its own log, so every line carries a short prefix. Text that comes from outside (origins,
// hosts, event names, roomIds) is clipped with {@link clip}; every line is capped and control
// characters escaped, and warnings/errors share one global rate limit. Refusals of outside
// input (a foreign Host or Origin, a failed TLS handshake, an unknown event…) never go through
// that budget: they are counted by kind and summarised, one line per kind per interval, so a
// hostile page can neither flood the app's log nor bury a genuine warning.
// `warnOnce` keeps repeated conditions to one line, and a key counts as seen only once its line
// was written.

/**
 * Kinds of refused or ignored outside input. A fixed list: a flood is summarised per kind, never
 * one line per Host, Origin or event name.
 */
export const REFUSAL_KINDS = [
  /** A request naming a Host that is not this server (DNS rebinding, sprayed `*.localhost` names). */
  'host',
  /** A socket.io request from an origin that is not allowed, or polling without one. */
  'origin',
  /** JSONP polling. */
  'jsonp',
  /** A request the HTTP parser or the socket.io URL parser could not read. */
  'bad-request',
  /** A refused socket.io handshake (a peer over polling or with an Origin, …). */
  'handshake',
  /** A failed TLS handshake. */
  'tls',
  /** A connection that sent nothing, or did not complete a request, in time. */
  'slow',
  /** An anonymous connection closed to keep slots for Entry pages and peers. */
  'slots',
  /** A message larger than its kind of connection may send. */
  'size',
  /** A large message refused because too many bytes are already in flight. */
  'memory',
  /** An unknown socket.io event from a browser or a peer. */
  'event',
  /** A peer's room claim refused for how many it made. */
  'claims',
] as const;

export type RefusalKind = (typeof REFUSAL_KINDS)[number];

/** Words for each kind, in the log line and the diagnostics page's English text. */
export const REFUSAL_LABELS: Record<RefusalKind, string> = {
  host: 'requests naming another host',
  origin: 'socket.io requests from an origin that is not allowed',
  jsonp: 'JSONP polling requests',
  'bad-request': 'unreadable requests',
  handshake: 'refused socket.io handshakes',
  tls: 'failed TLS handshakes',
  slow: 'connections that sent no complete request in time',
  slots: 'anonymous connections closed to keep slots for Entry pages and peers',
  size: 'messages over the size limit',
  memory: 'large messages (too many bytes in flight)',
  event: 'unknown socket.io events',
  claims: 'room claims beyond what one connection may make',
};

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /**
   * Logs `message` at warn level the first time `key` is seen. A line the rate limit drops does
   * not count: the next call with that key tries again.
   */
  warnOnce(key: string, message: string): void;
  /**
   * Outside input refused or ignored: the first of a kind is logged with `detail`, the rest of
   * the interval are counted and summarised in one line. Never uses the warnings' budget.
   */
  refused(kind: RefusalKind, detail: string): void;
}

const PREFIX = '[entry-hw-server]';
/** Longest warning line (after the prefix); errors may be longer (stack traces), up to {@link MAX_ERROR_CHARS}. */
export const MAX_WARNING_CHARS = 400;
export const MAX_ERROR_CHARS = 4000;
/** Global budget: at most this many warnings and errors per window; the rest are counted and summarised. */
export const WARNINGS_PER_WINDOW = 30;
export const WARNING_WINDOW_MS = 10_000;
/** Refusals of one kind are summarised once per this interval. */
export const REFUSAL_WINDOW_MS = 10_000;
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
  /** Runs `fn` after `ms` (tests); default an unref'd setTimeout. */
  schedule?: (fn: () => void, ms: number) => void;
}

const unrefTimeout: NonNullable<LoggerOptions['schedule']> = (fn, ms) => {
  setTimeout(fn, ms).unref();
};

/** Refusals of one kind in the open interval. */
interface RefusalWindow {
  /** Counted since the last line about this kind. */
  count: number;
  latest: string;
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
  schedule = unrefTimeout,
}: LoggerOptions = {}): Logger {
  const seen = new Set<string>();
  const refusals = new Map<RefusalKind, RefusalWindow>();
  /**
   * Ends a kind's interval: writes the summary of what was counted and keeps the interval open
   * for one more period, or closes it when nothing came (the next refusal is logged at once).
   */
  const endInterval = (kind: RefusalKind): void => {
    const open = refusals.get(kind);
    if (!open) return;
    if (open.count === 0) {
      refusals.delete(kind);
      return;
    }
    write(
      'warn',
      `${PREFIX} refused ${open.count} more ${REFUSAL_LABELS[kind]} in the last ${REFUSAL_WINDOW_MS / 1000} s (latest: ${sanitize(open.latest, MAX_WARNING_CHARS / 2)})`,
    );
    open.count = 0;
    schedule(() => endInterval(kind), REFUSAL_WINDOW_MS);
  };
  let windowStart = -Infinity;
  let used = 0;
  let suppressed = 0;
  /**
   * True when one more warning/error may print now; opens a new window when the old one is over.
   * A dropped line is counted for the summary unless it will be tried again (`retried`).
   */
  const admit = (retried = false): boolean => {
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
      if (!retried) suppressed += 1;
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
      // Not admitted: the key stays unseen, so the condition is logged once the budget reopens.
      if (!admit(true)) return;
      if (seen.size >= MAX_KEYS) seen.clear(); // bounded: outside text cannot grow this forever
      seen.add(k);
      write('warn', `${PREFIX} warning: ${sanitize(message, MAX_WARNING_CHARS)}`);
    },
    refused: (kind, detail) => {
      const open = refusals.get(kind);
      if (open) {
        open.count += 1;
        open.latest = detail.length > MAX_WARNING_CHARS ? detail.slice(0, MAX_WARNING_CHARS) : detail;
        return;
      }
      refusals.set(kind, { count: 0, latest: '' });
      write('warn', `${PREFIX} refused ${REFUSAL_LABELS[kind]}: ${sanitize(detail, MAX_WARNING_CHARS)}`);
      schedule(() => endInterval(kind), REFUSAL_WINDOW_MS);
    },
  };
  return logger;
}
