// In-process checks of pairing by OS session (docs/PROTOCOL.md §4 "Pairing by OS
// session") through the whole host: a host and peers as EntryServer objects whose OS-session lookups
// the test decides (each connection the host accepts gets the next answer of a queue, so a "tab of
// session 2" is a real socket.io connection the host believes is session 2's). What each parent
// hears (`connection`, `close`, `data`, `error`) and what each tab receives is checked: one
// announcement per tab, a reload paired before its lookup ends, a tab of another session un-pairing
// a room, a roomId from Entry HW taking a room from its session's instance, ROOM_UNKNOWN only for a
// tab that may be the instance's. The real OS runs in test/cloud/session-pairing.test.ts.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { freePort } from '../../harness/server-process';
import { sleep, until } from '../../harness/util';
import type { SessionAnswer, SessionLookup } from '../../src/os-session';
import { EntryServer } from '../../src/server/entry-server';
import { createLogger } from '../../src/util/log';
import { openTab, type LibraryTab as Tab } from '../helpers/library-tab';

const known = (uid: number): SessionAnswer => ({ known: true, session: { platform: 'linux', uid } });
const UNKNOWN: SessionAnswer = { known: false, reason: 'not-found' };

/** A lookup whose answers the test queues: the nth connection looked up gets the nth answer. */
class QueuedLookup implements SessionLookup {
  readonly mechanism = 'test';
  private readonly queue: Promise<SessionAnswer>[] = [];
  constructor(private readonly mine: SessionAnswer) {}
  next(answer: SessionAnswer | Promise<SessionAnswer>): void {
    this.queue.push(Promise.resolve(answer));
  }
  async own(): Promise<SessionAnswer> {
    return this.mine;
  }
  ofClient(): Promise<SessionAnswer> {
    return this.queue.shift() ?? Promise.resolve(UNKNOWN);
  }
}

interface Parent {
  server: EntryServer;
  heard: string[];
  data: unknown[];
}

function parentOf(server: EntryServer): Parent {
  const parent: Parent = { server, heard: [], data: [] };
  server.on('connection', (info) => parent.heard.push(`connection:${info?.roomId}`));
  server.on('close', (roomId) => parent.heard.push(`close:${roomId}`));
  server.on('error', (info) => parent.heard.push(`error:${info?.code}`));
  server.on('data', (value) => parent.data.push(value));
  return parent;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A host of session 1 with a queued lookup, and `peers` joined (sessions 2, 3, …). */
async function classroom(
  peerSessions: number[],
): Promise<{ port: number; lookup: QueuedLookup; host: Parent; peers: Parent[] }> {
  const port = await freePort();
  const logger = createLogger({ silent: true });
  const lookup = new QueuedLookup(known(1));
  const host = parentOf(new EntryServer({ http: true, port, logger, sessionLookup: lookup }));
  cleanups.push(() => host.server.close());
  await host.server.open();
  const peers: Parent[] = [];
  for (const uid of peerSessions) {
    lookup.next(known(uid)); // the host looks up the peer's own connection
    const peer = parentOf(
      new EntryServer({ http: true, port, logger, sessionLookup: new QueuedLookup(known(uid)) }),
    );
    cleanups.push(() => peer.server.close());
    await peer.server.open();
    peers.push(peer);
  }
  await until(() => host.server.status().peers === peerSessions.length, {
    describe: () => 'the peers to join',
  });
  return { port, lookup, host, peers };
}

async function track(tab: Tab): Promise<Tab> {
  cleanups.push(() => void tab.socket.close());
  return tab;
}

describe('pairing by OS session, in process', () => {
  it('pairs each tab with its session’s instance: one announcement, sends and messages both ways', async () => {
    const { port, lookup, host, peers } = await classroom([2]);
    const peer = peers[0] as Parent;
    lookup.next(known(1));
    const a = await track(await openTab(port, 'aaaaaaaaaa'));
    lookup.next(known(2));
    const b = await track(await openTab(port, 'bbbbbbbbbb'));
    await until(() => host.heard.length === 1 && peer.heard.length === 1, {
      describe: () => `announcements: host ${host.heard}, peer ${peer.heard}`,
    });
    host.server.sendToClient('from host');
    peer.server.sendToClient('from peer');
    a.socket.emit('message', 'from a');
    b.socket.emit('message', 'from b');
    await until(
      () =>
        a.received.length === 1 &&
        b.received.length === 1 &&
        host.data.length === 1 &&
        peer.data.length === 1,
      {
        describe: () => 'one message each way',
      },
    );
    await sleep(200);
    assert.deepEqual(a.received, [{ data: 'from host' }]);
    assert.deepEqual(b.received, [{ data: 'from peer' }]);
    assert.deepEqual(host.data, ['from a']);
    assert.deepEqual(peer.data, ['from b']);
    assert.deepEqual(host.heard, ['connection:aaaaaaaaaa'], 'no ROOM_UNKNOWN, no other room');
    assert.deepEqual(peer.heard, ['connection:bbbbbbbbbb']);
    assert.deepEqual(host.server.status().pairings, { claimed: 0, session: 2, none: 0 });
  });

  it('pairs a reload at once, before its lookup ends', async () => {
    const { port, lookup, peers } = await classroom([2]);
    const peer = peers[0] as Parent;
    lookup.next(known(2));
    const first = await openTab(port, 'bbbbbbbbbb');
    await until(() => peer.heard.length === 1, { describe: () => 'the first tab announced' });
    first.socket.close();
    await until(() => peer.heard.length === 2, { describe: () => 'the close' });
    lookup.next(new Promise<SessionAnswer>(() => {})); // this lookup never ends
    const again = await track(await openTab(port, 'bbbbbbbbbb'));
    await until(() => peer.heard.length === 3, { describe: () => `announced again: ${peer.heard}` });
    peer.server.sendToClient('after the reload');
    again.socket.emit('message', 'from the reloaded tab');
    await until(() => again.received.length === 1 && peer.data.length === 1, { describe: () => 'both ways' });
    assert.deepEqual(peer.heard, ['connection:bbbbbbbbbb', 'close:bbbbbbbbbb', 'connection:bbbbbbbbbb']);
  });

  it('a tab of another session in a paired room un-pairs it while it stays, never guessing', async () => {
    const { port, lookup, host, peers } = await classroom([2]);
    const peer = peers[0] as Parent;
    lookup.next(known(2));
    const own = await track(await openTab(port, 'bbbbbbbbbb'));
    await until(() => peer.heard.length === 1, { describe: () => 'announced' });
    lookup.next(known(3));
    const stranger = await openTab(port, 'bbbbbbbbbb');
    await until(() => peer.heard.includes('close:bbbbbbbbbb'), {
      describe: () => `un-paired: ${peer.heard}`,
    });
    peer.server.sendToClient('while a stranger is in the room');
    own.socket.emit('message', 'not delivered');
    stranger.socket.emit('message', 'not delivered either');
    await sleep(300);
    assert.deepEqual([own.received, stranger.received, peer.data, host.data], [[], [], [], []]);
    assert.deepEqual(host.server.status().pairings, { claimed: 0, session: 0, none: 1 });
    stranger.socket.close();
    await until(() => peer.heard.at(-1) === 'connection:bbbbbbbbbb', {
      describe: () => `paired again: ${peer.heard}`,
    });
    peer.server.sendToClient('back');
    await until(() => own.received.length === 1, { describe: () => 'the own tab served again' });
  });

  it('a roomId from Entry HW wins over a pairing by session', async () => {
    const { port, lookup, host, peers } = await classroom([2]);
    const peer = peers[0] as Parent;
    lookup.next(known(2));
    const b = await track(await openTab(port, 'bbbbbbbbbb'));
    await until(() => peer.heard.length === 1, { describe: () => 'announced' });
    host.server.addRoomId('bbbbbbbbbb'); // the host's Entry HW says this room is its
    await until(() => peer.heard.length === 2 && host.heard.length === 1, {
      describe: () => `host ${host.heard}, peer ${peer.heard}`,
    });
    assert.deepEqual(peer.heard, ['connection:bbbbbbbbbb', 'close:bbbbbbbbbb']);
    assert.deepEqual(host.heard, ['connection:bbbbbbbbbb']);
    peer.server.sendToClient('from the peer');
    host.server.sendToClient('from the host');
    await until(() => b.received.length >= 1, { describe: () => 'the host’s send' });
    await sleep(200);
    assert.deepEqual(b.received, [{ data: 'from the host' }]);
    assert.deepEqual(host.server.status().pairings, { claimed: 1, session: 0, none: 0 });
  });

  it('tells ROOM_UNKNOWN only to an instance a tab nobody serves may belong to', async () => {
    const { port, lookup, host, peers } = await classroom([2, 3]);
    const [two, three] = peers as [Parent, Parent];
    lookup.next(known(2));
    await track(await openTab(port, 'bbbbbbbbbb')); // paired with two
    lookup.next(known(7));
    await track(await openTab(port, 'cccccccccc')); // session 7 has no Entry HW: nobody's
    await sleep(300);
    assert.deepEqual(
      [host.heard, two.heard, three.heard],
      [[], ['connection:bbbbbbbbbb'], []],
      'no alarm yet',
    );
    lookup.next(UNKNOWN);
    await track(await openTab(port, 'dddddddddd')); // the OS cannot tell: it may be three's, or the host's
    await until(() => three.heard.length === 1 && host.heard.length === 1, {
      describe: () => `host ${host.heard}, three ${three.heard}`,
    });
    assert.deepEqual(three.heard, ['error:ROOM_UNKNOWN']);
    assert.deepEqual(host.heard, ['error:ROOM_UNKNOWN']);
    assert.deepEqual(two.heard, ['connection:bbbbbbbbbb'], 'the paired instance is not told');
  });
});
