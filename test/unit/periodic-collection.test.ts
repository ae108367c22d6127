// The executable's periodic full collection (src/util/periodic-collection.ts, finding 12 of
// docs/RELIABILITY.md): the interval setting, the timing of each run, and that the collector it
// reaches really frees unreachable objects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DEFAULT_GC_INTERVAL_MS, readGcInterval } from '../../src/config';
import { fullCollector, PeriodicCollection } from '../../src/util/periodic-collection';

describe('periodic full collection', () => {
  it('reads ENTRY_HW_GC_INTERVAL_MS: 0 turns it off, nonsense gives the default', () => {
    assert.equal(readGcInterval({}), DEFAULT_GC_INTERVAL_MS);
    assert.equal(readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: '0' }), 0);
    assert.equal(readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: '2500' }), 2500);
    assert.equal(readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: '1' }), 1000, 'at most one collection a second');
    assert.equal(readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: '-5' }), DEFAULT_GC_INTERVAL_MS);
    assert.equal(readGcInterval({ ENTRY_HW_GC_INTERVAL_MS: 'often' }), DEFAULT_GC_INTERVAL_MS);
  });

  it('counts and times every run, keeping the longest', async () => {
    const clock = [0, 4, 10, 12];
    let calls = 0;
    const collection = new PeriodicCollection(
      () => {
        calls += 1;
        return undefined;
      },
      60_000,
      () => clock.shift() ?? 0,
    );
    await collection.runOnce();
    await collection.runOnce();
    assert.equal(calls, 2);
    assert.deepEqual(collection.stats, { intervalMs: 60_000, count: 2, lastMs: 2, maxMs: 4 });
  });

  it('starts no collection while one is running', async () => {
    let release: () => void = () => {};
    let calls = 0;
    const collection = new PeriodicCollection(() => {
      calls += 1;
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    }, 60_000);
    const first = collection.runOnce();
    await collection.runOnce();
    assert.equal(calls, 1);
    release();
    await first;
    assert.equal(collection.stats.count, 1);
  });

  it('runs on its timer until stopped', async () => {
    let calls = 0;
    const collection = new PeriodicCollection(() => {
      calls += 1;
      return undefined;
    }, 20);
    collection.start();
    const deadline = Date.now() + 5000;
    while (calls < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    collection.stop();
    const stoppedAt = calls;
    assert.ok(stoppedAt >= 2, `ran ${stoppedAt} times`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(calls, stoppedAt, 'it ran after stop()');
  });

  it("reaches V8's full collector, which frees an unreachable object", async () => {
    const collect = fullCollector();
    assert.equal(typeof collect, 'function');
    const ref = (() => new WeakRef({ payload: new Array(10_000).fill(1) }))();
    await nextTurn(); // a WeakRef target stays alive until the end of the job that created it
    await collect?.();
    assert.equal(ref.deref(), undefined);
  });
});
