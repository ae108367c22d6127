// One logger for the whole program. Output goes to stdout/stderr, which Entry HW inherits into
// its own log, so every line carries a short prefix. `once` keeps repeated conditions to one line.

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Logs `message` at warn level only the first time `key` is seen. */
  warnOnce(key: string, message: string): void;
}

const PREFIX = '[entry-hw-server]';

/**
 * Creates a logger; `silent` drops info lines (warnings and errors always print).
 *
 * @example
 * const log = createLogger();
 * log.warnOnce(`origin:${origin}`, `refused origin ${origin}`);
 */
export function createLogger({ silent = false }: { silent?: boolean } = {}): Logger {
  const seen = new Set<string>();
  const logger: Logger = {
    info: (message) => {
      if (!silent) console.log(`${PREFIX} ${message}`);
    },
    warn: (message) => console.warn(`${PREFIX} warning: ${message}`),
    error: (message) => console.error(`${PREFIX} error: ${message}`),
    warnOnce: (key, message) => {
      if (seen.has(key)) return;
      if (seen.size > 1000) seen.clear(); // bounded: a hostile page cannot grow this forever
      seen.add(key);
      logger.warn(message);
    },
  };
  return logger;
}
