// Hostile or broken network input never crashes the server: garbage WebSocket frames, non-JSON
// socket.io packets, unknown events, payloads above the buffer limit, and TCP connections that
// send nothing, random bytes or a lone TLS ClientHello. Afterwards it still routes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { randomRoomId } from '../../harness/browser-client';
import { assertStillRouting, sleep, startServerForSuite } from '../helpers/fixtures';
import { captureClientHello, rawConnect, rawExchange, request } from '../helpers/http';

/** Opens a raw Engine.IO websocket (no socket.io client) and waits for the open packet. */
async function rawEngineSocket(port: number, eio: 3 | 4): Promise<{ ws: WebSocket; closed: Promise<void> }> {
  const ws = new WebSocket(
    `ws://127.0.0.1:${port}/socket.io/?EIO=${eio}&transport=websocket&client=true&roomId=${randomRoomId()}`,
    { origin: 'https://playentry.org' },
  );
  ws.on('error', () => {});
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const [first] = (await once(ws, 'message')) as [Buffer];
  assert.match(
    first.toString(),
    /^0\{/,
    `expected an Engine.IO open packet, got ${first.toString().slice(0, 80)}`,
  );
  return { ws, closed };
}

/** Sends frames on a fresh raw socket, then closes it (or lets the server close it). */
async function sendFrames(port: number, eio: 3 | 4, frames: (string | Buffer)[], connectNamespace = true) {
  const { ws, closed } = await rawEngineSocket(port, eio);
  if (connectNamespace && eio === 4) ws.send('40');
  for (const frame of frames) {
    if (ws.readyState !== WebSocket.OPEN) break;
    ws.send(frame);
  }
  await Promise.race([closed, sleep(300)]);
  ws.terminate();
}

describe('malformed socket input', () => {
  const started = startServerForSuite({ name: 'malformed-socket' });

  it('survives garbage websocket frames (text and binary) on Engine.IO 3 and 4', async () => {
    const frames: (string | Buffer)[] = [
      'garbage',
      '',
      '4',
      '4{not json',
      '42',
      '42[',
      '42{"a":1}',
      '42[garbage]',
      '42[1,2,3]',
      '42[null]',
      '42["message"',
      '4/unknown-namespace,["message",1]',
      '43999[true]',
      '45-["message",{"_placeholder":true,"num":0}]',
      '451-["message",{"_placeholder":true,"num":7}]',
      '9',
      '6',
      '1',
      randomBytes(64),
      Buffer.from([0xff, 0xfe, 0x00]),
      `42${'['.repeat(10000)}`,
    ];
    await sendFrames(started.port, 4, frames);
    await sendFrames(started.port, 3, frames);
    await assertStillRouting(started, 'v2');
    await assertStillRouting(started, 'v4');
  });

  it('survives protocol-level junk on the raw websocket before any namespace connect', async () => {
    await sendFrames(started.port, 4, ['42["message",{"data":"{}"}]', '2probe', '5', 'garbage'], false);
    await assertStillRouting(started, 'v4');
  });

  it('survives unknown events and odd message payloads from a real client', async () => {
    for (const version of ['v2', 'v4'] as const) {
      const browser = await started.pool.connect({ version, url: started.url, roomId: randomRoomId() });
      browser.emit('unknownEvent', { a: 1 });
      browser.emit('mode', 1);
      browser.emit('matchTarget', { roomId: 'stolen-room' });
      browser.emit('matchTarget', 'stolen-room');
      browser.emit('message');
      browser.emit('message', null);
      browser.emit('message', 'a string');
      browser.emit('message', 12);
      browser.emit('message', [1, 2]);
      browser.emit('message', { data: { not: 'a string' }, type: 42 });
      browser.emit('message', { key: { nested: true } }, () => {});
      browser.emit('message', 1, 2, 3, 4);
      await sleep(200);
      assert.ok(started.server.alive, `died after odd events from ${version}`);
      browser.close();
    }
    // A browser's matchTarget is not a peer's: single-server routing must be unchanged.
    assert.deepEqual(
      started.server.all('cloudModeChanged').map((m) => m.value),
      [0],
      'a browser must not switch the host to cloud mode',
    );
    await assertStillRouting(started, 'v2');
    await assertStillRouting(started, 'v4');
  });

  it('drops a socket that sends a payload above the buffer limit, and survives', async () => {
    const browser = await started.pool.connect({ version: 'v4', url: started.url, roomId: randomRoomId() });
    const huge = { data: 'z'.repeat(3 * 1024 * 1024), type: 'utf8' };
    browser.send(huge);
    await Promise.race([browser.waitDisconnected(5000).catch(() => undefined), sleep(2000)]);
    assert.ok(started.server.alive, 'the process died after a 3 MB websocket message');
    browser.close();
    // Same over polling: a huge POST body.
    const res = await request({
      port: started.port,
      method: 'POST',
      path: '/socket.io/?EIO=4&transport=polling&sid=doesnotexist',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: `4${'y'.repeat(3 * 1024 * 1024)}`,
      timeoutMs: 10_000,
    }).catch((error: unknown) => ({ status: -1, body: String(error) }));
    assert.ok(res.status >= 400 || res.status === -1, `huge POST with a bogus sid answered ${res.status}`);
    await assertStillRouting(started, 'v2');
  });

  it('survives bad HTTP: garbage request lines, bogus sids, bad transports', async () => {
    for (const bytes of [
      'GARBAGE\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'GET /socket.io/?EIO=99&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /socket.io/?EIO=4&transport=carrier-pigeon HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /socket.io/?EIO=4&transport=polling&sid=nope HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      'POST /socket.io/?EIO=3&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n12:42',
      `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    ]) {
      await rawExchange(started.port, bytes, 300);
    }
    await assertStillRouting(started, 'v4');
  });

  it('survives TCP connections that send nothing, random bytes, or a TLS ClientHello then close', async () => {
    const idle = await rawConnect(started.port);
    const idleHalf = await rawConnect(started.port);
    idleHalf.write(Buffer.from([0x16]));
    // While those sit there, other connections are served normally.
    await assertStillRouting(started, 'v2');
    await rawExchange(started.port, randomBytes(4096), 300);
    await rawExchange(started.port, Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff]), 300);
    await rawExchange(started.port, Buffer.from([0x00]), 300);
    const hello = await captureClientHello();
    await rawExchange(started.port, hello, 300);
    // ClientHello then an immediate reset.
    const abrupt = await rawConnect(started.port);
    abrupt.write(hello);
    abrupt.resetAndDestroy();
    // Connect and close without a byte.
    (await rawConnect(started.port)).destroy();
    idle.destroy();
    idleHalf.destroy();
    await sleep(200);
    await assertStillRouting(started, 'v2');
    await assertStillRouting(started, 'v4');
  });
});
