// Proves that instances started as the real Entry HW starts them (a first launch never sends
// `addRoomId`; the roomId comes later, when the student opens the Entry link again, or never)
// serve only their own student's tab (docs/PROTOCOL.md §4): while an instance on a cloud
// PC has no roomId it serves nobody and its parent is told ROOM_UNKNOWN once; once its roomId
// comes it serves that room both ways; a parent never hears of another student's tab; and a single
// PC without a roomId still serves every tab, as the original did.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  browserEvents,
  browserPayload,
  CloudCluster,
  crossings,
  errorCodes,
  exchange,
  type Instance,
  lastValue,
  parentTags,
  randomRoomId,
  roundTrip,
  type Student,
  sleep,
  type TestBrowser,
  until,
} from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';

/** What entryjs sends from playentry.org. */
const ENTRY_PAGE = { Origin: 'https://playentry.org' };

type Plan = 'late' | 'never';

/** Each side of every student sends `count` messages tagged `kind`, 20 ms apart. */
async function chatter(students: readonly Student[], kind: string, count = 10): Promise<void> {
  for (let seq = 1; seq <= count; seq += 1) {
    for (const s of students) {
      s.tab.emit(browserPayload({ room: s.room, kind, seq }));
      s.instance.proc.send({ key: 'send', value: { room: s.room, kind, seq } });
    }
    await sleep(20);
  }
}

/** Tagged messages of `kind` that reached anyone at all. */
function arrived(students: readonly Student[], kind: string): string[] {
  const out: string[] = [];
  for (const s of students) {
    for (const tag of parentTags(s.instance.proc))
      if (tag.kind === kind) out.push(`${s.instance.name}'s parent got ${tag.room}#${tag.seq}`);
    for (const tag of s.tab.tags())
      if (tag.kind === kind) out.push(`${s.tab.name} got ${tag.room}#${tag.seq}`);
  }
  return out;
}

/** Waits until every message each instance sent its parent so far has arrived. */
async function drainAll(students: readonly Student[]): Promise<void> {
  await Promise.all(students.filter((s) => s.instance.proc.alive).map((s) => s.instance.proc.drain()));
}

/**
 * Three students on a cloud PC, each Entry HW started without a roomId (the first launch), then
 * three Entry tabs (socket.io-client 2.5.0, 2.5.0, 4.x). The roomIds then arrive per `plan`:
 * `late` (addRoomId, as Entry HW sends it when its link is opened while it runs) or `never`.
 */
async function firstLaunch(t: import('node:test').TestContext, plan: [Plan, Plan, Plan]): Promise<void> {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const rooms = [randomRoomId(), randomRoomId(), randomRoomId()] as const;
  const a = await cluster.start('A');
  assert.equal(lastValue(a.proc, 'runningModeChanged'), 2, cluster.describe());
  assert.deepEqual(errorCodes(a.proc), [], 'alone, the host is a single server: nothing to tell');
  const b = await cluster.start('B');
  const c = await cluster.start('C');
  await cluster.waitForStableRoles();
  const instances = [a, b, c] as const;
  const versions = [2, 2, 4] as const;
  const students: Student[] = instances.map((instance, i) => ({
    room: rooms[i] as string,
    instance,
    tab: cluster.browser({
      roomId: rooms[i],
      version: versions[i],
      headers: ENTRY_PAGE,
      name: `tab ${instance.name} (v${versions[i]})`,
    }),
  }));
  await Promise.all(students.map((s) => s.tab.waitConnected()));

  // Nobody knows their room: every parent is told so once (the host once it had a peer), and no
  // message gets through in either direction.
  await Promise.all(
    instances.map((inst) =>
      inst.proc.waitFor('error', (m) => m.value.code === 'ROOM_UNKNOWN', { timeoutMs: 5000 }),
    ),
  );
  const hostLog = a.proc.messages.map((m) => (m.key === 'error' ? 'ROOM_UNKNOWN' : `${m.key}=${m.value}`));
  const cloudAt = hostLog.indexOf('cloudModeChanged=1');
  assert.ok(
    cloudAt >= 0 && hostLog.indexOf('ROOM_UNKNOWN') > cloudAt,
    `the host is told only once it has a peer: ${hostLog.join(', ')}`,
  );
  await chatter(students, 'unpaired');
  await sleep(300);
  await drainAll(students);
  assert.deepEqual(arrived(students, 'unpaired'), [], 'nobody may be served before their roomId is known');
  for (const inst of instances)
    assert.deepEqual(browserEvents(inst.proc), [], `${inst.name}'s parent heard of a tab`);

  // The roomIds arrive late (a peer first, then the host, then the other peer), or never.
  const marks = new Map(instances.map((inst) => [inst, inst.proc.messages.length]));
  for (const i of [1, 0, 2]) {
    const s = students[i] as Student;
    if (plan[i] === 'never') continue;
    await cluster.addRoomId(s.instance, s.room);
    // Its tab is already here: the parent hears `connection` for it, and Entry HW re-announces the device.
    await s.instance.proc.waitFor('connection', (m) => m.value?.roomId === s.room, {
      from: marks.get(s.instance),
      timeoutMs: 5000,
    });
    await roundTrip(s.instance, s.tab, { label: 'after the late roomId' });
  }
  const paired = students.filter((_, i) => plan[i] === 'late');
  const unpaired = students.filter((_, i) => plan[i] === 'never');
  await Promise.all([
    exchange(paired.map((s) => ({ instance: s.instance, browser: s.tab, room: s.room, sender: s.room }))),
    chatter(unpaired, 'never-paired'),
  ]);
  await sleep(300);
  await drainAll(students);

  assert.deepEqual(crossings(students), [], 'a message reached another student');
  assert.deepEqual(arrived(students, 'unpaired'), [], 'a message sent before the roomIds came arrived later');
  assert.deepEqual(arrived(students, 'never-paired'), [], 'an instance without a roomId served someone');
  for (const s of students) {
    const i = students.indexOf(s);
    assert.deepEqual(
      browserEvents(s.instance.proc),
      plan[i] === 'late' ? [`connection:${s.room}`] : [],
      `${s.instance.name}'s parent hears only of its own tab, once it knows its room`,
    );
    assert.deepEqual(errorCodes(s.instance.proc), ['ROOM_UNKNOWN'], `${s.instance.name}: ROOM_UNKNOWN once`);
  }
}

test('first launch on a cloud PC: nobody is served until the roomIds come late, then each pair works and nothing crosses', (t) =>
  firstLaunch(t, ['late', 'late', 'late']));

test('first launch: the host and one peer never get a roomId and serve nobody, the other peer works', (t) =>
  firstLaunch(t, ['never', 'late', 'never']));

test('first launch: one peer never gets a roomId and serves nobody, the host and the other peer work', (t) =>
  firstLaunch(t, ['late', 'never', 'late']));

// docs/PROTOCOL.md §4 (held messages): "When its first peer arrives, a host drops everything it held
// except what it held for its own room". A roomless host on its own is a single server, so it holds
// its sends for any reloading tab; when the first peer comes those tabs are no longer its, and what
// it held must not reach them when they come back.
test('what a roomless single server held for a reloading tab does not reach it once a peer has come', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [rb, rc] = [randomRoomId(), randomRoomId()];
  const host = await cluster.start('H (no roomId)');
  const tabs = [
    cluster.browser({ roomId: rb, headers: ENTRY_PAGE, name: 'tab b', reconnect: false }),
    cluster.browser({ version: 4, headers: ENTRY_PAGE, name: 'tab without roomId', reconnect: false }),
  ];
  await Promise.all(tabs.map((tab) => tab.waitConnected()));
  for (const tab of tabs) await roundTrip(host, tab, { label: 'as a single server' });
  // Both tabs reload: while they are away, the single server holds its parent's sends for them.
  for (const tab of tabs) tab.close();
  await until(async () => (await cluster.status())?.browsers === 0, {
    timeoutMs: 5000,
    describe: () => '/status browsers = 0',
  });
  const leftAt = Date.now();
  for (let seq = 1; seq <= 5; seq += 1)
    host.proc.send({ key: 'send', value: { room: 'host', kind: 'held', seq } });
  await host.proc.drain();
  // Another student's Entry HW joins: the host is part of a cloud and serves nobody from now on.
  await cluster.start('C', { roomId: rc, roomIdFirst: true });
  await host.proc.waitFor('cloudModeChanged', (m) => m.value === 1, { timeoutMs: 5000 });
  const back = [
    cluster.browser({ roomId: rb, headers: ENTRY_PAGE, name: 'tab b, reloaded' }),
    cluster.browser({ version: 4, headers: ENTRY_PAGE, name: 'tab without roomId, reloaded' }),
  ];
  await Promise.all(back.map((tab) => tab.waitConnected()));
  assert.ok(Date.now() - leftAt < 5000, 'the tabs came back within the 5 s reconnect window');
  await sleep(300);
  for (const tab of back) {
    assert.deepEqual(
      tab.tags().map((tag) => `${tag.kind}#${tag.seq}`),
      [],
      `${tab.name} got what the host held for it as a single server`,
    );
  }
});

/** A single PC: one Entry HW (a first launch, no roomId) and tabs of several Entry pages. */
async function singlePc(t: import('node:test').TestContext): Promise<{
  cluster: CloudCluster;
  server: Instance;
  tabs: TestBrowser[];
  rooms: string[];
}> {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const server = await cluster.start('single');
  const rooms = [randomRoomId(), randomRoomId(), randomRoomId()];
  const tabs = [
    cluster.browser({ roomId: rooms[0], version: 2, headers: ENTRY_PAGE, name: 'tab 1 (v2)' }),
    cluster.browser({ roomId: rooms[1], version: 4, headers: ENTRY_PAGE, name: 'tab 2 (v4)' }),
    cluster.browser({ roomId: rooms[2], version: 2, headers: ENTRY_PAGE, name: 'tab 3 (v2)' }),
    cluster.browser({ version: 4, headers: ENTRY_PAGE, name: 'tab without roomId (v4)' }),
  ];
  await Promise.all(tabs.map((tab) => tab.waitConnected()));
  return { cluster, server, tabs, rooms };
}

test('a single PC keeps the original behaviour: every tab reaches the parent, its sends reach every tab', async (t) => {
  const { server, tabs } = await singlePc(t);
  await exchange(
    tabs.map((tab) => ({ instance: server, browser: tab, room: tab.roomId ?? 'none', sender: 'single' })),
  );
  const roomOf = (tab: TestBrowser) => String(tab.roomId);
  assert.deepEqual(
    browserEvents(server.proc).sort(),
    tabs.map((tab) => `connection:${roomOf(tab)}`).sort(),
    'connection for each tab',
  );
  const from = server.proc.messages.length;
  for (const tab of tabs) {
    tab.close();
    await server.proc.waitFor('close', (m) => m.value === tab.roomId, { from, timeoutMs: 5000 });
  }
  await sleep(200);
  await server.proc.drain();
  assert.deepEqual(
    browserEvents(server.proc, from),
    tabs.map((tab) => `close:${roomOf(tab)}`),
    'close for each tab, once, with its roomId (undefined for the tab without one, as the original)',
  );
  assert.deepEqual(errorCodes(server.proc), []);
  assert.deepEqual(
    server.proc.all('cloudModeChanged').map((m) => m.value),
    [0],
  );
});

test('a single PC whose Entry HW is told its roomId later serves that room only from then on', async (t) => {
  const { cluster, server, tabs, rooms } = await singlePc(t);
  const own = tabs[0] as TestBrowser;
  await roundTrip(server, own, { label: 'as a single server' });
  // A fence every tab receives: the round trip's last probes (sent to every tab) are in before it.
  server.proc.send({ key: 'send', value: { room: 'fence', kind: 'fence', seq: 1 } });
  await until(() => tabs.every((tab) => tab.tags().some((tag) => tag.kind === 'fence')), {
    timeoutMs: 5000,
    describe: () => 'the fence at every tab',
  });
  const mark = server.proc.messages.length;
  const tabMarks = new Map(tabs.map((tab) => [tab, tab.received.length]));
  await cluster.addRoomId(server, rooms[0] as string);
  await server.proc.waitFor('connection', (m) => m.value?.roomId === rooms[0], {
    from: mark,
    timeoutMs: 5000,
  });
  await roundTrip(server, own, { label: 'after the late roomId' });
  for (let seq = 1; seq <= 10; seq += 1) {
    for (const tab of tabs) tab.emit(browserPayload({ room: tab.roomId ?? 'none', kind: 'after', seq }));
    server.proc.send({ key: 'send', value: { room: rooms[0], kind: 'after', seq } });
    await sleep(20);
  }
  await roundTrip(server, own, { label: 'after the other tabs spoke' });
  await sleep(200);
  await server.proc.drain();
  assert.deepEqual(
    parentTags(server.proc, mark)
      .filter((tag) => tag.room !== rooms[0])
      .map((tag) => `${tag.room}/${tag.kind}#${tag.seq}`),
    [],
    'only its own room reaches the parent',
  );
  assert.equal(parentTags(server.proc, mark).filter((tag) => tag.kind === 'after').length, 10);
  for (const tab of tabs.slice(1))
    assert.deepEqual(tab.tags(tabMarks.get(tab)), [], `${tab.name} got the parent's sends`);
  // The other tabs leave: they are no longer served, so the parent hears nothing of them.
  for (const tab of tabs.slice(1)) tab.close();
  await sleep(300);
  own.close();
  await server.proc.waitFor('close', (m) => m.value === rooms[0], { from: mark, timeoutMs: 5000 });
  await server.proc.drain();
  assert.deepEqual(browserEvents(server.proc, mark), [`connection:${rooms[0]}`, `close:${rooms[0]}`]);
  assert.deepEqual(errorCodes(server.proc), []);
});
