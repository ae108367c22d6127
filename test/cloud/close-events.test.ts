// Proves that on a cloud PC a parent hears `close` only for its own student's tab
// (docs/PROTOCOL.md §4): the real Entry HW resets its device (`hwModule.reset()`) on `close` of its
// own roomId, or of any value while it has none, so a `close` for another student's tab, for a peer
// quitting, or `close undefined`, stops this student's robot. The host's parent (with and without
// a roomId) and a peer's parent count their `close` messages while other rooms' tabs reload and
// close and peers with and without a room quit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  browserEvents,
  CloudCluster,
  errorCodes,
  type Instance,
  randomRoomId,
  roundTrip,
  sleep,
  type TestBrowser,
  until,
} from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';

const ENTRY_PAGE = { Origin: 'https://playentry.org' };

async function closeCounting(t: import('node:test').TestContext, hostHasRoom: boolean): Promise<void> {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [h, p, q, r, s, x] = [
    randomRoomId(),
    randomRoomId(),
    randomRoomId(),
    randomRoomId(),
    randomRoomId(),
    randomRoomId(),
  ] as const;
  const host = await cluster.start(hostHasRoom ? 'H' : 'H (no roomId)', hostHasRoom ? { roomId: h } : {});
  const peerP = await cluster.start('P', { roomId: p, roomIdFirst: true });
  const peerQ = await cluster.start('Q (no roomId)');
  const peerR = await cluster.start('R', { roomId: r, roomIdFirst: true });
  await cluster.waitForStableRoles();
  const tab = (room: string, name: string, version: 2 | 4 = 2) =>
    cluster.browser({ roomId: room, version, headers: ENTRY_PAGE, name, reconnect: false });
  const tabs = {
    h: tab(h, 'tab h'),
    p: tab(p, 'tab p', 4),
    q: tab(q, 'tab q'),
    r: tab(r, 'tab r'),
    x: tab(x, 'tab x (no Entry HW)'),
  };
  await Promise.all(Object.values(tabs).map((b) => b.waitConnected()));
  await roundTrip(peerP, tabs.p);
  await roundTrip(peerR, tabs.r);
  if (hostHasRoom) await roundTrip(host, tabs.h);
  const browsersNow = async (n: number) =>
    until(async () => (await cluster.status())?.browsers === n, {
      timeoutMs: 5000,
      describe: () => `/status browsers = ${n}`,
    });
  const peersNow = async (n: number) =>
    until(async () => (await cluster.status())?.peers === n, {
      timeoutMs: 5000,
      describe: () => `/status peers = ${n}`,
    });
  const counted = [host, peerP, peerQ];
  const marks = new Map(counted.map((i) => [i, i.proc.messages.length]));
  const heard = (i: Instance) => browserEvents(i.proc, marks.get(i));
  let browsers = 5;

  // Other rooms' tabs reload (close, then the page opens again) and close.
  const reload = async (old: TestBrowser, room: string, name: string): Promise<TestBrowser> => {
    old.close();
    await browsersNow(browsers - 1);
    const fresh = tab(room, name);
    await fresh.waitConnected();
    await browsersNow(browsers);
    return fresh;
  };
  tabs.x = await reload(tabs.x, x, 'tab x, reloaded');
  tabs.q = await reload(tabs.q, q, 'tab q, reloaded');
  const rFrom = peerR.proc.messages.length;
  tabs.r = await reload(tabs.r, r, 'tab r, reloaded');
  await roundTrip(peerR, tabs.r, { label: 'after the reload' });
  assert.deepEqual(
    browserEvents(peerR.proc, rFrom),
    [`close:${r}`, `connection:${r}`],
    "R hears of its own tab's reload",
  );
  tabs.x.close();
  browsers -= 1;
  await browsersNow(browsers);

  // Peers quit: R (with a room, its tab still open), Q (without a room); then a new student S comes
  // with a tab and quits again, and the tabs of the rooms whose Entry HW quit close.
  peerR.proc.disconnectParent();
  await peerR.proc.exited;
  await peersNow(2);
  peerQ.proc.child.kill('SIGKILL');
  await peerQ.proc.exited;
  await peersNow(1);
  const peerS = await cluster.start('S', { roomId: s });
  await peersNow(2);
  const tabS = tab(s, 'tab s');
  await tabS.waitConnected();
  browsers += 1;
  await roundTrip(peerS, tabS);
  peerS.proc.child.kill('SIGKILL');
  await peerS.proc.exited;
  await peersNow(1);
  for (const b of [tabs.r, tabs.q, tabS]) b.close();
  browsers -= 3;
  await browsersNow(browsers);
  if (!hostHasRoom) {
    // The host's own student's tab: the host does not know its room, so it never served that tab.
    tabs.h.close();
    browsers -= 1;
    await browsersNow(browsers);
  }
  await sleep(200);
  await Promise.all([host.proc.drain(), peerP.proc.drain()]);
  assert.deepEqual(heard(host), [], "the host's parent heard of other rooms' tabs or of peers quitting");
  assert.deepEqual(heard(peerP), [], "P's parent heard of other rooms' tabs or of peers quitting");
  assert.deepEqual(heard(peerQ), [], "Q's parent (no roomId) heard of another room's tab");

  // Its own tab closes: exactly one close with its roomId, and nobody else hears it.
  tabs.p.close();
  await peerP.proc.waitFor('close', (m) => m.value === p, { from: marks.get(peerP), timeoutMs: 5000 });
  browsers -= 1;
  await browsersNow(browsers);
  if (hostHasRoom) {
    tabs.h.close();
    await host.proc.waitFor('close', (m) => m.value === h, { from: marks.get(host), timeoutMs: 5000 });
    browsers -= 1;
    await browsersNow(browsers);
  }
  assert.equal(browsers, 0);
  await sleep(200);
  await Promise.all([host.proc.drain(), peerP.proc.drain()]);
  assert.deepEqual(heard(host), hostHasRoom ? [`close:${h}`] : [], "the host's parent");
  assert.deepEqual(heard(peerP), [`close:${p}`], "P's parent");
  for (const inst of cluster.instances) {
    assert.deepEqual(
      inst.proc.all('close').filter((m) => m.value === undefined),
      [],
      `${inst.name}'s parent got close undefined in a cloud`,
    );
    const foreign = browserEvents(inst.proc).filter(
      (e) => inst.roomId === undefined || !e.endsWith(`:${inst.roomId}`),
    );
    assert.deepEqual(foreign, [], `${inst.name}'s parent heard of a tab not its own student's`);
  }
  assert.deepEqual(errorCodes(host.proc), hostHasRoom ? [] : ['ROOM_UNKNOWN']);
  assert.deepEqual(errorCodes(peerQ.proc), ['ROOM_UNKNOWN']);
  assert.deepEqual(errorCodes(peerP.proc), []);
}

test("the host's parent (with a roomId) hears close only for its own tab, never for other rooms or peers quitting", (t) =>
  closeCounting(t, true));

test("the host's parent without a roomId hears no close at all in a cloud; a peer's parent only its own tab's", (t) =>
  closeCounting(t, false));
