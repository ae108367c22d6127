// The logger bounds what attacker text can do to the app's log: lines are capped and escaped,
// warnings share one global rate limit, warnOnce keys are bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clip,
  createLogger,
  MAX_WARNING_CHARS,
  WARNING_WINDOW_MS,
  WARNINGS_PER_WINDOW,
} from '../../src/util/log';

function capture(now: () => number) {
  const lines: string[] = [];
  const logger = createLogger({ now, write: (_level, line) => lines.push(line) });
  return { lines, logger };
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
    for (let i = 0; i < 3000; i += 1) logger.warnOnce(`origin:${i}`, `refused origin ${i}`);
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
});
