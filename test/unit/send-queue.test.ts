// The queue of parent sends kept while an instance has no host (src/routing/send-queue.ts):
// findings 4 and 5 of docs/RELIABILITY.md.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queuedMsOf } from '../../src/contracts/forward-meta';
import { RECONNECT_WINDOW_MS } from '../../src/routing/held-messages';
import { SendQueue } from '../../src/routing/send-queue';

describe('send queue', () => {
  it('hands out queued sends in order with how long each waited', () => {
    const outbox = new SendQueue<string>();
    outbox.push('a', 1000);
    outbox.push('b', 1500);
    assert.deepEqual(outbox.drain(2000), {
      fresh: [
        { value: 'a', queuedMs: 1000 },
        { value: 'b', queuedMs: 500 },
      ],
      expired: 0,
    });
    assert.equal(outbox.length, 0);
    assert.deepEqual(outbox.drain(9000), { fresh: [], expired: 0 });
  });

  it('drops sends that waited the whole window or longer, and counts them (finding 5)', () => {
    const outbox = new SendQueue<string>();
    outbox.push('old', 0);
    outbox.push('edge', 1000);
    outbox.push('young', 1001);
    const { fresh, expired } = outbox.drain(1000 + RECONNECT_WINDOW_MS);
    assert.deepEqual(
      fresh.map((s) => s.value),
      ['young'],
    );
    assert.equal(expired, 2);
  });

  it('drops everything queued when the roomId changes (finding 4)', () => {
    const outbox = new SendQueue<string>();
    outbox.push('for r1', 0);
    outbox.push('for r1 too', 10);
    assert.equal(outbox.roomChanged(), 2);
    outbox.push('for r2', 20);
    assert.deepEqual(outbox.drain(30).fresh, [{ value: 'for r2', queuedMs: 10 }]);
  });

  it('keeps the last sends up to its capacity, counting the dropped ones', () => {
    const outbox = new SendQueue<number>(2);
    for (const n of [1, 2, 3]) outbox.push(n, 0);
    assert.equal(outbox.dropped, 1);
    assert.deepEqual(
      outbox.drain(0).fresh.map((s) => s.value),
      [2, 3],
    );
    assert.equal(outbox.dropped, 0);
  });

  it("reads a peer message's queuedMs, anything odd as 0", () => {
    assert.equal(queuedMsOf({ queuedMs: 1200 }), 1200);
    for (const meta of [
      undefined,
      null,
      'x',
      {},
      { queuedMs: -5 },
      { queuedMs: Number.NaN },
      { queuedMs: '9' },
    ])
      assert.equal(queuedMsOf(meta), 0, JSON.stringify(meta));
  });
});
