// The original's wire figures where deployed clients feel them (docs/PROTOCOL.md §3 compat):
// heartbeat pingInterval 1000 / pingTimeout 5000, so a browser whose TCP goes silent without
// closing is noticed in about 6 s (the parent gets `close`), and browser messages up to 100 MB.
// A message refused for its size gets a log line instead of a silent drop.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { type ClientVersion, jsonEqual, randomRoomId } from '../../harness/browser-client';
import { until } from '../../harness/cloud-cluster';
import { freePort, spawnServer } from '../../harness/server-process';
import { assertRoundTrip, startServerForSuite } from '../helpers/fixtures';

/** Heartbeat: 1000 + 5000 ms, plus margin for a loaded machine. */
const SILENT_CLOSE_LIMIT_MS = 8500;

/** A TCP relay that can go silent: it stops forwarding both ways without closing anything. */
async function silenceableRelay(target: number): Promise<{ port: number; freeze(): void; close(): void }> {
  const pairs: [Socket, Socket][] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => {});
    upstream.on('error', () => {});
    pairs.push([client, upstream]);
  });
  const port = await freePort();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    port,
    freeze() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    close() {
      for (const pair of pairs) for (const s of pair) s.destroy();
      server.close();
    },
  };
}

describe('heartbeat (compat: 1000 / 5000)', () => {
  const started = startServerForSuite({ name: 'heartbeat' });

  for (const version of ['v2', 'v4'] as ClientVersion[]) {
    it(`a ${version} browser whose TCP goes silent is closed within ${SILENT_CLOSE_LIMIT_MS} ms`, async (t) => {
      const relay = await silenceableRelay(started.port);
      t.after(() => relay.close());
      const roomId = randomRoomId();
      const browser = await started.pool.connect({ version, url: `http://127.0.0.1:${relay.port}`, roomId });
      await assertRoundTrip(started.server, browser);
      const from = started.server.messages.length;
      relay.freeze();
      const frozenAt = Date.now();
      await started.server.waitFor('close', (m) => m.value === roomId, {
        from,
        timeoutMs: SILENT_CLOSE_LIMIT_MS,
      });
      t.diagnostic(`${version}: parent got close ${Date.now() - frozenAt} ms after the TCP went silent`);
    });
  }
});

describe('payload limit (compat: 100 MB)', () => {
  const started = startServerForSuite({ name: 'payload' });

  for (const version of ['v2', 'v4'] as ClientVersion[]) {
    it(`a 2 MB message from a ${version} browser reaches the parent and the connection stays`, async () => {
      const roomId = randomRoomId();
      const connected = started.server.messages.length;
      const browser = await started.pool.connect({ version, url: started.url, roomId });
      await started.server.waitFor('connection', (m) => m.value?.roomId === roomId, { from: connected });
      const payload = { data: randomBytes(1_000_000).toString('hex'), type: 'utf8' };
      const from = started.server.messages.length;
      browser.send(payload);
      await started.server.waitFor('data', (m) => jsonEqual(m.value, payload), { from, timeoutMs: 10_000 });
      await assertRoundTrip(started.server, browser);
      assert.ok(browser.connected);
      const dropped = started.server.messages
        .slice(from)
        .filter((m) => m.key === 'close' || m.key === 'connection');
      assert.deepEqual(dropped, [], 'the connection must not be reset (Entry HW resets the device on close)');
      browser.close();
    });
  }
});

describe('a message over the limit', () => {
  it('is refused with a log line, not a silent drop', async (t) => {
    const port = await freePort();
    const server = spawnServer({ port, name: 'oversize', captureOutput: true });
    t.after(() => server.stop());
    assert.equal(await server.open('production'), 2);

    // A raw WebSocket (Engine.IO 3, as a local program) announcing a 200 MB frame.
    const socket = connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    await once(socket, 'connect');
    socket.write(
      'GET /socket.io/?EIO=3&transport=websocket&client=true HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    const from = server.messages.length;
    await server.waitFor('connection', () => true, { from, timeoutMs: 5000 });
    assert.match(received, /^HTTP\/1\.1 101/);
    const header = Buffer.alloc(14);
    header[0] = 0x81; // FIN, text
    header[1] = 0x80 | 127; // masked, 64-bit length follows
    header.writeBigUInt64BE(200_000_000n, 2);
    randomBytes(4).copy(header, 10);
    socket.write(header);
    await server.waitFor('close', () => true, { from, timeoutMs: 5000 });
    // stderr is a pipe of its own: the line may arrive just after the IPC message.
    const line = await until(() => /a connection was closed: [^\n]*/.exec(server.output)?.[0], {
      timeoutMs: 3000,
      describe: () => `a log line for the refused message: ${server.output.slice(-1500)}`,
    });
    assert.match(line, /payload|size/i);
  });
});
