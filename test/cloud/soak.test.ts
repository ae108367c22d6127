// The short soak (issue 12): six instances for about 60 s at the real rates (browser 60/s of
// ~100 B, parent 31/s of ~200 B per room), four seeded random events (host killed, peer killed and
// replaced by a new student, tab reloaded, parent restarted). Asserts no message ever reached the
// wrong room, nothing was lost outside the failover windows (defined in test/helpers/soak.ts),
// exactly one host after each event and never two at once, and no growth of the host's leak
// counters (GET /status `debug`) or of the peers' open file descriptors across the failovers.
// Replay a failure with its seed: SOAK_SEED=<seed> node scripts/test.mjs test/cloud/soak.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubCounters } from '../../src/util/debug-counters';
import { runSoak } from '../helpers/soak';

// Seed 7 gives one event of each kind: host killed, peer replaced, tab reloaded, parent restarted.
const SEED = Number(process.env.SOAK_SEED ?? 7);
const INSTANCES = 6;

interface Debug {
  resources: Record<string, number>;
  peerQueue: number;
  hub: HubCounters | null;
}

test(`short soak: ${INSTANCES} instances, 4 random events, seed ${SEED}`, { timeout: 150_000 }, async (t) => {
  const lines: string[] = [];
  const result = await runSoak({
    durationMs: 55_000,
    warmupMs: 3000,
    instances: INSTANCES,
    seed: SEED,
    eventMinMs: 7000,
    eventMaxMs: 10_000,
    maxEvents: 4,
    minEvents: 4,
    sampleMs: 5000,
    log: (line) => lines.push(line),
  });
  const replay = `(replay: SOAK_SEED=${SEED} node scripts/test.mjs test/cloud/soak.test.ts)\n${lines.join('\n')}`;
  t.diagnostic(
    `seed ${SEED}: sent ${result.sent.b2p}/${result.sent.p2b}, lost inside windows ${result.lostInside.b2p}/${result.lostInside.p2b}, ` +
      `windows ${result.windows.map((w) => `${w.kind} ${Math.round(w.lengthMs)} ms`).join(', ')}`,
  );

  assert.equal(result.events.length, 4, `four events ran ${replay}`);
  assert.equal(result.misrouted, 0, `misrouted: ${result.misroutedExamples.join('; ')} ${replay}`);
  assert.deepEqual(
    result.lostOutside,
    { b2p: 0, p2b: 0 },
    `lost outside failover windows: ${result.lostOutsideExamples.join('; ')} ${replay}`,
  );
  for (const w of result.windows) {
    assert.deepEqual(w.neverRecovered, [], `event ${w.event} (${w.kind}): rooms never recovered ${replay}`);
  }
  assert.ok(result.sent.b2p > 0 && result.sent.p2b > 0, 'traffic flowed');
  assert.ok(
    result.delivered.b2p > 0.95 * result.sent.b2p && result.delivered.p2b > 0.95 * result.sent.p2b,
    `most traffic arrived: ${JSON.stringify(result.delivered)} of ${JSON.stringify(result.sent)} ${replay}`,
  );
  for (const event of result.events) {
    assert.equal(event.hostsAfter, 1, `exactly one host after ${event.kind} ${event.detail} ${replay}`);
    assert.notEqual(event.settledMs, null, `roles settled after ${event.kind} ${event.detail} ${replay}`);
  }
  assert.ok(result.maxSimultaneousHosts <= 1, `never two hosts at once ${replay}`);

  // Leaks: the first and the last host sample (same membership: N-1 peers and N browsers).
  const first = result.hostDebug[0]?.debug as Debug | undefined;
  const last = result.hostDebug[result.hostDebug.length - 1]?.debug as Debug | undefined;
  assert.ok(first?.hub && last?.hub, `host debug counters sampled ${replay}`);
  const members = INSTANCES - 1 + INSTANCES;
  for (const [when, d] of [
    ['start', first],
    ['end', last],
  ] as const) {
    const hub = d.hub as HubCounters;
    const where = `${when}: ${JSON.stringify(d)} ${replay}`;
    assert.equal(hub.members, members, `hub members = peers + browsers at the ${where}`);
    assert.equal(hub.engineClients, members, `no engine.io connection beyond the members at the ${where}`);
    assert.equal(hub.sockets, members, `no socket.io socket beyond the members at the ${where}`);
    assert.equal(hub.claimedRooms, INSTANCES - 1, `one claimed room per peer at the ${where}`);
    assert.equal(d.peerQueue, 0, `nothing queued on the host at the ${where}`);
    assert.ok(hub.mailboxKeys <= INSTANCES, `mailbox keys bounded by the rooms at the ${where}`);
  }
  const f = first.hub as HubCounters;
  const l = last.hub as HubCounters;
  assert.equal(l.listeners, f.listeners, `listeners did not grow: ${f.listeners} → ${l.listeners} ${replay}`);
  const timeouts = (d: Debug) => d.resources.Timeout ?? 0;
  const sockets = (d: Debug) => d.resources.TCPSocketWrap ?? 0;
  assert.ok(
    timeouts(last) <= timeouts(first) + 2,
    `timers did not grow: ${timeouts(first)} → ${timeouts(last)} ${replay}`,
  );
  assert.ok(
    sockets(last) <= sockets(first) + 2,
    `TCP sockets did not grow: ${sockets(first)} → ${sockets(last)} ${replay}`,
  );
  for (const m of result.memory) {
    if (m.role !== 'peer') continue;
    assert.ok(m.fdsEnd <= m.fdsStart + 2, `${m.name}: open fds ${m.fdsStart} → ${m.fdsEnd} ${replay}`);
  }
});
