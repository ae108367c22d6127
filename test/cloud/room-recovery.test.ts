// Claims that recover and a memory that cannot be flushed (docs/PROTOCOL.md §4-5): an
// instance whose claim was refused takes the room when its first claimant leaves (the host tells
// it `roomFree`), both when the first was a harmless duplicate (two instances got the same link)
// and when it was a squatter (a local program claiming first); and one local peer claiming 1001
// roomIds cannot make the host forget a room in use, which would drop what a student's instance
// sent for its reloading tab.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import {
  browserEvents,
  CloudCluster,
  errorCodes,
  parentTags,
  randomRoomId,
  roundTrip,
  sleep,
  until,
} from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';

/** A local program posing as a peer (socket.io-client 4, childServer=true, no Origin). */
async function squatter(
  port: number,
): Promise<{ socket: Socket; events: { event: string; args: unknown[] }[] }> {
  const socket = io(`http://127.0.0.1:${port}`, {
    query: { childServer: 'true' },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const events: { event: string; args: unknown[] }[] = [];
  socket.onAny((event: string, ...args: unknown[]) => events.push({ event, args }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, events };
}

test('two instances that got the same link: when the first quits, the second serves the room without a restart', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [hostRoom, room] = [randomRoomId(), randomRoomId()];
  await cluster.start('host', { roomId: hostRoom });
  const first = await cluster.start('first', { roomId: room, roomIdFirst: true });
  const second = await cluster.start('second (same link)', { roomId: room, roomIdFirst: true });
  await second.proc.waitFor('error', (m) => m.value.code === 'ROOM_CLAIMED', { timeoutMs: 5000 });
  const tab = cluster.browser({ roomId: room, name: 'tab' });
  await tab.waitConnected();
  await roundTrip(first, tab);
  const mark = second.proc.messages.length;

  await first.proc.stop();
  // The host tells the refused instance the room is free; it claims it, and its parent hears the
  // tab that is already there (its Entry HW re-announces the device).
  await second.proc.waitFor('connection', (m) => m.value?.roomId === room, { from: mark, timeoutMs: 5000 });
  await roundTrip(second, tab, { timeoutMs: 5000, label: 'after the first instance quit' });
  assert.deepEqual(browserEvents(second.proc, mark), [`connection:${room}`]);
  assert.deepEqual(errorCodes(second.proc, mark), [], 'no new error: the room was simply free');
});

test('a squatter that claimed a room first leaves: the student’s own instance takes its room', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [hostRoom, room] = [randomRoomId(), randomRoomId()];
  await cluster.start('host', { roomId: hostRoom });
  const thief = await squatter(cluster.port);
  t.after(() => thief.socket.close());
  thief.socket.emit('matchTarget', { roomId: room });
  await sleep(200);
  const own = await cluster.start('own instance', { roomId: room, roomIdFirst: true });
  await own.proc.waitFor('error', (m) => m.value.code === 'ROOM_CLAIMED', { timeoutMs: 5000 });
  const tab = cluster.browser({ roomId: room, name: 'tab' });
  await tab.waitConnected();
  await until(() => thief.events.some((e) => e.event === 'roomConnection'), {
    timeoutMs: 5000,
    describe: () => 'the squatter serving the room (as before: claiming first works)',
    explain: () => JSON.stringify(thief.events.slice(0, 5)),
  });
  const mark = own.proc.messages.length;

  thief.socket.close();
  await roundTrip(own, tab, { timeoutMs: 5000, label: 'after the squatter left' });
  assert.deepEqual(browserEvents(own.proc, mark), [`connection:${room}`]);
});

test('one local peer claiming 1001 roomIds: refused past its bound; the host forgets no room in use', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [hostRoom, room] = [randomRoomId(), randomRoomId()];
  const host = await cluster.start('host', { roomId: hostRoom, captureOutput: true });
  const student = await cluster.start('student', { roomId: room, roomIdFirst: true });
  const tab = cluster.browser({ roomId: room, name: 'tab' });
  await tab.waitConnected();
  await roundTrip(student, tab);

  const flood = await squatter(cluster.port);
  t.after(() => flood.socket.close());
  for (let i = 0; i < 1001; i += 1) flood.socket.emit('matchTarget', { roomId: randomRoomId() });
  await until(() => flood.events.filter((e) => e.event === 'roomClaimRefused').length >= 1001 - 16, {
    timeoutMs: 10_000,
    describe: () => `the flood's claims past its bound refused (${flood.events.length} events so far)`,
  });
  const reasons = new Set(
    flood.events
      .filter((e) => e.event === 'roomClaimRefused')
      .map((e) => (e.args[0] as { reason?: string }).reason),
  );
  assert.deepEqual([...reasons], ['too-many-claims']);
  assert.ok(
    host.proc.outputCount('room claims beyond what one connection may make') <= 2,
    'counted, not logged per room',
  );

  // The student's tab reloads; what its instance sends meanwhile is held for the returning tab, and
  // its Entry HW sends the roomId again (the student pressed connect): a renewal, not a first claim.
  const mark = student.proc.messages.length;
  tab.close();
  await student.proc.waitFor('close', (m) => m.value === room, { from: mark, timeoutMs: 5000 });
  for (let seq = 1; seq <= 3; seq += 1)
    student.proc.send({ key: 'send', value: { room, kind: 'held', seq } });
  await cluster.addRoomId(student, room);
  const back = cluster.browser({ roomId: room, name: 'tab (reloaded)' });
  await back.waitConnected();
  await until(() => back.tags().filter((tag) => tag.kind === 'held').length === 3, {
    timeoutMs: 5000,
    describe: () => `the sends held for the reloading tab: ${JSON.stringify(back.tags())}`,
  });
  assert.deepEqual(
    parentTags(host.proc).filter((tag) => tag.room === room),
    [],
    "the host's parent read nothing of the room",
  );
});
