// The "recent problems" of the diagnostics page: the last 50 warnings and errors, fed by
// wrapping the program's logger, and apart from them the refused outside input, counted by kind:
// a flood of refused Hosts or Origins is one counted row and can never push the
// genuine problems (claims, the connection cap, the certificate, unserved rooms, the port's
// holder) out of the list. A line repeated is one entry with a count. Every line is scrubbed of
// personal facts and truncated, so attacker-supplied text (an origin, an event name) is bounded.
import { type Logger, REFUSAL_KINDS, type RefusalKind } from '../util/log';
import { localPrivateFacts, MAX_TEXT_CHARS, scrubText, truncate } from './mask';

/** How many problems the page and the bundle show. */
export const MAX_PROBLEMS = 50;

export interface Problem {
  /** ISO time of the last occurrence. */
  at: string;
  level: 'warning' | 'error';
  text: string;
  /** How many times this line was recorded (1 when it came once). */
  count: number;
}

/** Refusals of one kind since the process started. */
export interface RefusalCount {
  kind: RefusalKind;
  count: number;
  /** ISO time of the last one. */
  lastAt: string;
  /** The first and the latest one's detail, scrubbed and truncated. */
  first: string;
  latest: string;
}

/** Everything refused, for the page's one counted row. */
export interface Refusals {
  total: number;
  /** Kinds that occurred, most recent first. */
  kinds: RefusalCount[];
}

/** Longest detail kept for a refusal (before scrubbing, which happens when the list is read). */
const MAX_REFUSAL_DETAIL = 300;

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
  private readonly refused = new Map<
    RefusalKind,
    { count: number; lastMs: number; first: string; latest: string }
  >();
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
    const at = this.now().toISOString();
    // The same line again is one entry, moved to the end: a repeated warning cannot push others out.
    const same = this.entries.findIndex((p) => p.level === level && p.text === clean);
    const count = same === -1 ? 1 : (this.entries[same] as Problem).count + 1;
    if (same !== -1) this.entries.splice(same, 1);
    this.entries.push({ at, level, text: clean, count });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /**
   * Counts one refused piece of outside input. Costs a map update: the detail is scrubbed only
   * when the list is read, so a flood of refusals costs next to nothing here.
   */
  addRefusal(kind: RefusalKind, detail: string): void {
    const text = String(detail).slice(0, MAX_REFUSAL_DETAIL);
    const known = this.refused.get(kind);
    const lastMs = this.now().getTime();
    if (known) {
      known.count += 1;
      known.lastMs = lastMs;
      known.latest = text;
    } else this.refused.set(kind, { count: 1, lastMs, first: text, latest: text });
  }

  /** Oldest first. */
  list(): Problem[] {
    return this.entries.map((p) => ({ ...p }));
  }

  /** The refusals by kind, most recent first, with scrubbed details. */
  refusals(): Refusals {
    const kinds: RefusalCount[] = [];
    let total = 0;
    for (const kind of REFUSAL_KINDS) {
      const known = this.refused.get(kind);
      if (!known) continue;
      total += known.count;
      kinds.push({
        kind,
        count: known.count,
        lastAt: new Date(known.lastMs).toISOString(),
        first: this.clean(known.first),
        latest: this.clean(known.latest),
      });
    }
    kinds.sort((a, b) => b.lastAt.localeCompare(a.lastAt));
    return { total, kinds };
  }

  private clean(text: string): string {
    try {
      return truncate(this.scrub(text), MAX_TEXT_CHARS);
    } catch {
      return '(unreadable)';
    }
  }
}

/**
 * A logger that records its warnings and errors in `problems` and passes everything on to
 * `inner` unchanged. `warnOnce` records only the first time a key is seen; refusals are counted
 * apart from the problems.
 *
 * @example
 * const logger = recordProblems(createLogger(), problems);
 * logger.warn('the certificate expires in 12 days'); // printed and recorded
 */
export function recordProblems(inner: Logger, problems: ProblemLog): Logger {
  const seen = new Set<string>();
  return {
    info: (message) => inner.info(message),
    refused: (kind, detail) => {
      problems.addRefusal(kind, detail);
      inner.refused(kind, detail);
    },
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
