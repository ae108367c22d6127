// GET /diagnostics and /diagnostics.json on a live host with a peer and rooms: who may read
// them (Host allow-list, no CORS grant whatever the Origin), the security headers, the language,
// the download, and the bundle's privacy (no host or user name, home path, MAC, other IP, full
// roomId or message contents), with a hostile origin string in the refusals row. Then the
// rows of instances started without a roomId, on a single PC and in a cloud, until they get one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { homedir, hostname, networkInterfaces, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomRoomId } from '../../harness/browser-client';
import {
  CloudCluster,
  type Instance,
  lastValue,
  roundTrip,
  type TestBrowser,
  until,
} from '../../harness/cloud-cluster';
import { freePort, type ServerProcess, spawnServer } from '../../harness/server-process';
import type { DiagnosticsSnapshot } from '../../src/diagnostics/snapshot';
import { type Started, startServer } from '../helpers/fixtures';
import { request } from '../helpers/http';

const HOSTILE_ORIGIN = 'https://x"><img src=x onerror=alert(1)><script>alert(2)</script>.evil';
const PATHS = ['/diagnostics', '/diagnostics.json'];

/** This machine's identifying facts, as the bundle must never contain them. */
function privateFacts(): { label: string; pattern: RegExp }[] {
  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const facts = [
    { label: 'hostname', pattern: new RegExp(`\\b${escapeRe(hostname())}\\b`, 'i') },
    { label: 'user name', pattern: new RegExp(`\\b${escapeRe(userInfo().username)}\\b`, 'i') },
    { label: 'home path', pattern: new RegExp(escapeRe(homedir())) },
  ];
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.mac !== '00:00:00:00:00:00')
        facts.push({ label: `MAC of ${name}`, pattern: new RegExp(escapeRe(entry.mac), 'i') });
      if (!entry.internal)
        facts.push({ label: `IP of ${name}`, pattern: new RegExp(escapeRe(entry.address), 'i') });
    }
  }
  return facts;
}

describe('diagnostics routes on a live host with a peer and rooms', () => {
  let host: Started;
  let peer: ServerProcess;
  const hostRoom = randomRoomId();
  const peerRoom = randomRoomId();
  const orphanRoom = randomRoomId();
  const leftRoom = randomRoomId();
  const secretUp = `SECRET-UP-${randomBytes(4).toString('hex')}`;
  const secretDown = `SECRET-DOWN-${randomBytes(4).toString('hex')}`;
  const ipOrigin = `http://${
    Object.values(networkInterfaces())
      .flat()
      .find((e) => e && !e.internal && e.family === 'IPv4')?.address ?? '192.0.2.55'
  }:8080`;

  before(async () => {
    // A certificate directory under the home folder that does not exist: its path lands in a warning.
    const missingCerts = join(homedir(), `entry-hw-diagnostics-test-${randomBytes(3).toString('hex')}`);
    host = await startServer({ name: 'diag-host', env: { ENTRY_HW_CERT_DIR: missingCerts } });
    host.server.send({ key: 'addRoomId', value: hostRoom });
    peer = spawnServer({ port: host.port, name: 'diag-peer' });
    assert.equal(await peer.open(), 3);
    peer.send({ key: 'addRoomId', value: peerRoom });
    peer.send({ key: 'connectHardwareSuccess', value: '520101' });
    host.server.send({ key: 'connectHardwareFailed', value: undefined });
    await host.server.waitFor('cloudModeChanged', (m) => m.value === 1);

    const own = await host.pool.connect({ version: 'v2', url: host.url, roomId: hostRoom });
    const theirs = await host.pool.connect({ version: 'v4', url: host.url, roomId: peerRoom });
    const orphan = await host.pool.connect({ version: 'v2', url: host.url, roomId: orphanRoom });
    const leaving = await host.pool.connect({ version: 'v2', url: host.url, roomId: leftRoom });
    leaving.close();
    for (const browser of [own, theirs, orphan]) {
      for (let i = 0; i < 5; i += 1)
        browser.send({ data: JSON.stringify({ secret: secretUp, i }), type: 'utf8' });
    }
    host.server.send({ key: 'send', value: { secret: secretDown } });
    peer.send({ key: 'send', value: { secret: secretDown } });
    await own.waitForMessage((p) => JSON.stringify(p).includes(secretDown));
    await theirs.waitForMessage((p) => JSON.stringify(p).includes(secretDown));
    await peer.waitFor('data', (m) => JSON.stringify(m.value).includes(secretUp));
    // Refused handshakes whose origins land in the counted refusals, not the problems.
    for (const origin of [HOSTILE_ORIGIN, ipOrigin]) {
      const res = await request({
        port: host.port,
        path: '/socket.io/?EIO=4&transport=polling',
        headers: { origin },
      });
      assert.notEqual(res.status, 200);
    }
  });

  after(async () => {
    await peer?.stop();
    await host?.stop();
  });

  async function bundle(): Promise<{ text: string; json: DiagnosticsSnapshot }> {
    const res = await request({ port: host.port, path: '/diagnostics.json' });
    assert.equal(res.status, 200);
    return { text: res.body, json: JSON.parse(res.body) as DiagnosticsSnapshot };
  }

  it('refuses a Host that is not loopback or a certificate name (DNS rebinding), on both routes', async () => {
    for (const path of PATHS) {
      for (const hostHeader of [
        'evil.example',
        `evil.example:${host.port}`,
        `hw.playentry.org.evil.example:${host.port}`,
        '192.0.2.1',
      ]) {
        const res = await request({ port: host.port, path, headers: { host: hostHeader } });
        assert.equal(res.status, 403, `${path} with Host ${hostHeader}`);
        assert.ok(!res.body.includes('entry-hw-server'), 'nothing of the bundle in a refusal');
      }
      for (const hostHeader of [
        `127.0.0.1:${host.port}`,
        `localhost:${host.port}`,
        `hw.playentry.org:${host.port}`,
        `hardware.playentry.org:${host.port}`,
        `[::1]:${host.port}`,
      ]) {
        const res = await request({ port: host.port, path, headers: { host: hostHeader } });
        assert.equal(res.status, 200, `${path} with Host ${hostHeader}`);
      }
    }
  });

  it('never sends Access-Control-Allow-Origin, whatever the Origin; refuses cross-site requests', async () => {
    for (const path of PATHS) {
      for (const origin of [
        'https://playentry.org',
        'https://evil.example',
        'null',
        `http://127.0.0.1:${host.port}`,
      ]) {
        for (const method of ['GET', 'OPTIONS']) {
          const res = await request({
            port: host.port,
            path,
            method,
            headers: {
              origin,
              'access-control-request-method': 'GET',
              'access-control-request-private-network': 'true',
            },
          });
          assert.equal(
            res.headers['access-control-allow-origin'],
            undefined,
            `${method} ${path} from ${origin}`,
          );
          assert.equal(res.headers['access-control-allow-private-network'], undefined);
          if (origin !== `http://127.0.0.1:${host.port}` || method === 'OPTIONS')
            assert.notEqual(res.status, 200);
        }
      }
      const crossSite = await request({ port: host.port, path, headers: { 'sec-fetch-site': 'cross-site' } });
      assert.equal(crossSite.status, 403);
    }
  });

  it('opens the page for a top-level navigation from another site (a link on playentry.org); nothing else cross-site', async () => {
    const navigate = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };
    for (const site of ['same-site', 'cross-site']) {
      const page = await request({
        port: host.port,
        path: '/diagnostics',
        headers: { ...navigate, 'sec-fetch-site': site, 'sec-fetch-user': '?1' },
      });
      assert.equal(page.status, 200, `a ${site} link opens the page`);
      assert.equal(page.headers['access-control-allow-origin'], undefined);
      assert.equal(page.headers['x-frame-options'], 'DENY');
      for (const [what, headers] of [
        ['the bundle by navigation', { ...navigate, 'sec-fetch-site': site }],
        [
          'the page in a frame',
          { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe', 'sec-fetch-site': site },
        ],
        [
          'the page by fetch',
          { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', 'sec-fetch-site': site },
        ],
      ] as const) {
        const path = what.startsWith('the bundle') ? '/diagnostics.json' : '/diagnostics';
        const res = await request({ port: host.port, path, headers });
        assert.equal(res.status, 403, `${site}: ${what}`);
      }
    }
  });

  it('sends a strict CSP with a per-response nonce, nosniff and X-Frame-Options DENY', async () => {
    const first = await request({ port: host.port, path: '/diagnostics' });
    const second = await request({ port: host.port, path: '/diagnostics' });
    assert.equal(first.status, 200);
    assert.match(String(first.headers['content-type']), /^text\/html; charset=utf-8/);
    const csp = String(first.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`style-src 'nonce-${nonce.replace(/[+/=]/g, '\\$&')}'`));
    assert.match(csp, /frame-ancestors 'none'/);
    assert.ok(!/unsafe-inline|unsafe-eval|\*/.test(csp), csp);
    assert.notEqual(String(second.headers['content-security-policy']), csp, 'a fresh nonce per response');
    assert.ok(first.body.includes(`<script nonce="${nonce}">`));
    assert.ok(first.body.includes(`<style nonce="${nonce}">`));
    assert.equal((first.body.match(/<script/g) ?? []).length, 1, 'one inline script, no other');
    for (const path of PATHS) {
      const res = await request({ port: host.port, path });
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  });

  it('speaks Korean when the browser prefers it, English otherwise', async () => {
    const ko = await request({
      port: host.port,
      path: '/diagnostics',
      headers: { 'accept-language': 'ko-KR,ko;q=0.9,en;q=0.8' },
    });
    assert.match(ko.body, /<html lang="ko">/);
    assert.match(ko.body, /엔트리 하드웨어 진단/);
    const en = await request({
      port: host.port,
      path: '/diagnostics',
      headers: { 'accept-language': 'en-US,en;q=0.9,ko;q=0.5' },
    });
    assert.match(en.body, /<html lang="en">/);
    assert.match(en.body, /Entry HW diagnostics/);
  });

  it('offers the bundle as a download named with the date', async () => {
    const res = await request({ port: host.port, path: '/diagnostics.json?download=1' });
    const today = new Date().toISOString().slice(0, 10);
    assert.match(
      String(res.headers['content-disposition']),
      new RegExp(`^attachment; filename="entry-hw-diagnostics-${today}_[0-9-]+\\.json"$`),
    );
    assert.equal((JSON.parse(res.body) as { schema: number }).schema, 3);
  });

  it('the bundle: schema 3, this server, the rooms of the whole classroom with masked ids', async () => {
    const rowsSettled = () =>
      bundle().then(({ json }) =>
        json.rooms.some((r) => r.instance === 'peer' && r.device.state === 'connected') ? json : undefined,
      );
    const json = await until(rowsSettled, {
      timeoutMs: 5000,
      describe: () => 'the peer report in the bundle',
    });
    assert.equal(json.schema, 3);
    assert.equal(json.server.name, 'entry-hw-server');
    assert.equal(json.server.role, 'host');
    assert.equal(json.server.cloudMode, 'cloud');
    assert.equal(json.server.port, host.port);
    // The executable embeds a certificate, `node dist/main.cjs` here has none: the page says what /status says.
    const status = JSON.parse((await request({ port: host.port, path: '/status' })).body) as {
      tls: { enabled: boolean };
    };
    assert.equal(json.server.tls.on, status.tls.enabled);
    assert.equal(json.server.plainWs, true);
    assert.equal(json.server.peers, 1);
    assert.equal(json.server.roomCounting, true);
    const checkIds = json.checks.map((c) => c.id);
    assert.deepEqual(checkIds, ['dns:hw.playentry.org', 'dns:hardware.playentry.org', 'certificate', 'port']);
    assert.equal(
      json.checks.find((c) => c.id === 'certificate')?.state,
      status.tls.enabled ? 'valid' : 'none',
    );
    assert.equal(json.checks.find((c) => c.id === 'port')?.state, 'host');
    const row = (roomId: string) => json.rooms.find((r) => r.room === `${roomId.slice(0, 3)}…`);
    assert.deepEqual(
      [row(hostRoom)?.state, row(hostRoom)?.instance, row(hostRoom)?.device.state],
      ['device-failed', 'host', 'failed'],
    );
    assert.deepEqual(
      [row(peerRoom)?.state, row(peerRoom)?.instance, row(peerRoom)?.device.moduleId],
      ['ok', 'peer', '520101'],
    );
    assert.equal(row(peerRoom)?.messagesTotal.fromBrowser, 5);
    assert.equal(row(peerRoom)?.messagesTotal.toBrowser, 1);
    assert.equal(row(orphanRoom)?.state, 'no-instance');
    assert.deepEqual(row(orphanRoom)?.dropped, [{ reason: 'no-instance-for-room', count: 5 }]);
    assert.equal(row(leftRoom)?.state, 'browser-left');
  });

  it('the bundle holds no host or user name, home path, MAC, other IP, full roomId or message contents', async () => {
    const { text, json } = await bundle();
    for (const roomId of [hostRoom, peerRoom, orphanRoom, leftRoom])
      assert.ok(!text.includes(roomId), `full roomId ${roomId} in the bundle`);
    for (const secret of [secretUp, secretDown, 'SECRET-'])
      assert.ok(!text.includes(secret), `message contents in the bundle`);
    for (const fact of privateFacts()) assert.ok(!fact.pattern.test(text), `${fact.label} in the bundle`);
    // The warnings that carried them are there, scrubbed.
    const problems = json.problems.map((p) => p.text).join('\n');
    assert.match(problems, /~\/entry-hw-diagnostics-test-/, 'home path shown as ~');
    assert.match(problems, /no Entry HW on this PC has room [0-9a-f]{3}…/);
    const origins = json.refusals.kinds.find((k) => k.kind === 'origin');
    assert.match(origins?.latest ?? '', /origin is not allowed "http:\/\/<ip>:8080"/);
  });

  it('a hostile origin string is kept as text, truncated, and never reaches the HTML', async () => {
    const { json } = await bundle();
    const hostile = json.refusals.kinds.find((k) => k.kind === 'origin')?.first ?? '';
    assert.ok(hostile.includes('onerror'), 'the refused hostile origin is in the refusals row');
    assert.ok(
      hostile.includes('<img src=x onerror=alert(1)>'),
      'kept verbatim as JSON text (the page writes it with textContent)',
    );
    assert.ok(hostile.length <= 300);
    assert.ok(!json.problems.some((p) => p.text.includes('onerror')), 'refusals are not problems');
    assert.ok(json.problems.length <= 50);
    const page = await request({ port: host.port, path: '/diagnostics' });
    assert.ok(!page.body.includes('<img src=x'), 'no outside value is rendered into the HTML by the server');
  });

  it('leaves GET / and /status as they were', async () => {
    const root = await request({ port: host.port, path: '/' });
    assert.deepEqual([root.status, root.body], [200, 'hello entry']);
    const status = JSON.parse((await request({ port: host.port, path: '/status' })).body) as Record<
      string,
      unknown
    >;
    // Added over time: the `debug` leak counters, the `pairings` counts (pairing by OS session), the
    // log file; every field peers read is unchanged.
    assert.deepEqual(Object.keys(status).sort(), [
      'browsers',
      'cloudMode',
      'debug',
      'logFile',
      'name',
      'pairings',
      'peers',
      'runningMode',
      'tls',
      'version',
    ]);
  });
});

describe('diagnostics after a foreign program held the port', () => {
  it('the port check names the last PORT_HELD_BY_OTHER_PROGRAM once this instance is host', async (t) => {
    const port = await freePort();
    const foreign = createHttpServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'),
    );
    foreign.listen(port, '127.0.0.1');
    await once(foreign, 'listening');
    const server = spawnServer({ port, name: 'diag-foreign' });
    t.after(() => server.stop());
    server.send({ key: 'open', value: 'production' });
    const error = await server.waitFor('error', (m) => m.value.code === 'PORT_HELD_BY_OTHER_PROGRAM');
    foreign.closeAllConnections();
    await new Promise<void>((resolve) => foreign.close(() => resolve()));
    await server.waitFor('runningModeChanged', (m) => m.value === 2, { timeoutMs: 15_000 });
    const json = JSON.parse((await request({ port, path: '/diagnostics.json' })).body) as DiagnosticsSnapshot;
    const check = json.checks.find((c) => c.id === 'port');
    assert.equal(check?.status, 'warning');
    assert.equal(check?.state, 'host-after-foreign');
    assert.equal(check?.facts.foreignDetail, error.value.message);
    assert.ok(json.problems.some((p) => p.text.includes('PORT_HELD_BY_OTHER_PROGRAM')));
  });
});

describe('diagnostics rows of instances without a roomId, real processes', () => {
  // Entry HW sends addRoomId only when its link is opened while it already runs: here every
  // instance starts without one, as after a first launch, and gets it later.
  const [roomA, roomB, roomC] = [randomRoomId(), randomRoomId(), randomRoomId()];
  const masked = (roomId: string) => `${roomId.slice(0, 3)}…`;
  let cluster: CloudCluster;
  let port: number;

  before(async () => {
    port = await freePort();
    cluster = new CloudCluster(port);
  });

  after(() => cluster?.destroy());

  async function bundle(): Promise<DiagnosticsSnapshot> {
    const res = await request({ port, path: '/diagnostics.json' });
    assert.equal(res.status, 200);
    return JSON.parse(res.body) as DiagnosticsSnapshot;
  }

  /** Row summaries, `room:instance:state` (room `-` for none), sorted. */
  const summary = (json: DiagnosticsSnapshot) =>
    json.rooms.map((r) => `${r.room ?? '-'}:${r.instance ?? '-'}:${r.state}`).sort();

  /** Waits until the rows read `want` (any order). */
  async function rowsBecome(want: string[], what: string): Promise<DiagnosticsSnapshot> {
    let last: DiagnosticsSnapshot | undefined;
    const sorted = [...want].sort();
    return until(
      async () => {
        last = await bundle();
        return JSON.stringify(summary(last)) === JSON.stringify(sorted) ? last : undefined;
      },
      {
        timeoutMs: 10_000,
        describe: () => `${what}: rows ${JSON.stringify(sorted)}`,
        explain: () => `last rows ${JSON.stringify(last && summary(last))}; ${cluster.describe()}`,
      },
    );
  }

  const assertNoOk = (json: DiagnosticsSnapshot, why: string) =>
    assert.deepEqual(
      json.rooms.filter((r) => r.state === 'ok').map((r) => r.room),
      [],
      `no room is 'ok' ${why}`,
    );

  it('a single PC: one room is the usual case, two rooms are labelled, never "working"', async () => {
    const host = await cluster.start('roomless-host');
    assert.equal(lastValue(host.proc, 'runningModeChanged'), 2);
    const tabA = cluster.browser({ roomId: roomA });
    await tabA.waitConnected();
    const one = await rowsBecome([`${masked(roomA)}:host:single-pc`], 'one tab on a single PC');
    assertNoOk(one, 'on a single PC whose Entry HW has no roomId');
    assert.equal(one.server.cloudMode, 'single');
    const tabB = cluster.browser({ roomId: roomB, version: 4 });
    await tabB.waitConnected();
    const two = await rowsBecome(
      [`${masked(roomA)}:host:single-pc-several-rooms`, `${masked(roomB)}:host:single-pc-several-rooms`],
      'tabs of two rooms on a single PC',
    );
    assertNoOk(two, 'when the only Entry HW serves tabs of two rooms');
    // The label is what routing does: the roomless host serves both tabs.
    await roundTrip(host, tabA);
    await roundTrip(host, tabB);
  });

  it('in a cloud: the roomless host and peer get rows of their own, the tabs are unserved', async () => {
    const [host] = cluster.instances as [Instance];
    const from = host.proc.messages.length;
    await cluster.start('roomless-peer');
    await cluster.waitForStableRoles();
    const json = await rowsBecome(
      [
        `${masked(roomA)}:-:no-instance`,
        `${masked(roomB)}:-:no-instance`,
        '-:host:instance-without-room',
        '-:peer:instance-without-room',
      ],
      'a roomless host and a roomless peer',
    );
    assertNoOk(json, 'while no instance has a roomId');
    assert.equal(json.server.cloudMode, 'cloud');
    // Told once, to the parent and in the recent problems, with the remedy that works.
    await host.proc.waitFor('error', (m) => m.value.code === 'ROOM_UNKNOWN', { from });
    const told = (await bundle()).problems.filter((p) => p.text.startsWith('ROOM_UNKNOWN:'));
    assert.equal(told.length, 1, JSON.stringify(told));
    assert.equal(told[0]?.level, 'warning');
    assert.match(told[0]?.text ?? '', /press the hardware-connect button on the Entry page again/);
    assert.equal(host.proc.all('error').filter((m) => m.value.code === 'ROOM_UNKNOWN').length, 1);
    // The rows say what routing does: tab A's messages reach no Entry HW and are counted lost.
    const [tabA] = cluster.browsers as [TestBrowser];
    const marker = `unserved-${randomBytes(4).toString('hex')}`;
    const lost = await until(
      async () => {
        tabA.emit({ data: marker, type: 'utf8' });
        const row = (await bundle()).rooms.find((r) => r.room === masked(roomA));
        return row?.dropped.find((d) => d.reason === 'no-instance-for-room')?.count;
      },
      { describe: () => 'lost messages of room A on its row' },
    );
    assert.ok(lost > 0);
    assert.ok(
      !host.proc.messages
        .slice(from)
        .some((m) => m.key === 'data' && JSON.stringify(m.value).includes(marker)),
      'the roomless host got no message of room A',
    );
  });

  it('a refused claim is `room-taken`; a room no instance has stays unserved', async () => {
    const peer = cluster.instances[1] as Instance;
    peer.proc.send({ key: 'addRoomId', value: roomB });
    const late = await cluster.start('late-peer');
    late.proc.send({ key: 'addRoomId', value: roomB });
    await late.proc.waitFor('error', (m) => m.value.code === 'ROOM_CLAIMED');
    const tabC = cluster.browser({ roomId: roomC });
    await tabC.waitConnected();
    const json = await rowsBecome(
      [
        `${masked(roomA)}:-:no-instance`,
        `${masked(roomB)}:peer:ok`,
        `${masked(roomC)}:-:no-instance`,
        '-:host:instance-without-room',
        '-:peer:room-taken',
      ],
      'one granted claim, one refused, one room without an instance',
    );
    assert.equal(json.rooms.find((r) => r.state === 'room-taken')?.askedRoom, masked(roomB));
  });

  it('after addRoomId every room with a tab is `ok`, and each pair really talks', async () => {
    const [host, peer, late] = cluster.instances as [Instance, Instance, Instance];
    host.proc.send({ key: 'addRoomId', value: roomA });
    late.proc.send({ key: 'addRoomId', value: roomC });
    host.roomId = roomA;
    peer.roomId = roomB;
    late.roomId = roomC;
    const json = await rowsBecome(
      [`${masked(roomA)}:host:ok`, `${masked(roomB)}:peer:ok`, `${masked(roomC)}:peer:ok`],
      'every instance given its roomId',
    );
    assert.equal(json.server.peers, 2);
    const [tabA, tabB, tabC] = cluster.browsers as [TestBrowser, TestBrowser, TestBrowser];
    await roundTrip(host, tabA);
    await roundTrip(peer, tabB);
    await roundTrip(late, tabC);
  });
});
