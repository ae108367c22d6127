// Five instances, the current host killed five times in a row. Each round kills the host
// (alternating SIGKILL and parent disconnect) and, at the same moment, starts one fresh instance
// with a fresh roomId, so five instances stay alive and the newcomer's `open` races the election.
// After each round: exactly one live instance's last runningModeChanged is 2, every other's is 3,
// only one instance claimed host during the round, the host's /status counts the other four as
// peers, every live instance's room round-trips with its own browser, and nobody reported an
// `error` to its parent during the round. A second test opens five instances at the same moment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CloudCluster,
  errorCodes,
  type Instance,
  lastValue,
  randomRoomId,
  roundTrip,
  type TestBrowser,
  until,
} from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';

test('five instances, host killed five times in a row: always exactly one host, everyone has a role', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const browserOf = new Map<Instance, TestBrowser>();
  const addBrowser = (inst: Instance) => {
    // Browsers retry quickly here (300 ms) to keep the five rounds short; routing is what is tested.
    const br = cluster.browser({
      roomId: inst.roomId,
      version: 2,
      reconnectDelayMs: 300,
      name: `browser-${inst.name}`,
    });
    browserOf.set(inst, br);
  };
  for (let i = 0; i < 5; i += 1) {
    const inst = await cluster.start(`I${i}`, { roomId: randomRoomId() });
    addBrowser(inst);
  }
  let { host } = await cluster.waitForStableRoles(5000);
  assert.equal(host.name, 'I0');
  // Each later instance got its roomId just after its role settled: for a moment a peer without a
  // room, told ROOM_UNKNOWN once (docs/PROTOCOL.md §4). The host had no peer before its roomId.
  assert.deepEqual(
    cluster.instances.map((inst) => `${inst.name}:${errorCodes(inst.proc).join(',')}`),
    ['I0:', 'I1:ROOM_UNKNOWN', 'I2:ROOM_UNKNOWN', 'I3:ROOM_UNKNOWN', 'I4:ROOM_UNKNOWN'],
    `errors at start-up; ${cluster.describe()}`,
  );

  const timings: string[] = [];
  for (let round = 1; round <= 5; round += 1) {
    const method = round % 2 === 1 ? 'SIGKILL' : 'parent-disconnect';
    const survivors = cluster.live().filter((i) => i !== host);
    const marks = new Map(survivors.map((s) => [s, s.proc.messages.length]));
    const started = Date.now();
    if (method === 'SIGKILL') host.proc.child.kill('SIGKILL');
    else host.proc.disconnectParent();
    const fresh = await cluster.start(`I${4 + round}`, { roomId: randomRoomId(), waitForRole: false });
    addBrowser(fresh);
    browserOf.get(host)?.close();

    const exited = await Promise.race([
      host.proc.exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 3000)),
    ]);
    assert.ok(exited, `round ${round}: the host must exit after ${method}`);
    const stable = await cluster.waitForStableRoles(8000);
    const elapsed = Date.now() - started;
    const live = cluster.live();
    assert.equal(live.length, 5, `round ${round}: five instances must be alive; ${cluster.describe()}`);
    const hosts = live.filter((i) => lastValue(i.proc, 'runningModeChanged') === 2);
    const peers = live.filter((i) => lastValue(i.proc, 'runningModeChanged') === 3);
    assert.equal(hosts.length, 1, `round ${round}: ${cluster.describe()}`);
    assert.equal(peers.length, 4, `round ${round}: ${cluster.describe()}`);
    assert.equal(stable.status.peers, 4, `round ${round}: /status ${JSON.stringify(stable.status)}`);
    for (const inst of live) {
      assert.deepEqual(
        errorCodes(inst.proc, marks.get(inst) ?? 0),
        [],
        `round ${round}: ${inst.name} must not report an error during a failover (a false PORT_HELD_BY_OTHER_PROGRAM alarms the user)`,
      );
    }
    // cloudModeChanged follows runningModeChanged in the same tick, but may be read a moment later.
    for (const p of peers)
      await until(() => lastValue(p.proc, 'cloudModeChanged') === 1, {
        timeoutMs: 2000,
        describe: () =>
          `round ${round}: peer ${p.name} cloudMode 1 (last: ${lastValue(p.proc, 'cloudModeChanged')})`,
      });
    const claimed = [...survivors, fresh].filter((s) =>
      s.proc.messages.slice(marks.get(s) ?? 0).some((m) => m.key === 'runningModeChanged' && m.value === 2),
    );
    assert.deepEqual(
      claimed.map((s) => s.name),
      [stable.host.name],
      `round ${round}: only the new host may claim host; ${cluster.describe()}`,
    );
    for (const inst of live) {
      await roundTrip(inst, browserOf.get(inst) as TestBrowser, { timeoutMs: 8000, label: `round ${round}` });
    }
    timings.push(
      `round ${round} (${method}): new host ${stable.host.name}${stable.host === fresh ? ' (the newcomer)' : ''}, roles stable after ${elapsed} ms, all rooms round-trip after ${Date.now() - started} ms`,
    );
    host = stable.host;
  }
  t.diagnostic(timings.join('; '));
});

test('five instances opened at the same moment: exactly one host, four peers', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  await Promise.all(
    [0, 1, 2, 3, 4].map((i) => cluster.start(`S${i}`, { roomId: randomRoomId(), waitForRole: false })),
  );
  const { host, status } = await cluster.waitForStableRoles(8000);
  assert.equal(status.peers, 4);
  const claimed = cluster.instances.filter((i) =>
    i.proc.all('runningModeChanged').some((m) => m.value === 2),
  );
  assert.deepEqual(
    claimed.map((i) => i.name),
    [host.name],
    `no instance may claim host and then fall back; ${cluster.describe()}`,
  );
  for (const inst of cluster.instances) {
    assert.deepEqual(inst.proc.all('error'), [], `${inst.name} must not report an error on a normal start`);
  }
});
