// A cloud that shrinks to one instance must stay private: when the host dies and the survivor is
// alone, it keeps routing by room (docs/PROTOCOL.md §4 improved rules, extended). Otherwise the dead
// instance's student, reopening the tab, would receive the survivor's device data and could drive
// the survivor's device.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloudCluster, parentTags, randomRoomId, roundTrip, sleep, until } from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';

test('a survivor left alone after failover keeps other rooms out', async (t) => {
  const cluster = new CloudCluster(await freePort(), true);
  t.after(() => cluster.destroy());
  const [roomA, roomB] = [randomRoomId(), randomRoomId()] as [string, string];
  const a = await cluster.start('A', { roomId: roomA });
  const b = await cluster.start('B', { roomId: roomB });
  const browserA = cluster.browser({ roomId: roomA, name: 'browserA', reconnectDelayMs: 100 });
  const browserB = cluster.browser({ roomId: roomB, name: 'browserB', reconnectDelayMs: 100 });
  await Promise.all([browserA.waitConnected(), browserB.waitConnected()]);
  await roundTrip(a, browserA);
  await roundTrip(b, browserB);

  const bMark = b.proc.messages.length;
  a.proc.child.kill('SIGKILL');
  await b.proc.waitFor('runningModeChanged', (m) => m.value === 2, { from: bMark });
  await b.proc.waitFor('cloudModeChanged', (m) => m.value === 0, { from: bMark });

  // Both browsers reconnect to B, now alone. B's own room still works both ways.
  await until(() => browserA.connectTimes.length >= 2 && browserB.connectTimes.length >= 2, {
    timeoutMs: 10_000,
    describe: () => 'both browsers to reconnect to the survivor',
  });
  await roundTrip(b, browserB, { label: 'after shrinking to one' });

  // A's tab hears nothing from B, and what it says does not reach B's parent.
  const aFrom = browserA.received.length;
  const bParentFrom = b.proc.messages.length;
  for (let i = 0; i < 10; i += 1) {
    b.proc.send({ key: 'send', value: { room: roomB, kind: 'private', seq: i } });
    browserA.emit({ data: JSON.stringify({ room: roomA, kind: 'intruder', seq: i }), type: 'utf8' });
    await sleep(30);
  }
  await roundTrip(b, browserB, { label: 'after the private sends' });
  assert.deepEqual(browserA.received.slice(aFrom), [], "the dead instance's tab must not receive B's data");
  assert.deepEqual(
    parentTags(b.proc, bParentFrom).filter((tag) => tag.room === roomA),
    [],
    "B's parent must not receive the other room's messages",
  );
});
