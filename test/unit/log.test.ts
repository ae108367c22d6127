// The logger bounds what attacker text can do to the app's log: lines are capped and escaped,
// warnings share one global rate limit, warnOnce keys are bounded. A warnOnce line the
// budget drops is tried again, and refusals are summarised per kind outside the budget.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clip,
  createLogger,
  MAX_WARNING_CHARS,
  REFUSAL_WINDOW_MS,
  WARNING_WINDOW_MS,
  WARNINGS_PER_WINDOW,
} from '../../src/util/log';

/** A logger on a fake clock whose timers run when the test advances the clock. */
function capture(now: () => number) {
  const lines: string[] = [];
  const timers: { at: number; fn: () => void }[] = [];
  const logger = createLogger({
    now,
    write: (_level, line) => lines.push(line),
    schedule: (fn, ms) => void timers.push({ at: now() + ms, fn }),
  });
  /** Runs the timers due by now, in order (a timer may schedule another). */
  const runTimers = () => {
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const due = timers[0];
      if (!due || due.at > now()) return;
      timers.shift();
      due.fn();
    }
  };
  return { lines, logger, runTimers };
}

describe('logger', () => {
  it('clips and quotes outside text', () => {
    assert.equal(clip('abc'), '"abc"');
    const long = clip('x'.repeat(2000));
    assert.ok(long.length < 120, long);
    assert.match(long, /\(2000 chars\)$/);
    assert.equal(clip('a\nb'), '"a\\nb"');
  });

  it('caps warning lines and escapes control characters', () => {
    const { lines, logger } = capture(() => 0);
    logger.warn(`refused ${'y'.repeat(5000)}`);
    logger.warn('line one\n[entry-hw-server] fake line');
    assert.equal(lines.length, 2);
    assert.ok((lines[0] as string).length < MAX_WARNING_CHARS + 100);
    assert.ok(!(lines[1] as string).includes('\n'));
  });

  it('rate-limits warnings globally and says how many it dropped', () => {
    let t = 0;
    const { lines, logger } = capture(() => t);
    for (let i = 0; i < 3000; i += 1) logger.warn(`warning ${i}`);
    assert.equal(lines.length, WARNINGS_PER_WINDOW);
    t += WARNING_WINDOW_MS;
    logger.warn('later');
    assert.match(lines[WARNINGS_PER_WINDOW] as string, /2970 more warnings were not logged/);
    assert.match(lines.at(-1) as string, /later/);
  });

  it('keeps warnOnce bounded for long keys', () => {
    const { lines, logger } = capture(() => 0);
    logger.warnOnce(`k${'z'.repeat(5000)}1`, 'first');
    logger.warnOnce(`k${'z'.repeat(5000)}2`, 'second (same clipped key)');
    assert.equal(lines.length, 1);
  });

  it('a warnOnce line the budget dropped is written once the budget reopens', () => {
    let t = 0;
    const { lines, logger } = capture(() => t);
    for (let i = 0; i < WARNINGS_PER_WINDOW; i += 1) logger.warn(`genuine flood ${i}`);
    // A tab keeps sending to a room nobody serves: the line is dropped now, and tried again.
    for (let i = 0; i < 60; i += 1) logger.warnOnce('drop:r1', 'dropping a browser message: no Entry HW');
    assert.ok(!lines.some((l) => l.includes('dropping a browser message')));
    t += WARNING_WINDOW_MS;
    logger.warnOnce('drop:r1', 'dropping a browser message: no Entry HW');
    logger.warnOnce('drop:r1', 'dropping a browser message: no Entry HW');
    assert.equal(lines.filter((l) => l.includes('dropping a browser message')).length, 1);
  });

  it('refusals never use the warnings budget, and are one line per kind per interval', () => {
    let t = 0;
    const { lines, logger, runTimers } = capture(() => t);
    for (let i = 0; i < 3000; i += 1) {
      logger.refused('host', `Host "a${i}.localhost" is not this server`);
      logger.refused('origin', `origin is not allowed "https://${i}.evil.example"`);
    }
    // The first of each kind at once; a genuine warning is not buried.
    logger.warnOnce('drop:r1', 'dropping a browser message: no Entry HW');
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0] as string, /refused requests naming another host: Host "a0\.localhost"/);
    assert.match(lines[2] as string, /dropping a browser message/);
    // One summary per kind at the end of the interval, with the count and the latest.
    t += REFUSAL_WINDOW_MS;
    runTimers();
    assert.equal(lines.length, 5);
    assert.match(
      lines[3] as string,
      /refused 2999 more requests naming another host in the last 10 s \(latest: Host "a2999/,
    );
    // A flood that goes on: still one line per kind per interval.
    for (let i = 0; i < 500; i += 1) logger.refused('host', `Host "b${i}.localhost" is not this server`);
    t += REFUSAL_WINDOW_MS;
    runTimers();
    assert.equal(lines.length, 6);
    assert.match(lines[5] as string, /refused 500 more/);
    // Quiet for an interval: the kind's interval closes, and the next refusal is logged at once.
    t += REFUSAL_WINDOW_MS;
    runTimers();
    logger.refused('host', 'Host "c.localhost" is not this server');
    assert.equal(lines.length, 7, lines.slice(6).join('\n'));
    assert.match(lines[6] as string, /refused requests naming another host: Host "c\.localhost"/);
  });
});
