// Connection slots a page cannot exhaust (docs/PROTOCOL.md §3, docs/SECURITY.md), tried
// with raw sockets as a hostile page's browser would open them: a page without Local Network
// Access permission still opens TCP for each blocked fetch and sends nothing (about 470 sockets a
// page), a slow POST body is trickled behind a refusal or on an accepted request, and a kept-alive
// second request trickles its headers. The Entry tab must still get in, and each of those sockets
// must be closed: at once after a refusal, after the short no-byte deadline, or at the request
// deadline.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { randomRoomId } from '../../harness/browser-client';
import { until } from '../../harness/util';
import { assertRoundTrip, startServerForSuite } from '../helpers/fixtures';
import { rawConnect, request } from '../helpers/http';

const ENTRY = 'https://playentry.org';

/** Resolves with how long after `from` the socket closed, or -1 if it is still open after `limitMs`. */
function closedAfter(socket: Socket, from: number, limitMs: number): Promise<number> {
  if (socket.destroyed) return Promise.resolve(Date.now() - from);
  // A cut while the test still trickles bytes can arrive as a reset: 'error' (ECONNRESET), then
  // 'close'. Both mean the server ended the connection; only 'close' is timed.
  socket.on('error', () => {});
  return Promise.race([
    new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - from))),
    new Promise<number>((resolve) => setTimeout(() => resolve(-1), limitMs)),
  ]);
}

/** Writes one byte of `text` every `everyMs` until it is all sent or the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): () => void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) return clearInterval(timer);
    socket.write(text[at] as string);
    at += 1;
  }, everyMs);
  return () => clearInterval(timer);
}

/** Everything the socket received so far, as text. */
function collect(socket: Socket): () => string {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  return () => text;
}

describe('connection slots at full scale (cap 1000, default deadlines)', () => {
  const started = startServerForSuite({ name: 'slots' });

  it('two LNA-blocked pages (940 silent sockets) and 60 slow ones fill the cap: the Entry tab still gets in, the silent ones close within the short deadline', async () => {
    const silent = await Promise.all(Array.from({ length: 940 }, () => rawConnect(started.port)));
    const slow: Socket[] = [];
    for (let i = 0; i < 60; i += 1) {
      const socket = await rawConnect(started.port);
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${started.port}\r\n`);
      slow.push(socket);
    }
    const t0 = Date.now();
    try {
      const tab = await started.pool.connect({
        version: 'v2',
        url: started.url,
        roomId: randomRoomId(),
        origin: ENTRY,
      });
      await assertRoundTrip(started.server, tab);
      tab.close();
      // Sockets that sent no byte close after about 2 s, not at the 10 s request deadline.
      const times = await Promise.all(silent.map((socket) => closedAfter(socket, t0, 6000)));
      const open = times.filter((ms) => ms === -1).length;
      assert.equal(open, 0, `${open} of 940 silent sockets were still open 6 s later`);
    } finally {
      for (const socket of [...silent, ...slow]) socket.destroy();
    }
  });
});

describe('connection slots: anonymous connections and the reserve', () => {
  const CAP = 20;
  const started = startServerForSuite({
    name: 'slots-reserve',
    env: { ENTRY_HW_MAX_CONNECTIONS: String(CAP) },
  });

  it(`${CAP} kept-alive anonymous connections cannot lock a page out: the oldest makes room`, async () => {
    const held: Socket[] = [];
    for (let i = 0; i < CAP; i += 1) {
      const socket = await rawConnect(started.port);
      held.push(socket);
      const answered = once(socket, 'data');
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${started.port}\r\nConnection: keep-alive\r\n\r\n`);
      await answered;
    }
    try {
      const tab = await started.pool.connect({
        version: 'v4',
        url: started.url,
        roomId: randomRoomId(),
        origin: ENTRY,
      });
      await assertRoundTrip(started.server, tab);
      tab.close();
      const closed = held.filter((socket) => socket.destroyed || socket.readableEnded).length;
      assert.ok(closed >= 1, 'the oldest anonymous connections were closed to make room');
      assert.ok(!held.at(-1)?.destroyed, 'the newest were kept');
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});

describe('slow requests', () => {
  const started = startServerForSuite({ name: 'slow-requests' });

  for (const [what, head] of [
    ['403 (a foreign Host)', 'POST /status HTTP/1.1\r\nHost: evil.example\r\n'],
    ['405 (POST /)', 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n'],
    [
      '400 (JSONP)',
      `POST /socket.io/?EIO=3&transport=polling&j=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${ENTRY}\r\n`,
    ],
  ] as const) {
    it(`a slow POST body behind a ${what} is not read: Connection: close, and the socket closes at once`, async () => {
      const socket = await rawConnect(started.port);
      const received = collect(socket);
      socket.write(`${head}Content-Type: text/plain\r\nContent-Length: 100000\r\n\r\n`);
      const stop = trickle(socket, 'x'.repeat(100_000), 200);
      try {
        const answeredAt = await until(() => (/^HTTP\/1\.1 4\d\d/.test(received()) ? Date.now() : 0), {
          timeoutMs: 3000,
          describe: () => `an answer to ${what}`,
        });
        assert.match(received(), /\r\nconnection: close\r\n/i);
        const ms = await closedAfter(socket, answeredAt, 3000);
        assert.notEqual(
          ms,
          -1,
          `the connection was still open 3 s after the ${what} (the request deadline is 10 s)`,
        );
      } finally {
        stop();
        socket.destroy();
      }
    });
  }
});

describe('slow requests at the request deadline', () => {
  const DEADLINE_MS = 1500;
  const started = startServerForSuite({
    name: 'slow-deadline',
    env: { ENTRY_HW_HEADERS_TIMEOUT_MS: String(DEADLINE_MS) },
  });

  it('a slow body on an accepted polling request is cut at the request deadline', async () => {
    const handshake = await request({
      port: started.port,
      path: `/socket.io/?EIO=4&transport=polling&client=true&roomId=${randomRoomId()}`,
      headers: { Origin: ENTRY },
    });
    const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
    const socket = await rawConnect(started.port);
    socket.write(
      `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${ENTRY}\r\n` +
        'Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 100000\r\n\r\n40',
    );
    const t0 = Date.now();
    const stop = trickle(socket, 'x'.repeat(100_000), 100);
    try {
      const ms = await closedAfter(socket, t0, DEADLINE_MS + 4000);
      assert.notEqual(ms, -1, `a trickled body was still being read ${DEADLINE_MS + 4000} ms later`);
    } finally {
      stop();
      socket.destroy();
    }
  });

  it('a kept-alive second request trickling its headers is cut at the request deadline', async () => {
    const socket = await rawConnect(started.port);
    const received = collect(socket);
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
    await until(() => received().includes('hello entry'), { describe: () => 'the first answer' });
    const t0 = Date.now();
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const stop = trickle(socket, `X-Slow: ${'a'.repeat(10_000)}`, 100);
    try {
      const ms = await closedAfter(socket, t0, DEADLINE_MS + 4000);
      assert.notEqual(ms, -1, `a trickled second request was still open ${DEADLINE_MS + 4000} ms later`);
    } finally {
      stop();
      socket.destroy();
    }
  });

  it('a long-polling browser, which always has a request pending, is not cut', async () => {
    const tab = await started.pool.connect({
      version: 'v2',
      url: started.url,
      roomId: randomRoomId(),
      origin: ENTRY,
      transport: 'polling',
    });
    const from = started.server.messages.length;
    const deadline = Date.now() + 3 * DEADLINE_MS;
    while (Date.now() < deadline) await assertRoundTrip(started.server, tab);
    assert.ok(tab.connected);
    assert.deepEqual(
      started.server.messages.slice(from).filter((m) => m.key === 'close'),
      [],
      'the polling tab never left',
    );
    tab.close();
  });
});
