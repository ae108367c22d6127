// Cloud PC mode, routing (docs/PROTOCOL.md §4, §5): several server processes share one port,
// each with its own IPC parent (the test) and its own roomId; browsers are socket.io-client 2.5.0
// (the deployed entryjs client) plus one 4.x. Every message is tagged with its sender's room, so a
// message that reaches the wrong parent or browser is detected, not only missing ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  browserEvents,
  browserPayload,
  CloudCluster,
  errorCodes,
  exchange,
  type Instance,
  lastValue,
  parentTags,
  randomRoomId,
  roundTrip,
  sleep,
  type Tag,
  type TestBrowser,
  until,
} from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';

/** Tags of messages a parent received that did not come from `allowed` rooms. */
function foreignAtParent(instance: Instance, allowed: ReadonlySet<string>, from = 0): Tag[] {
  return parentTags(instance.proc, from).filter((t) => !allowed.has(t.room));
}

function foreignAtBrowser(browser: TestBrowser, allowed: ReadonlySet<string>, from = 0): Tag[] {
  return browser.tags(from).filter((t) => !allowed.has(t.room));
}

test('three instances: first is host, others peers; every room reaches only its own parent and browser', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [roomA, roomB, roomC] = [randomRoomId(), randomRoomId(), randomRoomId()] as [string, string, string];

  const a = await cluster.start('A', { roomId: roomA });
  assert.equal(
    lastValue(a.proc, 'runningModeChanged'),
    2,
    `first instance must be host; ${cluster.describe()}`,
  );
  // B gets its roomId before `open` (matchTarget on connect), C after (matchTarget on addRoomId).
  const b = await cluster.start('B', { roomId: roomB, roomIdFirst: true });
  const c = await cluster.start('C', { roomId: roomC });
  assert.equal(
    lastValue(b.proc, 'runningModeChanged'),
    3,
    `second instance must be a peer; ${cluster.describe()}`,
  );
  assert.equal(
    lastValue(c.proc, 'runningModeChanged'),
    3,
    `third instance must be a peer; ${cluster.describe()}`,
  );
  for (const peer of [b, c]) {
    await peer.proc.waitFor('cloudModeChanged', (m) => m.value === 1, { timeoutMs: 5000 });
    assert.ok(
      peer.proc.all('cloudModeChanged').every((m) => m.value === 1),
      `a peer is always cloudMode 1; ${cluster.describe()}`,
    );
  }
  await a.proc.waitFor('cloudModeChanged', (m) => m.value === 1, { timeoutMs: 5000 });
  assert.equal(
    a.proc.all('cloudModeChanged')[0]?.value,
    0,
    `a lone host starts in cloudMode 0; ${cluster.describe()}`,
  );

  const browserA = cluster.browser({ roomId: roomA, version: 2, name: 'browserA(v2)' });
  const browserB = cluster.browser({ roomId: roomB, version: 2, name: 'browserB(v2)' });
  const browserC = cluster.browser({ roomId: roomC, version: 4, name: 'browserC(v4)' });
  await Promise.all([browserA, browserB, browserC].map((br) => br.waitConnected()));

  // Converge: each pair round-trips (the host has processed every matchTarget).
  await roundTrip(a, browserA);
  await roundTrip(b, browserB);
  await roundTrip(c, browserC);

  const status = await cluster.status();
  assert.ok(status, 'GET /status must answer as entry-hw-server');
  assert.equal(status.runningMode, 2);
  assert.equal(status.cloudMode, 1);
  assert.equal(status.peers, 2, `/status peers: ${JSON.stringify(status)}`);
  assert.equal(status.browsers, 3, `/status browsers: ${JSON.stringify(status)}`);

  await exchange([
    { instance: a, browser: browserA, room: roomA, sender: roomA },
    { instance: b, browser: browserB, room: roomB, sender: roomB },
    { instance: c, browser: browserC, room: roomC, sender: roomC },
  ]);
  await sleep(300); // let any misrouted copy arrive

  // Every instance has its own roomId, so nothing may ever have crossed rooms, probes included.
  for (const [instance, room] of [
    [a, roomA],
    [b, roomB],
    [c, roomC],
  ] as const) {
    const foreign = foreignAtParent(instance, new Set([room]));
    assert.deepEqual(foreign, [], `${instance.name}'s parent received other rooms' browser messages`);
  }
  for (const [browser, room] of [
    [browserA, roomA],
    [browserB, roomB],
    [browserC, roomC],
  ] as const) {
    const foreign = foreignAtBrowser(browser, new Set([room]));
    assert.deepEqual(foreign, [], `${browser.name} received other rooms' parent sends`);
  }

  // Each parent heard of its own room's browser only. C got its roomId just after its role
  // settled: a peer without a room for a moment, told ROOM_UNKNOWN once (docs/PROTOCOL.md §4).
  for (const [instance, room] of [
    [a, roomA],
    [b, roomB],
    [c, roomC],
  ] as const) {
    assert.deepEqual(browserEvents(instance.proc), [`connection:${room}`], `${instance.name}'s parent`);
  }
  assert.deepEqual(
    [a, b, c].map((inst) => `${inst.name}:${errorCodes(inst.proc).join(',')}`),
    ['A:', 'B:', 'C:ROOM_UNKNOWN'],
    `errors; ${cluster.describe()}`,
  );

  // Peers leave one by one: the host stays cloud until the last one is gone. A peer leaving is
  // another student's Entry HW going away, not a browser: no parent hears of it (the real Entry HW
  // resets its device on `close` of its own roomId, or of any value while it has none).
  const aFrom = a.proc.messages.length;
  const cFrom = c.proc.messages.length;
  b.proc.disconnectParent();
  await b.proc.exited;
  await until(async () => (await cluster.status())?.peers === 1, {
    timeoutMs: 5000,
    describe: () => '/status peers to drop to 1',
  });
  await roundTrip(c, browserC, { label: 'after B left' });
  assert.equal(
    lastValue(a.proc, 'cloudModeChanged'),
    1,
    `host must stay cloud while C is connected; ${cluster.describe()}`,
  );
  c.proc.child.kill('SIGKILL');
  await a.proc.waitFor('cloudModeChanged', (m) => m.value === 0, { from: aFrom, timeoutMs: 5000 });
  const after = await until(
    async () => {
      const s = await cluster.status();
      return s && s.peers === 0 ? s : undefined;
    },
    { timeoutMs: 3000, describe: () => '/status peers to drop to 0' },
  );
  assert.equal(after.cloudMode, 0);
  await roundTrip(a, browserA, { label: 'after the peers left' });
  await a.proc.drain();
  assert.deepEqual(
    browserEvents(a.proc, aFrom),
    [],
    "peers leaving are not browsers: the host's parent hears nothing",
  );
  assert.deepEqual(browserEvents(c.proc, cFrom), [], "C's parent hears nothing of B leaving");
  assert.ok(
    browserB.connected && browserC.connected,
    'the tabs of the rooms that lost their peer stay connected',
  );
});

test('a host without its own roomId in a cloud serves no browser: not unmatched rooms, not tabs without a roomId', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [roomB, roomC, roomX] = [randomRoomId(), randomRoomId(), randomRoomId()] as [string, string, string];

  const host = await cluster.start('host', {});
  assert.equal(lastValue(host.proc, 'runningModeChanged'), 2);
  const b = await cluster.start('B', { roomId: roomB });
  const c = await cluster.start('C', { roomId: roomC, roomIdFirst: true });
  const browserB = cluster.browser({ roomId: roomB, version: 2, name: 'browserB(v2)' });
  const browserC = cluster.browser({ roomId: roomC, version: 4, name: 'browserC(v4)' });
  const browserX = cluster.browser({ roomId: roomX, version: 2, name: 'browserX(v2, unmatched room)' });
  const browserN = cluster.browser({ version: 4, name: 'browserN(v4, no roomId)' });
  await Promise.all(cluster.browsers.map((br) => br.waitConnected()));
  await roundTrip(b, browserB);
  await roundTrip(c, browserC);

  // The host cannot tell which tab is its student's (room X may be a student whose Entry HW has not
  // started yet): it serves none, and its parent is told so once, when the first peer came.
  const hostNonce = randomRoomId();
  for (let seq = 1; seq <= 5; seq += 1) {
    browserX.emit(browserPayload({ room: roomX, kind: 'unserved', seq, nonce: hostNonce }));
    browserN.emit(browserPayload({ room: 'none', kind: 'unserved', seq, nonce: hostNonce }));
    host.proc.send({ key: 'send', value: { room: 'host', kind: 'unserved', seq, nonce: hostNonce } });
  }
  await exchange([
    { instance: b, browser: browserB, room: roomB, sender: roomB },
    { instance: c, browser: browserC, room: roomC, sender: roomC },
  ]);
  await sleep(300); // let any misrouted copy arrive
  await host.proc.drain();

  assert.deepEqual(parentTags(host.proc), [], "the host's parent received browser messages");
  for (const [browser, room] of [
    [browserX, roomX],
    [browserN, 'none'],
  ] as const) {
    assert.deepEqual(browser.tags(), [], `${browser.name} (room ${room}) received parent sends`);
  }
  assert.deepEqual(foreignAtParent(b, new Set([roomB])), [], 'peer B received foreign browser messages');
  assert.deepEqual(foreignAtParent(c, new Set([roomC])), [], 'peer C received foreign browser messages');
  assert.deepEqual(
    foreignAtBrowser(browserB, new Set([roomB])),
    [],
    "browser of peer B's room received the host's sends (the original broadcast leak)",
  );
  assert.deepEqual(
    foreignAtBrowser(browserC, new Set([roomC])),
    [],
    "browser of peer C's room received the host's sends (the original broadcast leak)",
  );
  assert.deepEqual(errorCodes(host.proc), ['ROOM_UNKNOWN'], 'ROOM_UNKNOWN is told once');
  const kinds = host.proc.messages.map(
    (m) => `${m.key}=${JSON.stringify((m.value as { code?: string })?.code ?? m.value)}`,
  );
  const cloudAt = kinds.indexOf('cloudModeChanged=1');
  assert.ok(
    cloudAt >= 0 && kinds.indexOf('error="ROOM_UNKNOWN"') > cloudAt,
    `ROOM_UNKNOWN only once a peer came: ${kinds.join(', ')}`,
  );

  // Tabs it never served leave: its parent hears nothing, never `close undefined` (the real Entry
  // HW without a roomId resets its device on any close).
  const hostFrom = host.proc.messages.length;
  browserN.close();
  browserX.close();
  await until(async () => (await cluster.status())?.browsers === 2, {
    timeoutMs: 5000,
    describe: () => '/status browsers to drop to 2',
  });
  await host.proc.drain();
  assert.deepEqual(browserEvents(host.proc), [], "the host's parent heard of browsers it does not serve");
  assert.deepEqual(
    host.proc.messages.slice(hostFrom).map((m) => m.key),
    ['encrypt'],
  );
});
