// The "recent problems" of the diagnostics page (issue 9): a ring buffer of the last 50 warnings
// and errors, fed by wrapping the program's logger. Every line is scrubbed of personal facts and
// truncated when it is recorded, so attacker-supplied text (an origin, an event name) is bounded.
import type { Logger } from '../util/log';
import { localPrivateFacts, MAX_TEXT_CHARS, scrubText, truncate } from './mask';

/** How many problems the page and the bundle show. */
export const MAX_PROBLEMS = 50;

export interface Problem {
  /** ISO time. */
  at: string;
  level: 'warning' | 'error';
  text: string;
}

export interface ProblemLogOptions {
  /** Removes personal facts from a line. Default: mask.ts scrubText with this PC's facts, no roomIds. */
  scrub?: (text: string) => string;
  capacity?: number;
  now?: () => Date;
}

/**
 * Bounded record of recent warnings and errors, oldest dropped first.
 *
 * @example
 * const problems = new ProblemLog();
 * problems.add('warning', 'refused a handshake: origin https://evil.example is not allowed');
 * problems.list(); // [{ at: '2026-…', level: 'warning', text: 'refused a handshake: …' }]
 */
export class ProblemLog {
  private readonly entries: Problem[] = [];
  private readonly capacity: number;
  private readonly now: () => Date;
  private scrub: (text: string) => string;

  constructor(options: ProblemLogOptions = {}) {
    this.capacity = options.capacity ?? MAX_PROBLEMS;
    this.now = options.now ?? (() => new Date());
    if (options.scrub) {
      this.scrub = options.scrub;
    } else {
      const facts = { ...localPrivateFacts(), roomIds: [] };
      this.scrub = (text) => scrubText(text, facts);
    }
  }

  /** Replaces the scrubber (the server sets one that knows its rooms). */
  setScrubber(scrub: (text: string) => string): void {
    this.scrub = scrub;
  }

  add(level: Problem['level'], text: string): void {
    let clean: string;
    try {
      // Truncate before and after scrubbing: a huge line costs nothing, and masks never lengthen it much.
      clean = truncate(this.scrub(truncate(String(text), MAX_TEXT_CHARS * 2)), MAX_TEXT_CHARS);
    } catch {
      clean = '(unreadable log line)';
    }
    this.entries.push({ at: this.now().toISOString(), level, text: clean });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Oldest first. */
  list(): Problem[] {
    return this.entries.slice();
  }
}

/**
 * A logger that records its warnings and errors in `problems` and passes everything on to
 * `inner` unchanged. `warnOnce` records only the first time a key is seen, like it logs.
 *
 * @example
 * const logger = recordProblems(createLogger(), problems);
 * logger.warn('the certificate expires in 12 days'); // printed and recorded
 */
export function recordProblems(inner: Logger, problems: ProblemLog): Logger {
  const seen = new Set<string>();
  return {
    info: (message) => inner.info(message),
    warn: (message) => {
      problems.add('warning', message);
      inner.warn(message);
    },
    error: (message) => {
      problems.add('error', message);
      inner.error(message);
    },
    warnOnce: (key, message) => {
      if (!seen.has(key)) {
        if (seen.size > 1000) seen.clear();
        seen.add(key);
        problems.add('warning', message);
      }
      inner.warnOnce(key, message);
    },
  };
}
