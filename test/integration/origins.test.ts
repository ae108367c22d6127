// docs/PROTOCOL.md §9: browser handshakes are checked by Origin (Engine.IO allowRequest). Disallowed
// origins get HTTP 403 (polling) or a refused upgrade (websocket) and never reach the parent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLIENT_VERSIONS, type ClientVersion, randomRoomId } from '../../harness/browser-client';
import { assertRoundTrip, type Started, sleep, startServerForSuite } from '../helpers/fixtures';
import { rawExchange, request } from '../helpers/http';

/** A browser of `version` from `origin` (none: no Origin header) connects and routes both ways; then it leaves. */
async function assertServedFrom(
  started: Started,
  version: ClientVersion,
  origin: string | undefined,
): Promise<void> {
  const browser = await started.pool.connect({ version, url: started.url, roomId: randomRoomId(), origin });
  await assertRoundTrip(started.server, browser);
  browser.close();
}

const ALLOWED_BY_DEFAULT = [
  'https://playentry.org',
  'https://dev.playentry.org',
  'http://localhost:8080',
  'https://localhost',
  'http://127.0.0.1:5500',
  'file://',
];
const REFUSED_BY_DEFAULT = [
  'null',
  'https://evil.com#.playentry.org',
  'https://evil.example',
  'https://playentry.org.evil.example',
  'https://evilplayentry.org',
  'http://playentry.org',
  'http://localhost.evil.example',
];

/** Status of an Engine.IO polling handshake (the first request a polling client makes). */
async function pollingHandshake(port: number, origin: string | undefined, eio: 3 | 4 = 4): Promise<number> {
  const res = await request({
    port,
    path: `/socket.io/?EIO=${eio}&transport=polling&client=true&roomId=${randomRoomId()}&t=${Date.now()}`,
    headers: origin === undefined ? {} : { Origin: origin },
  });
  return res.status;
}

/** Status line of a raw WebSocket upgrade request. */
async function websocketUpgrade(port: number, origin: string | undefined): Promise<string> {
  const lines = [
    `GET /socket.io/?EIO=4&transport=websocket&client=true&roomId=${randomRoomId()} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...(origin === undefined ? [] : [`Origin: ${origin}`]),
    '',
    '',
  ];
  const reply = await rawExchange(port, lines.join('\r\n'), 1000);
  return reply.toString('latin1').split('\r\n')[0] ?? '';
}

async function expectRefused(
  started: Started,
  version: ClientVersion,
  origin: string,
  transport: 'websocket' | 'polling',
) {
  const browser = started.pool.create({
    version,
    url: started.url,
    roomId: randomRoomId(),
    origin,
    transport,
  });
  await browser.waitRefused();
  browser.close();
}

describe('origin check (default list)', () => {
  const started = startServerForSuite({ name: 'origins', env: { ENTRY_HW_ALLOWED_ORIGINS: undefined } });

  it('answers a polling handshake from a disallowed origin with 403', async () => {
    for (const origin of REFUSED_BY_DEFAULT) {
      assert.equal(await pollingHandshake(started.port, origin, 4), 403, `EIO 4 from ${origin}`);
      assert.equal(await pollingHandshake(started.port, origin, 3), 403, `EIO 3 from ${origin}`);
    }
  });

  it('refuses a websocket upgrade from a disallowed origin', async () => {
    const status = await websocketUpgrade(started.port, 'https://evil.example');
    assert.match(status, /^HTTP\/1\.1 403/, `upgrade from evil.example answered: ${JSON.stringify(status)}`);
    const ok = await websocketUpgrade(started.port, 'https://playentry.org');
    assert.match(ok, /^HTTP\/1\.1 101/, `upgrade from playentry.org answered: ${JSON.stringify(ok)}`);
  });

  for (const version of CLIENT_VERSIONS) {
    it(`refuses socket.io-client ${version} from https://evil.example (websocket and polling), no connection`, async () => {
      const from = started.server.messages.length;
      await expectRefused(started, version, 'https://evil.example', 'websocket');
      await expectRefused(started, version, 'https://evil.example', 'polling');
      // Something allowed afterwards proves the parent's view is up to date.
      const roomId = randomRoomId();
      const good = await started.pool.connect({
        version,
        url: started.url,
        roomId,
        origin: 'https://playentry.org',
      });
      await started.server.waitFor('connection', () => true, { from });
      await sleep(200);
      assert.equal(
        started.server.messages.slice(from).filter((m) => m.key === 'connection').length,
        1,
        'only the allowed browser may produce a connection message',
      );
      good.close();
    });
  }

  it('accepts the default origins, and a missing Origin over WebSocket only', async () => {
    // docs/PROTOCOL.md §9: polling needs an allowed Origin (a <script> or <img> sends none).
    assert.equal(await pollingHandshake(started.port, undefined), 403, 'polling handshake without Origin');
    for (const origin of [...ALLOWED_BY_DEFAULT, undefined]) {
      if (origin !== undefined) {
        assert.equal(await pollingHandshake(started.port, origin), 200, `polling handshake from ${origin}`);
      }
      for (const version of CLIENT_VERSIONS) {
        await assertServedFrom(started, version, origin);
      }
    }
  });
});

describe('origin check extended by ENTRY_HW_ALLOWED_ORIGINS', () => {
  const started = startServerForSuite({
    name: 'origins-env',
    env: { ENTRY_HW_ALLOWED_ORIGINS: 'https://school.example, https://*.district.example' },
  });

  it('accepts the listed origins and still the defaults', async () => {
    for (const origin of ['https://school.example', 'https://a.district.example', 'https://playentry.org']) {
      assert.equal(await pollingHandshake(started.port, origin), 200, origin);
    }
    await assertServedFrom(started, 'v2', 'https://school.example');
  });

  it('still refuses others', async () => {
    assert.equal(await pollingHandshake(started.port, 'https://evil.example'), 403);
    await expectRefused(started, 'v2', 'https://evil.example', 'websocket');
  });
});

describe('origin check: ENTRY_HW_ALLOWED_ORIGINS=*', () => {
  const started = startServerForSuite({ name: 'origins-star', env: { ENTRY_HW_ALLOWED_ORIGINS: '*' } });

  it('accepts any origin', async () => {
    assert.equal(await pollingHandshake(started.port, 'https://evil.example'), 200);
    await assertServedFrom(started, 'v4', 'https://anything.example');
  });
});

describe('origin check extended by the open option allowedOrigins', () => {
  const started = startServerForSuite({
    name: 'origins-open',
    env: { ENTRY_HW_ALLOWED_ORIGINS: undefined },
    open: { allowedOrigins: ['https://offline.example'] },
  });

  it('reports the usual modes for an options object', async () => {
    await started.server.waitFor('cloudModeChanged', (m) => m.value === 0);
  });

  it('accepts the origin named in open, refuses others', async () => {
    assert.equal(await pollingHandshake(started.port, 'https://offline.example'), 200);
    assert.equal(await pollingHandshake(started.port, 'https://evil.example'), 403);
    await assertServedFrom(started, 'v2', 'https://offline.example');
  });
});
