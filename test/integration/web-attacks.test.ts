// Every door a web page (or a flood) could use against the listener, tried with raw
// HTTP and WebSocket requests as an attacker would, on the plain and the TLS side. Each case
// asserts that the parent saw no `data`, `connection` or mode change, and the attacker read
// nothing. docs/PROTOCOL.md §3 (half-open sockets), §5 (peers), §9 (origins, Host).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { randomRoomId, tlsAgent } from '../../harness/browser-client';
import { makeTestPki, type TestPki } from '../../harness/certs';
import type { ServerProcess } from '../../harness/server-process';
import { until } from '../../harness/util';
import { assertStillRouting, type Started, startServer, startServerForSuite } from '../helpers/fixtures';
import { captureClientHello, type HttpResult, rawConnect, rawExchange, request } from '../helpers/http';

const ENTRY = 'https://playentry.org';
const PARENT_VISIBLE = new Set(['data', 'connection', 'cloudModeChanged', 'runningModeChanged']);

/** What the parent saw since `from` that an attacker must never cause. */
function parentSaw(server: ServerProcess, from: number): string[] {
  return server.messages
    .slice(from)
    .filter((m) => PARENT_VISIBLE.has(m.key))
    .map((m) => `${m.key}=${JSON.stringify(m.value)}`);
}

/** Status line and body of a raw WebSocket upgrade request with the given extra header lines. */
async function upgrade(port: number, path: string, headerLines: string[]): Promise<string> {
  const lines = [
    `GET ${path} HTTP/1.1`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...headerLines,
    '',
    '',
  ];
  const reply = await rawExchange(port, lines.join('\r\n'), 1000);
  return reply.toString('latin1');
}

/** Runs `count` jobs with at most `width` in flight. */
async function inParallel(count: number, width: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = next;
        next += 1;
        await job(i);
      }
    }),
  );
}

/** An Engine.IO 4 polling session opened with an allowed Origin, as a leaked or guessed sid. */
async function openPollingSession(port: number): Promise<string> {
  const res = await request({
    port,
    path: `/socket.io/?EIO=4&transport=polling&client=true&roomId=${randomRoomId()}`,
    headers: { Origin: ENTRY },
  });
  assert.equal(res.status, 200, `an allowed polling handshake must work: ${res.body}`);
  const sid = (JSON.parse(res.body.slice(1)) as { sid: string }).sid;
  const connect = await request({
    port,
    method: 'POST',
    path: `/socket.io/?EIO=4&transport=polling&sid=${sid}`,
    headers: { Origin: ENTRY, 'content-type': 'text/plain;charset=UTF-8' },
    body: '40',
  });
  assert.equal(connect.status, 200);
  return sid;
}

function assertReadNothing(res: HttpResult, secret: string, what: string): void {
  assert.ok(res.status >= 400, `${what}: expected a refusal, got ${res.status} ${res.body.slice(0, 200)}`);
  assert.ok(!res.body.includes(secret), `${what}: the attacker read the parent's data`);
  assert.ok(!res.body.includes('"sid"'), `${what}: the attacker got a session id`);
}

describe('web-page attacks on the plain side', () => {
  let started: Started;
  before(async () => {
    started = await startServer({ name: 'web-attacks', env: { ENTRY_HW_ALLOWED_ORIGINS: undefined } });
    await started.server.waitFor('cloudModeChanged');
  });
  after(async () => {
    await started?.stop();
  });

  it('refuses Origin null (sandboxed iframe, data: URL) on WebSocket and polling', async () => {
    const from = started.server.messages.length;
    const ws = await upgrade(
      started.port,
      `/socket.io/?EIO=3&transport=websocket&client=true&roomId=${randomRoomId()}`,
      [`Host: 127.0.0.1:${started.port}`, 'Origin: null'],
    );
    assert.match(ws, /^HTTP\/1\.1 403/, ws.slice(0, 80));
    for (const eio of [3, 4]) {
      const res = await request({
        port: started.port,
        path: `/socket.io/?EIO=${eio}&transport=polling&client=true&roomId=${randomRoomId()}`,
        headers: { Origin: 'null' },
      });
      assertReadNothing(res, 'never', `EIO ${eio} polling with Origin null`);
    }
    for (const version of ['v2', 'v4'] as const) {
      const browser = started.pool.create({
        version,
        url: started.url,
        roomId: randomRoomId(),
        origin: 'null',
      });
      await browser.waitRefused();
      browser.close();
    }
    assert.deepEqual(parentSaw(started.server, from), []);
  });

  it('refuses JSONP polling (j=) with 400 and polling without Origin with 403', async () => {
    const from = started.server.messages.length;
    for (const eio of [3, 4]) {
      for (const headers of [{}, { Origin: ENTRY }] as Record<string, string>[]) {
        const jsonp = await request({
          port: started.port,
          path: `/socket.io/?EIO=${eio}&transport=polling&j=0&client=true&roomId=${randomRoomId()}`,
          headers,
        });
        assert.equal(jsonp.status, 400, `JSONP EIO ${eio} ${JSON.stringify(headers)}: ${jsonp.body}`);
        assertReadNothing(jsonp, 'never', 'JSONP');
      }
      const script = await request({
        port: started.port,
        path: `/socket.io/?EIO=${eio}&transport=polling&client=true&roomId=${randomRoomId()}`,
      });
      assert.equal(script.status, 403, `no-Origin polling EIO ${eio}`);
    }
    assert.deepEqual(parentSaw(started.server, from), []);
  });

  it('checks the Origin on every polling request, not only the handshake', async () => {
    const sid = await openPollingSession(started.port);
    const from = started.server.messages.length;
    const secret = `secret-${randomRoomId()}`;
    started.server.send({ key: 'send', value: secret });
    const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    for (const origin of ['https://evil.example', 'null', undefined]) {
      const headers: Record<string, string> = origin === undefined ? {} : { Origin: origin };
      const post = await request({
        port: started.port,
        method: 'POST',
        path,
        headers: { ...headers, 'content-type': 'text/plain;charset=UTF-8' },
        body: `42["message",{"data":"injected by ${origin}","type":"utf8"}]`,
      });
      assertReadNothing(post, secret, `POST with sid from ${origin}`);
      const get = await request({ port: started.port, path, headers });
      assertReadNothing(get, secret, `GET with sid from ${origin}`);
    }
    // The legitimate owner of the session still reads it: the refusals were about the Origin.
    const owner = await request({ port: started.port, path, headers: { Origin: ENTRY } });
    assert.equal(owner.status, 200);
    assert.ok(owner.body.includes(secret), `the allowed origin reads its own session: ${owner.body}`);
    assert.deepEqual(
      started.server.messages.slice(from).filter((m) => m.key === 'data'),
      [],
      'no injected data may reach the parent',
    );
  });

  it('refuses a foreign Host on every route (DNS rebinding), upgrades and preflights included', async () => {
    const from = started.server.messages.length;
    const host = `rebind.evil.example:${started.port}`;
    const origin = `http://${host}`;
    for (const path of ['/', '/status', '/modules', `/socket.io/?EIO=4&transport=polling&client=true`]) {
      const variants: Record<string, string>[] = [
        { Host: host },
        { Host: host, Origin: origin },
        { Host: host, Origin: ENTRY },
      ];
      for (const headers of variants) {
        const res = await request({ port: started.port, path, headers });
        assert.equal(res.status, 403, `GET ${path} ${JSON.stringify(headers)}`);
        assert.ok(!res.body.includes('entry-hw-server') && !res.body.includes('hello entry'));
      }
      const preflight = await request({
        port: started.port,
        method: 'OPTIONS',
        path,
        headers: {
          Host: host,
          Origin: ENTRY,
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Private-Network': 'true',
        },
      });
      assert.equal(preflight.status, 403, `OPTIONS ${path}`);
      assert.equal(preflight.headers['access-control-allow-private-network'], undefined);
    }
    for (const extra of [[], [`Origin: ${origin}`], [`Origin: ${ENTRY}`]]) {
      const ws = await upgrade(started.port, '/socket.io/?EIO=3&transport=websocket&client=true', [
        `Host: ${host}`,
        ...extra,
      ]);
      assert.match(ws, /^HTTP\/1\.1 403/, `upgrade with Host ${host} ${extra}: ${ws.slice(0, 80)}`);
    }
    // Every allowed name still answers.
    for (const name of ['127.0.0.1', 'localhost', '[::1]', 'hw.playentry.org', 'hardware.playentry.org']) {
      for (const hostHeader of [name, `${name}:${started.port}`]) {
        const res = await request({ port: started.port, path: '/', headers: { Host: hostHeader } });
        assert.equal(res.status, 200, `Host ${hostHeader}`);
      }
    }
    assert.deepEqual(parentSaw(started.server, from), []);
  });

  it('refuses origins that only look like Entry once parsed', async () => {
    const from = started.server.messages.length;
    for (const origin of [
      'https://evil.com#.playentry.org',
      'https://evil.com?.playentry.org',
      'https://evil.com\\.playentry.org',
      'https://evil.com/.playentry.org',
    ]) {
      const ws = await upgrade(
        started.port,
        `/socket.io/?EIO=3&transport=websocket&roomId=${randomRoomId()}`,
        [`Host: 127.0.0.1:${started.port}`, `Origin: ${origin}`],
      );
      assert.match(ws, /^HTTP\/1\.1 403/, `${origin}: ${ws.slice(0, 80)}`);
      const res = await request({
        port: started.port,
        path: `/socket.io/?EIO=4&transport=polling&roomId=${randomRoomId()}`,
        headers: { Origin: origin },
      });
      assertReadNothing(res, 'never', origin);
    }
    assert.deepEqual(parentSaw(started.server, from), []);
    // A real subdomain is still welcome.
    const ok = await upgrade(started.port, `/socket.io/?EIO=3&transport=websocket&roomId=${randomRoomId()}`, [
      `Host: 127.0.0.1:${started.port}`,
      'Origin: https://dev.playentry.org',
    ]);
    assert.match(ok, /^HTTP\/1\.1 101/);
  });

  it('2,000 <img> requests with childServer=true change nothing', async () => {
    const from = started.server.messages.length;
    const statuses = new Map<number, number>();
    await inParallel(2000, 32, async (i) => {
      const res = await request({
        port: started.port,
        path: `/socket.io/?EIO=${i % 2 === 0 ? 3 : 4}&transport=polling&childServer=true&t=${i}`,
      });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(!res.body.includes('"sid"'), 'an <img> request must not open a session');
    });
    assert.deepEqual([...statuses], [[403, 2000]]);
    assert.deepEqual(parentSaw(started.server, from), [], 'no cloudModeChanged, no connection');
    const status = JSON.parse((await request({ port: started.port, path: '/status' })).body) as {
      peers: number;
      cloudMode: number;
    };
    assert.equal(status.peers, 0);
    assert.equal(status.cloudMode, 0);
  });

  it('still serves the legitimate paths: no-Origin WebSocket programs, Entry pages, peers over WebSocket', async () => {
    await assertStillRouting(started, 'v2');
    await assertStillRouting(started, 'v4');
    const page = await started.pool.connect({
      version: 'v2',
      url: started.url,
      roomId: randomRoomId(),
      origin: ENTRY,
      transport: 'polling',
    });
    page.close();
    const peer = await upgrade(started.port, '/socket.io/?EIO=4&transport=websocket&childServer=true', [
      `Host: 127.0.0.1:${started.port}`,
    ]);
    assert.match(peer, /^HTTP\/1\.1 101/);
  });
});

describe('web-page attacks on the TLS side', () => {
  let pki: TestPki;
  let started: Started;
  before(async () => {
    pki = makeTestPki();
    started = await startServer({ name: 'web-attacks-tls', env: { ENTRY_HW_CERT_DIR: pki.dir } });
    await started.server.waitFor('cloudModeChanged');
  });
  after(async () => {
    await started?.stop();
  });

  it('checks Host and Origin on every request over TLS too', async () => {
    const agent = tlsAgent(pki.rootPem);
    const tls = { agent, host: 'hw.playentry.org' };
    const from = started.server.messages.length;
    // A verified TLS connection to hw.playentry.org carrying a foreign Host header.
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: started.port,
      servername: 'hw.playentry.org',
      ca: pki.rootPem,
    });
    await once(socket, 'secureConnect');
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(text));
    });
    socket.end(
      `GET /status HTTP/1.1\r\nHost: rebind.evil.example:${started.port}\r\nConnection: close\r\n\r\n`,
    );
    const rebound = await answer;
    assert.match(rebound, /^HTTP\/1\.1 403/, rebound.slice(0, 80));
    assert.ok(!rebound.includes('entry-hw-server'));
    const handshake = await request({
      port: started.port,
      path: `/socket.io/?EIO=4&transport=polling&roomId=${randomRoomId()}`,
      tls,
      headers: { Origin: ENTRY },
    });
    assert.equal(handshake.status, 200);
    const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
    for (const origin of ['https://evil.example', 'null']) {
      const post = await request({
        port: started.port,
        method: 'POST',
        path: `/socket.io/?EIO=4&transport=polling&sid=${sid}`,
        tls,
        headers: { Origin: origin, 'content-type': 'text/plain;charset=UTF-8' },
        body: '40',
      });
      assertReadNothing(post, 'never', `TLS POST with sid from ${origin}`);
    }
    const jsonp = await request({
      port: started.port,
      path: '/socket.io/?EIO=3&transport=polling&j=0',
      tls,
      headers: { Origin: ENTRY },
    });
    assert.equal(jsonp.status, 400);
    agent.destroy();
    assert.deepEqual(parentSaw(started.server, from), []);
  });
});

describe('half-open sockets', () => {
  const DEADLINE_MS = 600;
  let pki: TestPki;
  let started: Started;
  before(async () => {
    pki = makeTestPki();
    started = await startServer({
      name: 'half-open',
      env: { ENTRY_HW_CERT_DIR: pki.dir, ENTRY_HW_HEADERS_TIMEOUT_MS: String(DEADLINE_MS) },
    });
  });
  after(async () => {
    await started?.stop();
  });

  it('closes sockets that send 0x16, 16 03 01, half a ClientHello or a partial header, then go silent', async () => {
    const hello = await captureClientHello();
    const openings: [string, Buffer][] = [
      ['0x16', Buffer.from([0x16])],
      ['16 03 01', Buffer.from([0x16, 0x03, 0x01])],
      ['half a ClientHello', hello.subarray(0, Math.floor(hello.length / 2))],
      ['partial HTTP header', Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${started.port}\r\nX-Slow: `)],
      [
        'partial upgrade',
        Buffer.from('GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nUpgrade: websocket\r\n'),
      ],
    ];
    const sockets = await Promise.all(openings.map(() => rawConnect(started.port)));
    const t0 = Date.now();
    const closed = sockets.map((socket) => once(socket, 'close'));
    openings.forEach(([, bytes], i) => {
      sockets[i]?.write(bytes);
    });
    const results = await Promise.all(
      closed.map((p, i) =>
        Promise.race([
          p.then(() => Date.now() - t0),
          new Promise<number>((resolve) => setTimeout(() => resolve(-1), DEADLINE_MS + 5000)),
        ]).then((ms) => [openings[i]?.[0], ms] as const),
      ),
    );
    for (const [what, ms] of results) {
      assert.notEqual(ms, -1, `${what}: the socket was still open ${DEADLINE_MS + 5000} ms later`);
    }
    for (const socket of sockets) socket.destroy();
    await assertStillRouting(started, 'v2');
  });
});

describe('connection cap', () => {
  const CAP = 20;
  const started = startServerForSuite({ name: 'cap', env: { ENTRY_HW_MAX_CONNECTIONS: String(CAP) } });

  it(`closes connections beyond ${CAP} at once, and serves again when they are gone`, async () => {
    // Fill the server with WebSockets of a local program (no Origin), each answered (so each was
    // accepted): connections that passed the origin rules may use every slot.
    const held: Socket[] = [];
    for (let i = 0; i < CAP; i += 1) {
      const socket = await rawConnect(started.port);
      held.push(socket);
      const answered = once(socket, 'data');
      socket.write(
        `GET /socket.io/?EIO=4&transport=websocket&client=true HTTP/1.1\r\nHost: 127.0.0.1:${started.port}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
      assert.match(String(await answered), /^HTTP\/1\.1 101/);
    }
    const t0 = Date.now();
    const extra = await rawExchange(
      started.port,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${started.port}\r\n\r\n`,
      3000,
    );
    assert.equal(
      extra.length,
      0,
      `a connection beyond the cap was answered: ${extra.toString().slice(0, 80)}`,
    );
    assert.ok(Date.now() - t0 < 2500, 'a connection beyond the cap is closed at once');
    const gone = held.map((socket) => once(socket, 'close'));
    for (const socket of held) socket.destroy();
    await Promise.all(gone);
    // The server sees those closes a moment after this process does: wait until it answers again.
    await until(
      async () =>
        (await rawExchange(started.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${started.port}\r\n\r\n`, 1000))
          .length > 0 || undefined,
      { timeoutMs: 5000, describe: () => 'the server answering again once the held connections closed' },
    );
    await assertStillRouting(started, 'v4');
  });
});

describe('log flood', () => {
  const started = startServerForSuite({ name: 'log-flood', captureOutput: true });

  it('3,000 refused handshakes with 2 KB origins write a bounded amount of log', async () => {
    const before = started.server.outputBytes;
    await inParallel(3000, 32, async (i) => {
      const origin = `https://${i}-${'a'.repeat(2000)}.example`;
      const res = await request({
        port: started.port,
        path: `/socket.io/?EIO=4&transport=polling&roomId=${randomRoomId()}`,
        headers: { Origin: origin },
      });
      assert.equal(res.status, 403);
    });
    await assertStillRouting(started, 'v2');
    const written = started.server.outputBytes - before;
    assert.ok(written < 32 * 1024, `the refusals wrote ${written} bytes of log`);
    const longest = Math.max(...started.server.output.split('\n').map((line) => line.length));
    assert.ok(longest < 600, `a log line of ${longest} characters`);
  });
});

describe('warnings a flood cannot bury', () => {
  const started = startServerForSuite({ name: 'buried-warnings', captureOutput: true });

  it('3,000 sprayed *.localhost Hosts: the genuine warning is logged at once and stays on the page', async () => {
    const ownRoom = randomRoomId();
    started.server.send({ key: 'addRoomId', value: ownRoom });
    await started.server.drain();
    const before = started.server.output.length;
    await inParallel(3000, 32, async (i) => {
      const res = await request({
        port: started.port,
        path: '/',
        headers: { Host: `a${i}-${randomRoomId()}.localhost:${started.port}` },
      });
      assert.equal(res.status, 403);
    });
    // A tab of a room this instance does not serve keeps sending: that is worth a warning.
    const stranger = await started.pool.connect({ version: 'v2', url: started.url, roomId: randomRoomId() });
    const from = started.server.messages.length;
    const sending = setInterval(() => stranger.send({ data: '{"tick":1}', type: 'utf8' }), 16);
    try {
      await until(() => started.server.output.slice(before).includes('dropping a browser message'), {
        timeoutMs: 3000,
        describe: () =>
          `the genuine warning in the log:\n${started.server.output.slice(before).slice(-2000)}`,
      });
    } finally {
      clearInterval(sending);
    }
    assert.deepEqual(parentSaw(started.server, from), [], 'the stranger reached nobody');
    const log = started.server.output.slice(before);
    const hostLines = log.split('\n').filter((line) => line.includes('localhost'));
    assert.ok(
      hostLines.length <= 2,
      `one line per kind per interval, not per Host:\n${hostLines.join('\n')}`,
    );

    const bundle = JSON.parse((await request({ port: started.port, path: '/diagnostics.json' })).body) as {
      problems: { text: string }[];
      refusals: { total: number; kinds: { kind: string; count: number }[] };
    };
    const texts = bundle.problems.map((p) => p.text);
    assert.ok(
      texts.some((t) => t.includes('dropping a browser message')),
      `the genuine warning is among the recent problems: ${JSON.stringify(texts).slice(0, 1000)}`,
    );
    assert.ok(!texts.some((t) => t.includes('.localhost')), 'no refused Host among the problems');
    assert.ok(
      (bundle.refusals.kinds.find((k) => k.kind === 'host')?.count ?? 0) >= 3000,
      JSON.stringify(bundle.refusals),
    );
  });
});
