// Proves that a brand-new instance that becomes host while the peers back off (the host was lost
// and a student starts Entry HW at that moment) serves only its own student's room when its parent
// set a roomId, before or right after `open` (docs/PROTOCOL.md §4, invariant 1), and that
// the peers rejoin it and their rooms work again with nothing crossed. The peers are frozen
// (SIGSTOP) while the host is killed and the new one starts, so it is certain the new instance
// becomes host having never seen a peer. Also shows the known remaining risk when the new host has
// no roomId: it is a single server until the first peer rejoins; from then on it serves nobody.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  browserEvents,
  CloudCluster,
  crossings,
  errorCodes,
  type Instance,
  lastValue,
  parentTags,
  randomRoomId,
  roundTrip,
  type Stream,
  type Student,
  sleep,
  type TestBrowser,
  until,
} from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';
import { NO_FREEZE } from '../support/platform';

const ENTRY_PAGE = { Origin: 'https://playentry.org' };

type NewHostRoom = 'before-open' | 'right-after-open' | 'none';

/**
 * Waits until every stream has sent `more` messages each way from now on (browser → parent only
 * for a stream whose instance is gone).
 */
async function flows(
  streams: readonly Stream[],
  more: number,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const from = streams.map((s) => ({ b2p: s.b2pSent.length, p2b: s.p2bSent.length }));
  await until(
    () =>
      streams.every((s, i) => {
        const f = from[i] as { b2p: number; p2b: number };
        return (
          s.b2pSent.length >= f.b2p + more && (!s.instance.proc.alive || s.p2bSent.length >= f.p2b + more)
        );
      }),
    {
      timeoutMs,
      describe: () =>
        `${more} more messages each way in every stream (${what}): ${streams
          .map(
            (s, i) =>
              `${s.browser.name} b2p ${from[i]?.b2p}→${s.b2pSent.length} p2b ${from[i]?.p2b}→${s.p2bSent.length} (connected ${s.browser.connected})`,
          )
          .join('; ')}`,
    },
  );
}

/** Waits until each stream's messages sent after now arrive both ways. */
async function recovered(streams: readonly Stream[], what: string, describe: () => string): Promise<void> {
  const from = streams.map((s) => ({ b2p: s.b2pSent.length, p2b: s.p2bSent.length }));
  await until(
    () =>
      streams.every((s, i) => {
        const f = from[i] as { b2p: number; p2b: number };
        return s.b2pReceived().some((seq) => seq > f.b2p) && s.p2bReceived().some((seq) => seq > f.p2b);
      }),
    { timeoutMs: 15_000, describe: () => `traffic in every room again (${what}); ${describe()}` },
  );
}

async function freshHost(t: import('node:test').TestContext, newHostRoom: NewHostRoom): Promise<void> {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [ra, rb, rc, rd] = [randomRoomId(), randomRoomId(), randomRoomId(), randomRoomId()] as const;
  const a = await cluster.start('A', { roomId: ra });
  const b = await cluster.start('B', { roomId: rb });
  const c = await cluster.start('C', { roomId: rc });
  await cluster.waitForStableRoles();
  const tab = (room: string, name: string, version: 2 | 4) =>
    cluster.browser({ roomId: room, version, headers: ENTRY_PAGE, name });
  const tabs = [tab(ra, 'tab a (v2)', 2), tab(rb, 'tab b (v2)', 2), tab(rc, 'tab c (v4)', 4)] as const;
  await Promise.all(tabs.map((x) => x.waitConnected()));
  const students: Student[] = [a, b, c].map((instance, i) => ({
    room: [ra, rb, rc][i] as string,
    instance,
    tab: tabs[i] as TestBrowser,
  }));
  for (const s of students) await roundTrip(s.instance, s.tab);
  const streams = students.map((s) => cluster.stream(s.instance, s.tab, s.room));
  await flows(streams, 10, 'before the host is lost');
  const peers = [b, c] as const;
  const frozenAt = new Map<Instance, number>(peers.map((p) => [p, p.proc.messages.length]));

  // The peers back off (frozen: they run no code at all), the host is killed, a student starts
  // Entry HW at that moment: it takes the port, never having seen a peer.
  for (const p of peers) p.proc.freeze();
  a.proc.child.kill('SIGKILL');
  await a.proc.exited;
  const d =
    newHostRoom === 'none'
      ? await cluster.start('D (no roomId)')
      : await cluster.start('D', {
          roomId: rd,
          roomIdFirst: newHostRoom === 'before-open',
          waitForRole: newHostRoom === 'before-open',
        });
  await d.proc.waitFor('runningModeChanged', () => true, { timeoutMs: 15_000 });
  assert.equal(lastValue(d.proc, 'runningModeChanged'), 2, `the new instance is host; ${cluster.describe()}`);
  await d.proc.waitFor('cloudModeChanged', () => true, { timeoutMs: 5000 });
  assert.equal(lastValue(d.proc, 'cloudModeChanged'), 0);
  const tabD = tab(rd, 'tab d (v2)', 2);
  await tabD.waitConnected();
  const studentD: Student = { room: rd, instance: d, tab: tabD };
  students.push(studentD);
  if (newHostRoom !== 'none') await roundTrip(d, tabD, { label: 'the new host and its own tab' });
  const streamD = cluster.stream(d, tabD, rd);
  streams.push(streamD);
  // The other tabs find the new host (entryjs retries 1.5 s after a disconnect) and keep sending.
  await until(() => tabs.every((x) => x.connected && x.connections >= 2), {
    timeoutMs: 10_000,
    describe: () =>
      `tabs a, b, c to reconnect to D: ${tabs.map((x) => `${x.name} ${x.connections}`).join(', ')}`,
  });
  await flows(streams, 25, 'while the peers are frozen');
  await sleep(200);
  await d.proc.drain();
  const window = {
    fromTabs: parentTags(d.proc).filter((tag) => tag.room !== rd).length,
    toTabs: tabs.map((x) => x.tags().filter((tag) => tag.room === rd).length),
    heard: browserEvents(d.proc),
  };
  if (newHostRoom !== 'none') {
    assert.deepEqual(
      crossings(students),
      [],
      'while the peers were frozen, a message reached another student',
    );
    assert.deepEqual(window.heard, [`connection:${rd}`], "D's parent hears only of its own tab");
  } else {
    t.diagnostic(
      `known remaining risk: D without a roomId, never part of a cloud, is a single server until a peer rejoins: ` +
        `its parent got ${window.fromTabs} messages of tabs a/b/c, its sends reached tabs a/b/c ${window.toTabs.join('/')} times; it heard ${window.heard.join(' ')}`,
    );
  }

  // The peers come back: they find the new host, join it and claim their rooms again.
  const thawAt = d.proc.messages.length;
  for (const p of peers) p.proc.thaw();
  let dCloudSeq = Number.POSITIVE_INFINITY;
  if (newHostRoom === 'none') {
    await d.proc.waitFor('cloudModeChanged', (m) => m.value === 1, { from: thawAt, timeoutMs: 15_000 });
    // Read in the same turn as the message: every D send numbered above this left the test after D
    // had become part of a cloud.
    dCloudSeq = streamD.p2bSent.length;
  }
  await cluster.waitForStableRoles(15_000);
  assert.equal(cluster.hosts()[0], d, cluster.describe());
  const rejoined = streams.filter((s) => s.instance === b || s.instance === c);
  await recovered(rejoined, 'after the peers rejoined', () => cluster.describe());
  await roundTrip(b, tabs[1], { label: 'B after rejoining' });
  await roundTrip(c, tabs[2], { label: 'C after rejoining' });
  await flows(streams, 10, 'after the peers rejoined');
  for (const s of streams) s.stop();
  await sleep(300);
  await Promise.all([b, c, d].map((i) => i.proc.drain()));

  for (const p of peers) {
    assert.deepEqual(errorCodes(p.proc, frozenAt.get(p)), [], `${p.name}: no error after the failover`);
    assert.deepEqual(
      browserEvents(p.proc, frozenAt.get(p)),
      [`connection:${p.roomId}`],
      `${p.name}'s parent hears connection for its tab, already back, when its claim is granted`,
    );
  }
  if (newHostRoom !== 'none') {
    // Tab a's Entry HW is gone: nothing reaches tab a any more, and what it says reaches nobody.
    assert.deepEqual(crossings(students), [], 'a message reached another student');
    assert.deepEqual(errorCodes(d.proc), []);
    assert.deepEqual(browserEvents(d.proc), [`connection:${rd}`], "D's parent hears only of its own tab");
    return;
  }
  // Without a roomId: when the first peer rejoined, D stopped serving and its parent heard close
  // once for each room it had served; from then on it serves nobody and is told ROOM_UNKNOWN once.
  const cloudAt = d.proc.messages.findIndex(
    (m, i) => i >= thawAt && m.key === 'cloudModeChanged' && m.value === 1,
  );
  const closes = d.proc.messages
    .slice(thawAt, cloudAt)
    .filter((m) => m.key === 'close')
    .map((m) => String(m.value))
    .sort();
  assert.deepEqual(
    closes,
    [ra, rb, rc, rd].sort(),
    'close once for each room D served, as the first peer came',
  );
  assert.deepEqual(
    d.proc.messages
      .slice(cloudAt + 1)
      .filter((m) => m.key === 'data' || m.key === 'connection' || m.key === 'close'),
    [],
    'D without a roomId in a cloud serves nobody and hears of no tab',
  );
  assert.deepEqual(errorCodes(d.proc), ['ROOM_UNKNOWN']);
  assert.deepEqual(errorCodes(d.proc, cloudAt), ['ROOM_UNKNOWN']);
  // The tabs: D's sends from before the peers rejoined are the known risk; none after, and
  // nothing of any other student ever.
  for (const s of students) {
    const foreign = s.tab
      .tags()
      .filter(
        (tag) => tag.room !== s.room && !(tag.room === rd && tag.kind === 'p2b' && tag.seq <= dCloudSeq),
      );
    assert.deepEqual(
      foreign.map((tag) => `${tag.room}/${tag.kind}#${tag.seq}`),
      [],
      `${s.tab.name} got another student's messages (D's after #${dCloudSeq}, when it became part of a cloud)`,
    );
  }
  for (const s of students.filter((x) => x.instance !== d)) {
    const foreign = parentTags(s.instance.proc).filter((tag) => tag.room !== s.room);
    assert.deepEqual(foreign, [], `${s.instance.name}'s parent got another student's messages`);
  }
}

test(
  'a new host with a roomId set before open serves only its room while the peers back off',
  { skip: NO_FREEZE },
  (t) => freshHost(t, 'before-open'),
);

test(
  'a new host with a roomId set right after open serves only its room while the peers back off',
  { skip: NO_FREEZE },
  (t) => freshHost(t, 'right-after-open'),
);

test(
  'a new host without a roomId: single server until the first peer rejoins, then serves nobody',
  { skip: NO_FREEZE },
  (t) => freshHost(t, 'none'),
);
