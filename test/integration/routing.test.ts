// docs/PROTOCOL.md §4, single-server host routing, with the deployed browser client (socket.io-client
// 2.5.0, Engine.IO 3) and with 4.x: browser → parent `data`, parent `send` → every browser,
// `disconnectHardware`, acknowledgements, `connection` and `close` with the roomId.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type BrowserClient,
  CLIENT_VERSIONS,
  type ClientVersion,
  jsonEqual,
  randomRoomId,
} from '../../harness/browser-client';
import type { ServerMessage } from '../../src/ipc/messages';
import { assertRoundTrip, sleep, startServerForSuite } from '../helpers/fixtures';
import { request } from '../helpers/http';

/** `connection` carries nothing (compat) or `{ kind: 'browser', roomId }` (extension). */
function isBrowserConnection(message: ServerMessage<'connection'>, roomId: string | undefined): boolean {
  const value = message.value;
  if (value === undefined || value === null) return true;
  return value.kind === 'browser' && (value.roomId ?? undefined) === roomId;
}

for (const version of CLIENT_VERSIONS) {
  describe(`routing with socket.io-client ${version === 'v2' ? '2.5.0' : '4.x'}`, () => {
    const started = startServerForSuite({ name: `routing-${version}` });

    const connect = (roomId: string | undefined, transport: 'websocket' | 'polling' = 'websocket') =>
      started.pool.connect({ version, url: started.url, roomId, transport, origin: 'https://playentry.org' });

    it('sends connection to the parent when a browser connects', async () => {
      const from = started.server.messages.length;
      const roomId = randomRoomId();
      const browser = await connect(roomId);
      await started.server.waitFor('connection', (m) => isBrowserConnection(m, roomId), { from });
      browser.close();
    });

    it('delivers a browser message to the parent unchanged, as data', async () => {
      const browser = await connect(randomRoomId());
      const payload = { data: '{"a":1}', type: 'utf8' };
      const from = started.server.messages.length;
      browser.send(payload);
      const got = await started.server.waitFor('data', () => true, { from });
      assert.deepEqual(got, { key: 'data', value: payload });
      // With mode, as entryjs sends it for some modules.
      const withMode = { data: '{"b":[1,2,3]}', mode: 1, type: 'utf8' };
      const from2 = started.server.messages.length;
      browser.send(withMode);
      const got2 = await started.server.waitFor('data', () => true, { from: from2 });
      assert.deepEqual(got2, { key: 'data', value: withMode });
      await sleep(200);
      assert.equal(
        started.server.all('data').filter((m) => jsonEqual(m.value, payload)).length,
        1,
        'the parent must receive the message exactly once',
      );
      browser.close();
    });

    it('delivers parent send to every connected browser as { data: value }, exactly once', async () => {
      const browsers = [
        await connect(randomRoomId()),
        await connect(randomRoomId()),
        await connect(undefined),
      ];
      const values: unknown[] = [
        { company: 1, model: 1, a0: 512 },
        'text',
        0,
        [1, 'two', { three: 3 }],
        false,
      ];
      for (const value of values) started.server.send({ key: 'send', value });
      const sentinel = { sentinel: version };
      started.server.send({ key: 'send', value: sentinel });
      for (const browser of browsers) {
        await browser.waitForMessage((p) => jsonEqual(p, { data: sentinel }));
        const seen = browser.received;
        for (const value of values) {
          assert.equal(
            seen.filter((p) => jsonEqual(p, { data: value })).length,
            1,
            `${browser.name} should receive ${JSON.stringify({ data: value })} exactly once; got ${JSON.stringify(seen)}`,
          );
        }
        const order = seen.map((p) => JSON.stringify(p));
        assert.deepEqual(
          order.slice(0, values.length + 1),
          [...values, sentinel].map((v) => JSON.stringify({ data: v })),
          'messages arrive in the order the parent sent them',
        );
      }
      for (const browser of browsers) browser.close();
    });

    it('delivers disconnectHardware as { data: "disconnectHardware" }', async () => {
      const browsers = [await connect(randomRoomId()), await connect(randomRoomId())];
      started.server.send({ key: 'disconnectHardware', value: undefined });
      for (const browser of browsers) {
        await browser.waitForMessage((p) => jsonEqual(p, { data: 'disconnectHardware' }));
      }
      for (const browser of browsers) browser.close();
    });

    it('acknowledges with message.key when present, else true', async () => {
      const browser = await connect(randomRoomId());
      const withKey = { data: '{"x":1}', key: 'abc', type: 'utf8' };
      assert.equal(await browser.sendWithAck(withKey), 'abc');
      const withoutKey = { data: '{"x":2}', type: 'utf8' };
      assert.equal(await browser.sendWithAck(withoutKey), true);
      // Acknowledged messages still reach the parent.
      await started.server.waitFor('data', (m) => jsonEqual(m.value, withKey));
      await started.server.waitFor('data', (m) => jsonEqual(m.value, withoutKey));
      browser.close();
    });

    it('sends close with the roomId when a browser leaves, and undefined without one', async () => {
      const roomId = randomRoomId();
      const browser = await connect(roomId);
      let from = started.server.messages.length;
      browser.close();
      const closed = await started.server.waitFor('close', (m) => m.value === roomId, { from });
      assert.deepEqual(closed, { key: 'close', value: roomId });

      const anonymous = await connect(undefined);
      await sleep(100);
      from = started.server.messages.length;
      anonymous.close();
      const closedAnonymous = await started.server.waitFor('close', () => true, { from });
      assert.equal(
        closedAnonymous.value,
        undefined,
        `close for a browser without roomId: ${JSON.stringify(closedAnonymous)}`,
      );
    });

    it('never emits mode (or anything but message) to a browser', async () => {
      const browser = await connect(randomRoomId());
      await assertRoundTrip(started.server, browser);
      started.server.send({ key: 'disconnectHardware', value: undefined });
      await browser.waitForMessage((p) => jsonEqual(p, { data: 'disconnectHardware' }));
      assert.deepEqual(
        browser.events.filter((e) => e !== 'message'),
        [],
        'the server emitted events other than message (entryjs disconnects the hardware on mode 0→1)',
      );
      browser.close();
    });

    it('routes over the polling transport too', async () => {
      const browser = await connect(randomRoomId(), 'polling');
      await assertRoundTrip(started.server, browser);
      assert.equal(await browser.sendWithAck({ data: '{}', key: 'k1', type: 'utf8' }), 'k1');
      browser.close();
    });
  });
}

describe('routing with both client versions connected at once', () => {
  const started = startServerForSuite({ name: 'routing-mixed' });

  it('parent send reaches a 2.5.0 and a 4.x browser; both reach the parent', async () => {
    const browsers: BrowserClient[] = [];
    for (const version of ['v2', 'v4', 'v2', 'v4'] as ClientVersion[]) {
      browsers.push(
        await started.pool.connect({
          version,
          url: started.url,
          roomId: randomRoomId(),
          transport: browsers.length >= 2 ? 'polling' : 'websocket',
          // Polling needs an allowed Origin (docs/PROTOCOL.md §9); a local program without one
          // uses WebSocket.
          origin: browsers.length >= 2 ? 'https://playentry.org' : undefined,
        }),
      );
    }
    const value = { everyone: true };
    started.server.send({ key: 'send', value });
    for (const browser of browsers) await browser.waitForMessage((p) => jsonEqual(p, { data: value }));
    for (const browser of browsers) {
      const payload = { data: JSON.stringify({ from: browser.name }), type: 'utf8' };
      browser.send(payload);
      await started.server.waitFor('data', (m) => jsonEqual(m.value, payload));
    }
    const status = JSON.parse((await request({ port: started.port, path: '/status' })).body) as {
      browsers: unknown;
    };
    assert.equal(status.browsers, browsers.length, '/status browsers counts the connected browsers');
  });
});

// docs/PROTOCOL.md §4 improved: messages sent while no browser is connected are held only
// for a room whose browser was connected and left less than 5 s ago (a reload); a tab that never
// connected gets nothing sent before it connected, as with the original, and so never a stale
// `disconnectHardware`.
describe('held messages go only to a reconnecting tab (single mode)', () => {
  const started = startServerForSuite({ name: 'held-messages' });

  const connect = (roomId: string) =>
    started.pool.connect({ version: 'v2', url: started.url, roomId, origin: 'https://playentry.org' });

  const isMarker = (p: unknown) => typeof (p as { data?: { marker?: unknown } })?.data?.marker === 'string';

  /**
   * Sends a marker and returns what the browser received before it, markers (sent live to every
   * connected tab) left out.
   */
  async function receivedUpToMarker(browser: BrowserClient): Promise<unknown[]> {
    const marker = { marker: randomRoomId() };
    started.server.send({ key: 'send', value: marker });
    await browser.waitForMessage((p) => jsonEqual(p, { data: marker }));
    const end = browser.received.findIndex((p) => jsonEqual(p, { data: marker }));
    return browser.received.slice(0, end).filter((p) => !isMarker(p));
  }

  /** Closes a tab and waits until the parent saw it leave. */
  async function leave(browser: BrowserClient): Promise<void> {
    const from = started.server.messages.length;
    browser.close();
    await started.server.waitFor('close', (m) => m.value === browser.roomId, { from });
  }

  /** Connects, then leaves. */
  async function visitAndLeave(roomId: string): Promise<void> {
    await leave(await connect(roomId));
  }

  it('a brand-new tab gets nothing sent before it connected (no stale disconnectHardware)', async () => {
    started.server.send({ key: 'send', value: { early: 1 } });
    started.server.send({ key: 'disconnectHardware', value: undefined });
    const tab = await connect(randomRoomId());
    assert.deepEqual(await receivedUpToMarker(tab), []);
    await leave(tab);
  });

  it('a tab of another room gets nothing held for a room that is reloading; the reload does', async () => {
    const reloading = randomRoomId();
    const other = await connect(randomRoomId()); // another tab stays connected meanwhile
    await visitAndLeave(reloading);
    started.server.send({ key: 'send', value: { forReloading: 1 } });
    const stranger = await connect(randomRoomId());
    assert.deepEqual(await receivedUpToMarker(stranger), []);
    const back = await connect(reloading);
    assert.deepEqual(await receivedUpToMarker(back), [{ data: { forReloading: 1 } }]);
    for (const tab of [stranger, back, other]) await leave(tab);
  });

  it('a reload within 5 s gets the messages held for its room, in order', async () => {
    const roomId = randomRoomId();
    await visitAndLeave(roomId);
    started.server.send({ key: 'send', value: { held: 1 } });
    started.server.send({ key: 'send', value: { held: 2 } });
    started.server.send({ key: 'disconnectHardware', value: undefined });
    const reloaded = await connect(roomId);
    assert.deepEqual(await receivedUpToMarker(reloaded), [
      { data: { held: 1 } },
      { data: { held: 2 } },
      { data: 'disconnectHardware' },
    ]);
    await leave(reloaded);
  });

  it('a tab back after more than 5 s gets nothing', async () => {
    const roomId = randomRoomId();
    await visitAndLeave(roomId);
    started.server.send({ key: 'send', value: { beforeWindowEnd: 1 } });
    await sleep(5300); // the 5 s reconnect window passes
    started.server.send({ key: 'send', value: { afterWindowEnd: 1 } });
    const late = await connect(roomId);
    assert.deepEqual(await receivedUpToMarker(late), []);
    await leave(late);
  });
});
