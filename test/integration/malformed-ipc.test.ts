// docs/PROTOCOL.md §2: anything on the IPC channel that is not a valid { key, value } message is
// ignored with a log line, never thrown; the server keeps routing afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BrowserClient, jsonEqual, randomRoomId } from '../../harness/browser-client';
import { MAX_ROOM_ID_LENGTH } from '../../src/ipc/messages';
import { assertRoundTrip, type Started, sleep, startServer } from '../helpers/fixtures';

describe('malformed IPC messages', () => {
  let started: Started;
  let browser: BrowserClient;
  before(async () => {
    started = await startServer({ name: 'malformed-ipc' });
    browser = await started.pool.connect({ version: 'v2', url: started.url, roomId: randomRoomId() });
  });
  after(async () => {
    await started?.stop();
  });

  const garbage: [string, unknown][] = [
    ['null', null],
    ['a number', 42],
    ['zero', 0],
    ['NaN (serialised as null)', Number.NaN],
    ['true', true],
    ['an empty string', ''],
    ['a string other than exit', 'open'],
    ['"EXIT" (not the exact command)', 'EXIT'],
    ['an array', [1, 2, 3]],
    ['an array that looks like a message', ['send', 1]],
    ['an empty object', {}],
    ['a numeric key', { key: 5 }],
    ['a null key', { key: null, value: 'x' }],
    ['an object key', { key: { toString: 'send' }, value: 'x' }],
    ['an unknown key', { key: 'launchMissiles', value: 1 }],
    ['__proto__ as key', { key: '__proto__', value: { polluted: true } }],
    ['constructor as key', { key: 'constructor', value: 1 }],
    ['toString as key', { key: 'toString', value: 1 }],
    ['value only', { value: 'send' }],
    ['addRoomId with empty string', { key: 'addRoomId', value: '' }],
    ['addRoomId too long', { key: 'addRoomId', value: 'r'.repeat(MAX_ROOM_ID_LENGTH + 1) }],
    ['addRoomId with a number', { key: 'addRoomId', value: 12345 }],
    ['addRoomId with an object', { key: 'addRoomId', value: { roomId: 'abc' } }],
    ['addRoomId without value', { key: 'addRoomId' }],
    ['open with a number', { key: 'open', value: 3 }],
    ['open with an array', { key: 'open', value: ['production'] }],
    ['open with bad options', { key: 'open', value: { allowedOrigins: 'not-an-array', telemetryUrl: 5 } }],
    ['connectHardwareSuccess with an object', { key: 'connectHardwareSuccess', value: { id: 1 } }],
    ['connectHardwareFailed with junk', { key: 'connectHardwareFailed', value: [null] }],
    ['disconnectHardware with a value', { key: 'disconnectHardware', value: { x: 1 } }],
    ['send without value', { key: 'send' }],
    ['deeply nested send', { key: 'send', value: nest(500) }],
  ];

  function nest(depth: number): unknown {
    let value: unknown = 'bottom';
    for (let i = 0; i < depth; i += 1) value = { v: value };
    return value;
  }

  it('survives every malformed message and keeps routing', async () => {
    for (const [what, message] of garbage) {
      started.server.sendRaw(message);
      await sleep(10);
      assert.ok(started.server.alive, `the process died after ${what}`);
    }
    await sleep(300);
    assert.ok(started.server.alive, 'the process died after the malformed messages');
    assert.deepEqual(
      started.server.all('runningModeChanged').map((m) => m.value),
      [2],
      'no malformed message may change the running mode',
    );
    await assertRoundTrip(started.server, browser);
  });

  it('ignores invalid addRoomId values: parent send still reaches every browser (single-server)', async () => {
    const other = await started.pool.connect({ version: 'v4', url: started.url, roomId: randomRoomId() });
    started.server.sendRaw({ key: 'addRoomId', value: 'x'.repeat(200) });
    started.server.sendRaw({ key: 'addRoomId', value: '' });
    const value = { after: 'invalid addRoomId' };
    started.server.send({ key: 'send', value });
    await browser.waitForMessage((p) => jsonEqual(p, { data: value }));
    await other.waitForMessage((p) => jsonEqual(p, { data: value }));
    other.close();
  });

  it('survives a huge send value (5 MB string) and keeps routing', async () => {
    const huge = 'h'.repeat(5 * 1024 * 1024);
    started.server.send({ key: 'send', value: huge });
    await sleep(500);
    assert.ok(started.server.alive, 'the process died after a 5 MB send');
    await assertRoundTrip(started.server, browser, 10_000);
  });

  it('survives a huge encrypt request and still answers small ones', async () => {
    started.server.send({ key: 'encrypt', value: 'e'.repeat(2 * 1024 * 1024), id: 'huge' });
    started.server.send({ key: 'encrypt', value: 'small', id: 'small' });
    const reply = await started.server.waitFor('encrypt', (m) => m.id === 'small', { timeoutMs: 10_000 });
    assert.match(reply.value, /^U2FsdGVkX1/);
    await assertRoundTrip(started.server, browser);
  });

  it('survives a flood of messages', async () => {
    for (let i = 0; i < 2000; i += 1) {
      started.server.sendRaw(i % 2 ? { key: 'nope', value: i } : i);
    }
    await sleep(300);
    assert.ok(started.server.alive);
    await assertRoundTrip(started.server, browser);
  });
});
