// The program's periodic full collection (finding 12 of docs/RELIABILITY.md): on by default with
// the interval ENTRY_HW_GC_INTERVAL_MS sets, reported in GET /status `debug.gc`, off with `0`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until } from '../../harness/util';
import type { CollectionStats } from '../../src/util/periodic-collection';
import { assertStillRouting, startServer } from '../helpers/fixtures';
import { request } from '../helpers/http';

async function gcStats(port: number): Promise<CollectionStats | null | undefined> {
  const body = JSON.parse((await request({ port, path: '/status' })).body) as {
    debug?: { gc?: CollectionStats | null };
  };
  return body.debug?.gc;
}

describe('periodic full collection in the program', () => {
  it('runs at the configured interval and reports each run in /status', async () => {
    const started = await startServer({ name: 'gc-on', env: { ENTRY_HW_GC_INTERVAL_MS: '1000' } });
    try {
      const stats = await until(
        async () => {
          const gc = await gcStats(started.port);
          return gc && gc.count >= 3 ? gc : undefined;
        },
        { describe: () => 'three collections reported in /status debug.gc' },
      );
      assert.equal(stats.intervalMs, 1000);
      assert.ok(stats.maxMs >= stats.lastMs && stats.lastMs >= 0);
      await assertStillRouting(started);
    } finally {
      await started.stop();
    }
  });

  it('is off with ENTRY_HW_GC_INTERVAL_MS=0', async () => {
    const started = await startServer({ name: 'gc-off', env: { ENTRY_HW_GC_INTERVAL_MS: '0' } });
    try {
      assert.equal(await gcStats(started.port), null);
    } finally {
      await started.stop();
    }
  });
});
