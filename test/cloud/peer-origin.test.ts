// A web page cannot pose as a peer instance (docs/PROTOCOL.md §5 improved): the host accepts
// `childServer=true` only from handshakes without an Origin header. Browsers always send Origin on
// a WebSocket handshake, so these attackers carry one, and must be refused and learn nothing while
// the real rooms are streaming.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { CloudCluster, randomRoomId, roundTrip, sleep, until } from '../../harness/cloud-cluster';
import { freePort } from '../../harness/server-process';

/** Engine.IO polling handshake with the given headers; resolves status and body. */
function pollingHandshake(
  port: number,
  query: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: `/socket.io/?${query}`, headers, timeout: 3000, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('polling handshake timed out')));
    req.on('error', reject);
    req.end();
  });
}

test('childServer=true with an Origin header is refused and learns nothing', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [roomA, roomB] = [randomRoomId(), randomRoomId()] as [string, string];
  const a = await cluster.start('A', { roomId: roomA });
  const b = await cluster.start('B', { roomId: roomB });
  const browserA = cluster.browser({ roomId: roomA, version: 2, name: 'browserA' });
  const browserB = cluster.browser({ roomId: roomB, version: 2, name: 'browserB' });
  await Promise.all([browserA.waitConnected(), browserB.waitConnected()]);
  await roundTrip(a, browserA);
  await roundTrip(b, browserB);
  const streams = [cluster.stream(a, browserA, roomA), cluster.stream(b, browserB, roomB)];

  const hostMark = a.proc.messages.length;
  const origins = ['https://playentry.org', 'https://evil.example', 'null'];
  const attackers = origins.flatMap((origin, i) =>
    ([2, 4] as const).map((version) =>
      cluster.browser({
        version,
        name: `attacker(v${version}, Origin ${origin})`,
        query: { childServer: 'true', ...(i === 0 ? {} : { client: 'true' }) },
        roomId: i === 2 ? roomA : undefined, // one also claims a victim's room as a browser would
        headers: { Origin: origin },
        reconnectDelayMs: 200,
      }),
    ),
  );
  // Whatever an attacker might have been admitted as, it tries to take over both rooms.
  const stealTimer = setInterval(() => {
    for (const attacker of attackers) {
      attacker.emitRaw('matchTarget', roomA);
      attacker.emitRaw('matchTarget', { roomId: roomB });
    }
  }, 50);
  t.after(() => clearInterval(stealTimer));

  // Raw Engine.IO handshakes too (both protocol revisions), outside any client library.
  for (const eio of ['3', '4']) {
    const res = await pollingHandshake(a.proc.port, `EIO=${eio}&transport=polling&childServer=true`, {
      Origin: 'https://playentry.org',
    });
    assert.ok(
      res.status >= 400 && !res.body.includes('"sid"'),
      `EIO=${eio} polling handshake with childServer=true and Origin must be refused, got ${res.status} ${res.body.slice(0, 200)}`,
    );
  }

  await sleep(2000);
  clearInterval(stealTimer);
  for (const attacker of attackers) {
    assert.equal(
      attacker.connections,
      0,
      `${attacker.name} must not get a socket.io connection (errors: ${attacker.errors.slice(0, 2)})`,
    );
    assert.deepEqual(attacker.received, [], `${attacker.name} must receive nothing`);
    assert.ok(attacker.errors.length > 0, `${attacker.name} should have been told no (connect_error)`);
  }
  const peerConnections = a.proc.messages
    .slice(hostMark)
    .filter((m) => m.key === 'connection' && (m.value as { kind?: string } | undefined)?.kind === 'peer');
  assert.deepEqual(peerConnections, [], 'the host must not report a peer connection for any attacker');
  const status = await cluster.status();
  assert.equal(status?.peers, 1, `/status must still count only the real peer: ${JSON.stringify(status)}`);

  // The victims' rooms still belong to their instances.
  const checks = streams.map((s) => ({
    stream: s,
    b2p: s.b2pReceived().length,
    p2b: s.p2bReceived().length,
  }));
  await until(
    () =>
      checks.every(
        (c) => c.stream.b2pReceived().length > c.b2p + 5 && c.stream.p2bReceived().length > c.p2b + 5,
      ),
    {
      timeoutMs: 3000,
      describe: () => 'the real rooms to keep streaming after the attack',
    },
  );
  for (const attacker of attackers) attacker.close();

  // Control: the same handshake without an Origin header is what real peers do, and is accepted.
  const control = cluster.browser({
    version: 4,
    name: 'control(no Origin)',
    query: { childServer: 'true' },
    reconnect: false,
  });
  await control.waitConnected(5000);
  control.close();
});

test('a connected browser cannot claim other rooms with matchTarget', async (t) => {
  const cluster = new CloudCluster(await freePort());
  t.after(() => cluster.destroy());
  const [roomA, roomB, roomEvil] = [randomRoomId(), randomRoomId(), randomRoomId()] as [
    string,
    string,
    string,
  ];
  const a = await cluster.start('A', { roomId: roomA });
  const b = await cluster.start('B', { roomId: roomB });
  const browserA = cluster.browser({ roomId: roomA, version: 2, name: 'browserA' });
  const browserB = cluster.browser({ roomId: roomB, version: 2, name: 'browserB' });
  // An allowed origin and a roomId of its own: a legitimate browser connection, used maliciously.
  const evil = cluster.browser({
    roomId: roomEvil,
    version: 2,
    name: 'evil browser',
    headers: { Origin: 'https://playentry.org' },
  });
  await Promise.all([browserA.waitConnected(), browserB.waitConnected(), evil.waitConnected()]);
  await roundTrip(a, browserA);
  await roundTrip(b, browserB);
  const streams = [cluster.stream(a, browserA, roomA), cluster.stream(b, browserB, roomB)];
  for (let i = 0; i < 20; i += 1) {
    evil.emitRaw('matchTarget', roomA);
    evil.emitRaw('matchTarget', { roomId: roomB });
    await sleep(50);
  }
  await sleep(300);
  for (const s of streams) s.stop();
  assert.deepEqual(
    evil.tags(),
    [],
    "a browser must not receive other rooms' traffic after sending matchTarget",
  );
  assert.equal((await cluster.status())?.peers, 1, 'a browser must not become a peer');
  await roundTrip(a, browserA, { label: 'after the matchTarget attempts' });
  await roundTrip(b, browserB, { label: 'after the matchTarget attempts' });
});
