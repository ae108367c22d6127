// A peer's parent hears about its own student's browser (extension): `connection` when the browser
// of its room reaches the host, `close` with its roomId when it leaves, as the host's own parent
// does. Entry HW re-announces the device on `connection` and resets it on `close` of its own room,
// so a robot on a peer stops when its student's tab closes. Other rooms' browsers stay silent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloudCluster, randomRoomId, sleep } from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';
import type { ServerMessage } from '../../src/ipc/messages';

const browserEvents = (messages: ServerMessage[], from: number) =>
  messages
    .slice(from)
    .filter(
      (m) =>
        m.key === 'close' || (m.key === 'connection' && (m.value as { kind?: string })?.kind === 'browser'),
    )
    .map((m) => `${m.key}:${m.key === 'close' ? m.value : (m.value as { roomId?: string }).roomId}`);

test("a peer's parent gets connection and close for its own room's browser only", async (t) => {
  const cluster = new CloudCluster(await freePort(), true);
  t.after(() => cluster.destroy());
  const [roomA, roomB, roomC] = [randomRoomId(), randomRoomId(), randomRoomId()] as [string, string, string];
  await cluster.start('A', { roomId: roomA });
  const b = await cluster.start('B', { roomId: roomB });
  const c = await cluster.start('C', { roomId: roomC });
  await sleep(200); // let B and C match their rooms
  const bFrom = b.proc.messages.length;
  const cFrom = c.proc.messages.length;

  const browserB = cluster.browser({ roomId: roomB, name: 'browserB', reconnect: false });
  await browserB.waitConnected();
  await b.proc.waitFor('connection', (m) => m.value?.roomId === roomB, { from: bFrom });
  browserB.close();
  await b.proc.waitFor('close', (m) => m.value === roomB, { from: bFrom });
  await sleep(200);

  assert.deepEqual(browserEvents(b.proc.messages, bFrom), [`connection:${roomB}`, `close:${roomB}`]);
  assert.deepEqual(browserEvents(c.proc.messages, cFrom), [], "C must hear nothing about B's browser");
});

test('a peer that re-matches after its browser came back is told the browser is there', async (t) => {
  const cluster = new CloudCluster(await freePort(), true);
  t.after(() => cluster.destroy());
  const [roomA, roomB] = [randomRoomId(), randomRoomId()] as [string, string];
  await cluster.start('A', { roomId: roomA });
  const browserB = cluster.browser({ roomId: roomB, name: 'browserB', reconnect: false });
  await browserB.waitConnected();
  // B joins after its browser is already on the host, and names its room only then.
  const b = await cluster.start('B');
  const from = b.proc.messages.length;
  b.proc.send({ key: 'addRoomId', value: roomB });
  await b.proc.waitFor('connection', (m) => m.value?.roomId === roomB, { from });
});
