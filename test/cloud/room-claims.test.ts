// Room claims on a shared PC (docs/PROTOCOL.md §5 improved). Any local program can connect as
// a peer, so a fake one (socket.io-client 4, childServer=true over WebSocket, no Origin: exactly
// what a real peer sends) tries to take a student's room and the host's own room while both rooms
// stream. The first claim must win: the fake reads nothing, injects nothing, and each browser
// still reaches only its own parent. A real instance that claims a taken room is refused with
// `error ROOM_CLAIMED`; a room whose peer left is served by nobody, never by the host's parent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import {
  browserEvents,
  browserPayload,
  CloudCluster,
  errorCodes,
  type Instance,
  parentTags,
  randomRoomId,
  roundTrip,
  sleep,
  type TestBrowser,
  until,
} from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';

interface FakePeer {
  socket: Socket;
  /** Every event the host sent it, with its arguments. */
  events: { event: string; args: unknown[] }[];
}

/** A local program posing as a peer instance. */
async function fakePeer(port: number): Promise<FakePeer> {
  const socket = io(`http://127.0.0.1:${port}`, {
    query: { childServer: 'true' },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const fake: FakePeer = { socket, events: [] };
  socket.onAny((event: string, ...args: unknown[]) => fake.events.push({ event, args }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return fake;
}

/** What the fake got that a thief wants: browser messages or room announcements. */
function loot(fake: FakePeer): string[] {
  return fake.events.filter((e) => e.event !== 'roomClaimRefused').map((e) => e.event);
}

function foreignAt(instance: Instance, room: string, from = 0): string[] {
  return parentTags(instance.proc, from)
    .filter((t) => t.room !== room)
    .map((t) => `${t.room}/${t.kind}`);
}

function foreignAtBrowser(browser: TestBrowser, room: string, from = 0): string[] {
  return browser
    .tags(from)
    .filter((t) => t.room !== room)
    .map((t) => `${t.room}/${t.kind}`);
}

test("a fake local peer cannot take a student's room or the host's own room", async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [roomA, roomB] = [randomRoomId(), randomRoomId()] as [string, string];
  const a = await cluster.start('A', { roomId: roomA, captureOutput: true });
  const b = await cluster.start('B', { roomId: roomB });
  const browserA = cluster.browser({ roomId: roomA, name: 'browserA(v2)' });
  const browserB = cluster.browser({ roomId: roomB, name: 'browserB(v2)' });
  await Promise.all([browserA.waitConnected(), browserB.waitConnected()]);
  await roundTrip(a, browserA);
  await roundTrip(b, browserB);
  // B got its roomId just after its role settled: a peer without a room for a moment, told so once.
  assert.deepEqual(errorCodes(b.proc), ['ROOM_UNKNOWN'], 'B at start-up');
  const bMark = b.proc.messages.length;
  const streams = [cluster.stream(a, browserA, roomA), cluster.stream(b, browserB, roomB)];

  const fake = await fakePeer(a.proc.port);
  t.after(() => fake.socket.close());
  // Both claim forms, repeatedly, and injected traffic in between.
  let seq = 0;
  const attack = setInterval(() => {
    seq += 1;
    fake.socket.emit('matchTarget', roomB);
    fake.socket.emit('matchTarget', { roomId: roomA });
    fake.socket.emit('message', { data: { room: 'fake', kind: 'inject', seq } });
  }, 50);
  t.after(() => clearInterval(attack));
  await sleep(2000);
  clearInterval(attack);
  await roundTrip(a, browserA, { label: 'during the attack' });
  await roundTrip(b, browserB, { label: 'during the attack' });
  for (const s of streams) s.stop();
  await sleep(200);

  assert.deepEqual(loot(fake), [], 'the fake peer must read nothing');
  const refusals = fake.events.filter((e) => e.event === 'roomClaimRefused').map((e) => e.args[0]);
  assert.ok(
    refusals.some((r) => (r as { roomId?: string }).roomId === roomB) &&
      refusals.some((r) => (r as { roomId?: string }).roomId === roomA),
    `the host must tell the fake its claims were refused: ${JSON.stringify(refusals.slice(0, 2))}`,
  );
  assert.deepEqual(foreignAt(a, roomA), [], "A's parent received foreign data");
  assert.deepEqual(foreignAt(b, roomB), [], "B's parent received foreign data");
  assert.deepEqual(foreignAtBrowser(browserA, roomA), [], 'browserA received foreign sends');
  assert.deepEqual(foreignAtBrowser(browserB, roomB), [], 'browserB received foreign sends');
  for (const s of streams) assert.ok(s.b2pReceived().length > 0 && s.p2bReceived().length > 0);
  assert.deepEqual(errorCodes(b.proc, bMark), [], 'the rightful peer keeps its room without any error');
  assert.deepEqual(errorCodes(a.proc), [], 'the host reports nothing to its parent');
  assert.equal(
    a.proc.outputCount(`refused a peer's matchTarget: room ${roomB}`),
    1,
    `the host logs a refused claim once: ${a.proc.output.slice(-2000)}`,
  );
});

test('a real instance claiming a taken room or the host room gets ROOM_CLAIMED; the rightful owner keeps it', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [roomA, roomB] = [randomRoomId(), randomRoomId()] as [string, string];
  const a = await cluster.start('A', { roomId: roomA });
  const b = await cluster.start('B', { roomId: roomB });
  const browserB = cluster.browser({ roomId: roomB, name: 'browserB' });
  const browserA = cluster.browser({ roomId: roomA, name: 'browserA' });
  await Promise.all([browserA.waitConnected(), browserB.waitConnected()]);
  await roundTrip(b, browserB);
  await roundTrip(a, browserA);

  const thiefB = await cluster.start('C (claims B)', { roomId: roomB });
  const thiefA = await cluster.start('D (claims A)', { roomId: roomA, roomIdFirst: true });
  for (const thief of [thiefB, thiefA]) {
    const error = await thief.proc.waitFor('error', (m) => m.value.code === 'ROOM_CLAIMED', {
      timeoutMs: 5000,
    });
    assert.ok(error.value.message.length > 0);
  }
  // The thieves send and their browsers' counterparts would read: nothing may cross.
  const marks = { a: a.proc.messages.length, b: b.proc.messages.length, bb: browserB.received.length };
  for (let seq = 1; seq <= 5; seq += 1) {
    thiefB.proc.send({ key: 'send', value: { room: 'thief', kind: 'inject', seq } });
    thiefA.proc.send({ key: 'send', value: { room: 'thief', kind: 'inject', seq } });
    browserB.emit(browserPayload({ room: roomB, kind: 'b2p', seq }));
    browserA.emit(browserPayload({ room: roomA, kind: 'b2p', seq }));
  }
  await roundTrip(b, browserB, { label: 'after the refused claims' });
  await roundTrip(a, browserA, { label: 'after the refused claims' });
  await sleep(200);
  assert.deepEqual(parentTags(thiefB.proc), [], "the refused instance read B's browser");
  assert.deepEqual(parentTags(thiefA.proc), [], "the refused instance read the host's browser");
  assert.deepEqual(foreignAtBrowser(browserB, roomB, marks.bb), [], 'browserB got the thief sends');
  assert.deepEqual(foreignAtBrowser(browserA, roomA), [], 'browserA got the thief sends');
  assert.equal(
    parentTags(b.proc, marks.b).filter((tag) => tag.kind === 'b2p').length,
    5,
    "B's browser still reaches B",
  );
  // Each thief was a peer without a room for a moment (its roomId came after its role settled):
  // ROOM_UNKNOWN once, then its claim refused: ROOM_CLAIMED once.
  assert.deepEqual(
    errorCodes(thiefB.proc),
    ['ROOM_UNKNOWN', 'ROOM_CLAIMED'],
    'ROOM_CLAIMED is reported once',
  );
  assert.deepEqual(errorCodes(thiefA.proc), ['ROOM_CLAIMED'], "claiming the host's room is refused once");
  assert.deepEqual(errorCodes(b.proc), ['ROOM_UNKNOWN'], 'the rightful owner gets no ROOM_CLAIMED');

  // Re-sending its own claim (Entry HW repeats addRoomId) is fine; changing roomId frees the old one,
  // and the instance refused for it (C) is told and takes it.
  const bMark = b.proc.messages.length;
  b.proc.send({ key: 'addRoomId', value: roomB });
  await roundTrip(b, browserB, { label: 'after re-claiming' });
  assert.deepEqual(errorCodes(b.proc, bMark), []);
  const roomB2 = randomRoomId();
  const cMark = thiefB.proc.messages.length;
  b.proc.send({ key: 'addRoomId', value: roomB2 });
  const browserB2 = cluster.browser({ roomId: roomB2, name: 'browserB2' });
  await browserB2.waitConnected();
  await roundTrip(b, browserB2, { label: 'after changing roomId' });
  await thiefB.proc.waitFor('connection', (m) => m.value?.roomId === roomB, { from: cMark, timeoutMs: 5000 });
  await roundTrip(thiefB, browserB, { label: 'C, refused for B before, serves B once B gave it up' });
  assert.deepEqual(errorCodes(thiefB.proc, cMark), [], 'C was told nothing but the room');
  const fake = await fakePeer(a.proc.port);
  t.after(() => fake.socket.close());
  fake.socket.emit('matchTarget', roomB);
  await until(() => fake.events.some((e) => e.event === 'roomClaimRefused'), {
    describe: () => 'the room C took is refused to a later claimant',
  });
});

test('a room whose peer left is served by nobody, and a host without a roomId serves no room until it gets one', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [roomB, roomX] = [randomRoomId(), randomRoomId()] as [string, string];
  const host = await cluster.start('host (no roomId)', {});
  const b = await cluster.start('B', { roomId: roomB, roomIdFirst: true });
  const browserB = cluster.browser({ roomId: roomB, name: 'browserB' });
  await browserB.waitConnected();
  await roundTrip(b, browserB);
  // Once a peer came, the host without a roomId cannot tell which room is its student's.
  await host.proc.waitFor('error', (m) => m.value.code === 'ROOM_UNKNOWN', { timeoutMs: 5000 });

  const hostMark = host.proc.messages.length;
  b.proc.disconnectParent();
  await b.proc.exited;
  await host.proc.waitFor('cloudModeChanged', (m) => m.value === 0, { from: hostMark, timeoutMs: 5000 });
  const browserMark = browserB.received.length;
  for (let seq = 1; seq <= 20; seq += 1) {
    browserB.emit(browserPayload({ room: roomB, kind: 'orphan', seq }));
    host.proc.send({ key: 'send', value: { room: 'host', kind: 'stranger', seq } });
    await sleep(25);
  }
  // A browser of a never-claimed room: in the original rule the roomless host served it; now it
  // cannot tell it from another student's tab whose Entry HW has not started yet, so nobody does.
  const own = cluster.browser({ roomId: roomX, name: 'browserX (the host student, unknown to the host)' });
  await own.waitConnected();
  for (let seq = 1; seq <= 20; seq += 1) {
    own.emit(browserPayload({ room: roomX, kind: 'unpaired', seq }));
    host.proc.send({ key: 'send', value: { room: 'host', kind: 'stranger', seq: 100 + seq } });
    await sleep(25);
  }

  // The remedy that works with the real app: the student presses connect again, Entry HW sends
  // the roomId, and from then on the host serves that room and only it.
  await cluster.addRoomId(host, roomX);
  await roundTrip(host, own, { label: 'after the late roomId' });
  for (let seq = 1; seq <= 10; seq += 1) {
    browserB.emit(browserPayload({ room: roomB, kind: 'orphan', seq: 100 + seq }));
    await sleep(25);
  }
  await roundTrip(host, own, { label: "after B's orphan messages" });
  await sleep(200);
  await host.proc.drain();

  assert.ok(browserB.connected, 'the orphaned browser stays connected');
  assert.deepEqual(
    parentTags(host.proc, hostMark)
      .filter((tag) => !(tag.room === roomX && tag.kind === 'probe-b'))
      .map((tag) => `${tag.room}/${tag.kind}#${tag.seq}`),
    [],
    "the host's parent must not receive the browser of a peer that left, nor a room it was not told",
  );
  assert.deepEqual(
    browserB.tags(browserMark).map((tag) => `${tag.room}/${tag.kind}`),
    [],
    "the host's parent sends must not reach the browser of a peer that left",
  );
  assert.deepEqual(
    own.tags().filter((tag) => tag.kind === 'stranger'),
    [],
    "the host's sends before it knew its room must reach no tab",
  );
  assert.deepEqual(
    browserEvents(host.proc, hostMark),
    [`connection:${roomX}`],
    "the host's parent hears nothing of B leaving, then connection for its own room's tab when its roomId arrives",
  );
  assert.deepEqual(errorCodes(host.proc), ['ROOM_UNKNOWN'], 'ROOM_UNKNOWN is told once');
});

test("a peer holding the roomId the host's parent then sets loses it: the host's own room wins", async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const roomX = randomRoomId();
  const host = await cluster.start('host (roomId later)', {});
  const early = await cluster.start('early claimer', { roomId: roomX });
  const browserX = cluster.browser({ roomId: roomX, name: 'browserX' });
  await browserX.waitConnected();
  await roundTrip(early, browserX);

  host.proc.send({ key: 'addRoomId', value: roomX });
  await early.proc.waitFor('error', (m) => m.value.code === 'ROOM_CLAIMED', { timeoutMs: 5000 });
  const marks = { early: early.proc.messages.length, browser: browserX.received.length };
  await roundTrip(host, browserX, { label: "after the host's addRoomId" });
  early.proc.send({ key: 'send', value: { room: 'early', kind: 'inject', seq: 1 } });
  await sleep(300);
  assert.deepEqual(parentTags(early.proc, marks.early), [], 'the revoked peer still reads the room');
  assert.deepEqual(
    browserX.tags(marks.browser).filter((tag) => tag.room === 'early'),
    [],
    'the revoked peer still reaches the browser',
  );
});

// Findings 5 and 7 of docs/RELIABILITY.md across processes: what a peer tells the host about time
// (`msSinceHostLoss` with its claim, `queuedMs` with a queued send) bounds what the host holds, so
// nothing reaches a tab more than 5 s after the tab was cut off or the send was made.
test('held messages for a peer room age from the host loss and from the send, not from their arrival', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [roomA, roomR, roomS] = [randomRoomId(), randomRoomId(), randomRoomId()] as [string, string, string];
  await cluster.start('A', { roomId: roomA });
  const peerR = await fakePeer(cluster.port);
  const peerS = await fakePeer(cluster.port);
  t.after(() => {
    peerR.socket.close();
    peerS.socket.close();
  });
  // R's tab was cut off just now; S's 4.9 s ago (its peer found no host for a while).
  peerR.socket.emit('matchTarget', { roomId: roomR, browserConnectedAtHostLoss: true, msSinceHostLoss: 0 });
  peerS.socket.emit('matchTarget', {
    roomId: roomS,
    browserConnectedAtHostLoss: true,
    msSinceHostLoss: 4900,
  });
  await sleep(300); // past S's window, well within R's
  const send = (peer: FakePeer, room: string, seq: number, queuedMs?: number) =>
    peer.socket.emit('message', { data: { room, kind: 'p2b', seq } }, ...(queuedMs ? [{ queuedMs }] : []));
  send(peerR, roomR, 1); // held for R's returning tab
  send(peerR, roomR, 2, 4000); // waited 4 s on the peer: expires 1 s from now
  send(peerS, roomS, 1); // S's tab left more than 5 s ago: not held
  await sleep(1200);
  const tabR = cluster.browser({ roomId: roomR, name: 'tabR' });
  const tabS = cluster.browser({ roomId: roomS, name: 'tabS' });
  await Promise.all([tabR.waitConnected(), tabS.waitConnected()]);
  // A live message to each proves the tabs are served; everything before it was the mailbox.
  send(peerR, roomR, 3);
  send(peerS, roomS, 3);
  await until(() => tabR.tags().some((m) => m.seq === 3) && tabS.tags().some((m) => m.seq === 3), {
    timeoutMs: 5000,
    describe: () => `live messages; tabR ${JSON.stringify(tabR.tags())} tabS ${JSON.stringify(tabS.tags())}`,
  });
  assert.deepEqual(
    tabR.tags().map((m) => m.seq),
    [1, 3],
    'R gets the held send, not the one that waited 4 s on its peer',
  );
  assert.deepEqual(
    tabS.tags().map((m) => m.seq),
    [3],
    "S's tab was cut off more than 5 s before: nothing held",
  );
});
