// The diagnostics page: its checks, masking, scrubbing, escaping, recent problems, room counters and
// the bundle's room rows, without sockets. Who serves a room, and the rows of instances
// that serve none.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { HubFacts } from '../../src/contracts/hub-facts';
import { parsePeerReport } from '../../src/contracts/peer-report';
import {
  CERTIFICATE_NAMES,
  checkCertificate,
  checkDnsName,
  checkPort,
  DnsChecker,
  isLoopbackAddress,
} from '../../src/diagnostics/checks';
import { escapeHtml, jsonForScript, maskRoomId, scrubText, truncate } from '../../src/diagnostics/mask';
import { renderPage } from '../../src/diagnostics/page';
import { MAX_PROBLEMS, ProblemLog, recordProblems } from '../../src/diagnostics/problems';
import { RoomStats, type RoomTraffic } from '../../src/diagnostics/room-stats';
import { buildRoomRows, type RoomRow, type RoomState } from '../../src/diagnostics/snapshot';
import { pickLanguage, TEXTS } from '../../src/diagnostics/texts';
import { isHostAllowed as isDiagnosticsHostAllowed } from '../../src/policy/request-policy';
import { FakeLogger } from '../helpers/fake-logger';

const DAY = 86_400_000;

describe('diagnostics: DNS check (injected resolver)', () => {
  it('OK when the name resolves to loopback only', async () => {
    const result = await checkDnsName('hw.playentry.org', async () => ['127.0.0.1', '::1']);
    assert.equal(result.status, 'ok');
    assert.equal(result.state, 'loopback');
    assert.equal(result.facts.loopback, '127.0.0.1, ::1');
  });

  it('a problem when it resolves elsewhere, without revealing the address', async () => {
    const result = await checkDnsName('hw.playentry.org', async () => ['203.0.113.7']);
    assert.equal(result.status, 'problem');
    assert.equal(result.state, 'elsewhere');
    assert.equal(result.facts.otherAddresses, 1);
    assert.ok(!JSON.stringify(result).includes('203.0.113.7'), 'no non-loopback IP in the result');
  });

  it('a problem when the name does not resolve, or resolves to nothing', async () => {
    const failing = await checkDnsName('hw.playentry.org', async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    });
    assert.deepEqual(
      [failing.status, failing.state, failing.facts.error],
      ['problem', 'unresolved', 'ENOTFOUND'],
    );
    const empty = await checkDnsName('hw.playentry.org', async () => []);
    assert.deepEqual([empty.status, empty.state], ['problem', 'unresolved']);
  });

  it('a problem after the timeout when the resolver hangs', async () => {
    const started = Date.now();
    const result = await checkDnsName('hw.playentry.org', () => new Promise(() => {}), 50);
    assert.equal(result.state, 'timeout');
    assert.ok(Date.now() - started < 1000);
  });

  it('DnsChecker: pending first, then both names; cached until stale; one lookup for concurrent callers', async () => {
    let now = 0;
    const asked: string[] = [];
    const dns = new DnsChecker({
      resolve: async (name) => {
        asked.push(name);
        return name === 'hw.playentry.org' ? ['127.0.0.1'] : ['198.51.100.1'];
      },
      maxAgeMs: 1000,
      now: () => now,
    });
    assert.deepEqual(
      dns.current().map((c) => c.status),
      ['pending', 'pending'],
    );
    await Promise.all([dns.refresh(), dns.refresh()]);
    assert.deepEqual(asked, [...CERTIFICATE_NAMES]);
    assert.deepEqual(
      dns.current().map((c) => [c.id, c.status]),
      [
        ['dns:hw.playentry.org', 'ok'],
        ['dns:hardware.playentry.org', 'problem'],
      ],
    );
    await dns.refresh();
    assert.equal(asked.length, 2, 'a fresh result is reused');
    now = 1500;
    await dns.refresh();
    assert.equal(asked.length, 4, 'a stale result is checked again');
  });

  it('isLoopbackAddress', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
    for (const a of ['10.0.0.1', '0.0.0.0', '::', 'fe80::1', '128.0.0.1'])
      assert.ok(!isLoopbackAddress(a), a);
  });
});

describe('diagnostics: certificate and port checks', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const cert = (offsetDays: number) => ({
    notAfter: new Date(now.getTime() + offsetDays * DAY),
    tlsActive: offsetDays > 0,
    plainOnlyByOption: false,
  });

  it('valid, expiring within 30 days, expired, none', () => {
    const valid = checkCertificate(cert(200), now);
    assert.deepEqual([valid.status, valid.state, valid.facts.daysLeft], ['ok', 'valid', 200]);
    const soon = checkCertificate(cert(12), now);
    assert.deepEqual([soon.status, soon.state, soon.facts.daysLeft], ['warning', 'expiring-soon', 12]);
    const expired = checkCertificate(cert(-3), now);
    assert.deepEqual([expired.status, expired.state], ['problem', 'expired']);
    assert.equal(expired.facts.tlsActive, false);
    const none = checkCertificate({ notAfter: undefined, tlsActive: false, plainOnlyByOption: false }, now);
    assert.deepEqual([none.status, none.state], ['warning', 'none']);
    const byOption = checkCertificate(
      { notAfter: undefined, tlsActive: false, plainOnlyByOption: true },
      now,
    );
    assert.deepEqual([byOption.status, byOption.state], ['ok', 'plain-by-option']);
  });

  it('port: host, peer, a foreign holder now, and a foreign holder seen before this host bound', () => {
    const seen = {
      at: '2026-06-01T00:00:00.000Z',
      message: 'the port is held by another program: GET /status answered 404',
    };
    assert.equal(checkPort({ port: 23518, role: 'host', lastForeignHolder: undefined }).status, 'ok');
    assert.equal(checkPort({ port: 23518, role: 'peer', lastForeignHolder: undefined }).state, 'peer');
    const foreign = checkPort({ port: 23518, role: 'starting', lastForeignHolder: seen });
    assert.deepEqual([foreign.status, foreign.state], ['problem', 'foreign']);
    assert.equal(foreign.facts.foreignDetail, seen.message);
    assert.equal(foreign.facts.foreignAt, seen.at);
    const after = checkPort({ port: 23518, role: 'host', lastForeignHolder: seen });
    assert.deepEqual([after.status, after.state], ['warning', 'host-after-foreign']);
    assert.equal(
      checkPort({ port: 23518, role: 'starting', lastForeignHolder: undefined }).status,
      'pending',
    );
  });
});

describe('diagnostics: masking, scrubbing and escaping', () => {
  it('masks a roomId to its first three characters', () => {
    assert.equal(maskRoomId('0a1b2c3d4e'), '0a1…');
    assert.equal(maskRoomId('ab'), 'ab…');
    assert.equal(maskRoomId(undefined), null);
  });

  it('scrubs roomIds, home path, user and host names, MAC and non-loopback IPs from text', () => {
    const facts = {
      hostname: 'CLASS-PC-07',
      username: 'kimminji',
      homedir: '/home/kimminji',
      roomIds: ['room-of-minji'],
    };
    const text =
      'dropping a browser message: roomId 0a1b2c3d4e belongs to no instance; room-of-minji; ' +
      'no cert.pem in /home/kimminji/certs; C:\\Users\\parkjisu\\AppData on CLASS-PC-07 by kimminji; ' +
      'mac 00:1a:2b:3c:4d:5e ip 192.168.0.23 and fe80::1c2d:3e4f:5a6b:7c8d but 127.0.0.1 and ::1 at 12:34:56';
    const out = scrubText(text, facts);
    for (const secret of [
      '0a1b2c3d4e',
      'room-of-minji',
      'kimminji',
      'parkjisu',
      'CLASS-PC-07',
      '00:1a:2b',
      '192.168',
      'fe80::1c2d',
    ]) {
      assert.ok(!out.includes(secret), `${secret} left in: ${out}`);
    }
    assert.match(out, /roomId 0a1… belongs/);
    assert.match(out, /; roo…;/);
    assert.match(out, /in ~\/certs/);
    assert.match(out, /127\.0\.0\.1 and ::1 at 12:34:56/, 'loopback and times are kept');
  });

  it('escapes HTML and script-embedded JSON', () => {
    assert.equal(
      escapeHtml(`<img src=x onerror="a('b')">&`),
      '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
    );
    const json = jsonForScript({ a: '</script><script>alert(1)</script>\u2028' });
    assert.ok(!json.includes('<') && !json.includes('>') && !json.includes('\u2028'));
    assert.deepEqual(JSON.parse(json), { a: '</script><script>alert(1)</script>\u2028' });
  });

  it('truncates long text with an ellipsis', () => {
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abc', 4), 'abc');
  });

  it('the page carries no outside value: nonce and port only, every text of both languages present', () => {
    const html = renderPage({ lang: 'en', nonce: 'n"o<nce', port: 23518 });
    assert.match(html, /<script nonce="n&quot;o&lt;nce">/);
    assert.match(html, /<html lang="en">/);
    assert.ok(!/<script[^>]+src=|<link |<img |@import|url\(/i.test(html), 'no external resource');
    assert.deepEqual(
      Object.keys(TEXTS.ko).sort(),
      Object.keys(TEXTS.en).sort(),
      'same keys in both languages',
    );
    assert.match(renderPage({ lang: 'ko', nonce: 'x', port: 1 }), /<html lang="ko">/);
  });

  it('picks Korean only when the browser prefers it', () => {
    assert.equal(pickLanguage('ko-KR,ko;q=0.9,en-US;q=0.8'), 'ko');
    assert.equal(pickLanguage('en-US,en;q=0.9,ko;q=0.8'), 'en');
    assert.equal(pickLanguage('en;q=0.5,ko;q=0.9'), 'ko');
    assert.equal(pickLanguage(undefined), 'en');
    assert.equal(pickLanguage('ko', 'en'), 'en');
    assert.equal(pickLanguage('en', 'ko'), 'ko');
    assert.equal(pickLanguage('en', '<x>'), 'en');
  });

  it('accepts only loopback and certificate names as Host', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.1:23518',
      'localhost:23518',
      '[::1]:23518',
      'hw.playentry.org:23518',
      'HARDWARE.playentry.org',
    ]) {
      assert.ok(isDiagnosticsHostAllowed(host), host);
    }
    for (const host of [
      undefined,
      '',
      'evil.example',
      'hw.playentry.org.evil.example',
      '127.0.0.2',
      'playentry.org',
      '127.0.0.1@evil',
    ]) {
      assert.ok(!isDiagnosticsHostAllowed(host), String(host));
    }
  });
});

describe('diagnostics: recent problems', () => {
  it('keeps the last 50, scrubbed and truncated; warnOnce records once', () => {
    const log = new ProblemLog({ scrub: (text) => text.replace('secret', '<x>') });
    const inner = new FakeLogger();
    const logger = recordProblems(inner, log);
    logger.info('not a problem');
    for (let i = 0; i < 60; i += 1) logger.warn(`warning ${i} secret`);
    logger.error('x'.repeat(5000));
    logger.warnOnce('k', 'once');
    logger.warnOnce('k', 'once');
    const list = log.list();
    assert.equal(list.length, MAX_PROBLEMS);
    assert.equal(list[0]?.text, 'warning 12 <x>');
    assert.equal(list.filter((p) => p.text === 'once').length, 1);
    const long = list.find((p) => p.level === 'error');
    assert.ok(long && long.text.length <= 300 && long.text.endsWith('…'));
    assert.equal(
      inner.calls.filter((call) => call.level !== 'info').length,
      63,
      'everything still reaches the real logger',
    );
  });

  it('refusals are counted apart: 3,000 refused Hosts leave the genuine problems in place', () => {
    let now = Date.parse('2026-03-02T10:00:00Z');
    const log = new ProblemLog({ scrub: (text) => text, now: () => new Date(now) });
    const logger = recordProblems(new FakeLogger(), log);
    logger.warn('CERT_EXPIRING_SOON: the certificate expires in 12 days');
    logger.warnOnce('drop:r1', 'dropping a browser message: no Entry HW on this PC has room 0a1…');
    for (let i = 0; i < 3000; i += 1) {
      now += 1;
      logger.refused('host', `Host "a${i}.localhost:23518" is not this server`);
    }
    now += 1;
    logger.refused('origin', 'origin is not allowed "https://evil.example"');
    const texts = log.list().map((p) => p.text);
    assert.deepEqual(texts, [
      'CERT_EXPIRING_SOON: the certificate expires in 12 days',
      'dropping a browser message: no Entry HW on this PC has room 0a1…',
    ]);
    const refusals = log.refusals();
    assert.equal(refusals.total, 3001);
    assert.deepEqual(
      refusals.kinds.map((k) => [k.kind, k.count]),
      [
        ['origin', 1],
        ['host', 3000],
      ],
    );
    const host = refusals.kinds.find((k) => k.kind === 'host');
    assert.equal(host?.first, 'Host "a0.localhost:23518" is not this server');
    assert.equal(host?.latest, 'Host "a2999.localhost:23518" is not this server');
  });

  it('a repeated line is one entry with a count, moved to the end', () => {
    const log = new ProblemLog({ scrub: (text) => text });
    log.add('warning', 'the certificate expires in 12 days');
    for (let i = 0; i < 100; i += 1) log.add('warning', 'refusing connections: 1000 are already open');
    log.add('warning', 'the certificate expires in 12 days');
    assert.deepEqual(
      log.list().map((p) => [p.text, p.count]),
      [
        ['refusing connections: 1000 are already open', 100],
        ['the certificate expires in 12 days', 2],
      ],
    );
  });
});

describe('diagnostics: room counters and rows', () => {
  it('counts messages per room and averages the last 5 whole seconds', () => {
    let now = 10_000;
    const stats = new RoomStats({ now: () => now });
    for (let s = 0; s < 6; s += 1) {
      for (let i = 0; i < 60; i += 1) stats.fromBrowser('aaaaaaaaaa');
      for (let i = 0; i < 20; i += 1) stats.toBrowser('aaaaaaaaaa');
      now += 1000;
    }
    stats.dropped('bbbbbbbbbb', 'no-instance-for-room');
    const [a, b] = stats.traffic();
    assert.equal(a?.fromBrowserPerSecond, 60);
    assert.equal(a?.toBrowserPerSecond, 20);
    assert.equal(a?.fromBrowserTotal, 360);
    assert.deepEqual(b?.dropped, [{ reason: 'no-instance-for-room', count: 1 }]);
    now += 10_000;
    assert.equal(stats.traffic()[0]?.fromBrowserPerSecond, 0, 'a quiet room goes back to 0');
  });

  it('rows: healthy room, browser left, browser without an instance, roomless peer; roomIds masked', () => {
    let now = 100_000;
    const stats = new RoomStats({ now: () => now });
    stats.browserJoined('left000000');
    stats.browserLeft('left000000');
    now += 7000;
    const hub: HubFacts = {
      cloud: true,
      ownRoomId: 'hostroom00',
      browsers: ['hostroom00', 'peerroom00', 'orphan0000'],
      peers: [
        {
          roomId: 'peerroom00',
          report: parsePeerReport({
            version: '3.0.0',
            device: { state: 'connected', moduleId: '520101', at: '2026-01-01T00:00:00Z' },
          }),
        },
        { roomId: 'left000000', report: parsePeerReport({ device: { state: 'failed' } }) },
        { roomId: undefined, report: parsePeerReport('garbage') },
      ],
      held: (roomId) => (roomId === 'left000000' ? 4 : 0),
    };
    const rows = buildRoomRows(hub, { state: 'connected', moduleId: '111', at: 'x' }, stats.traffic(), now);
    const byRoom = new Map(rows.map((r) => [r.room, r]));
    assert.equal(byRoom.get('hos…')?.state, 'ok');
    assert.equal(byRoom.get('hos…')?.instance, 'host');
    assert.equal(byRoom.get('hos…')?.device.moduleId, '111');
    assert.equal(byRoom.get('pee…')?.instance, 'peer');
    assert.equal(byRoom.get('pee…')?.instanceVersion, '3.0.0');
    assert.equal(byRoom.get('pee…')?.device.moduleId, '520101');
    assert.equal(byRoom.get('orp…')?.state, 'no-instance');
    assert.equal(byRoom.get('lef…')?.state, 'browser-left');
    assert.equal(byRoom.get('lef…')?.browserLeftSecondsAgo, 7);
    assert.equal(byRoom.get('lef…')?.held, 4);
    assert.equal(byRoom.get('lef…')?.device.state, 'failed');
    assert.equal(rows.filter((r) => r.state === 'instance-without-room').length, 1);
    const text = JSON.stringify(rows);
    for (const id of ['hostroom00', 'peerroom00', 'orphan0000', 'left000000'])
      assert.ok(!text.includes(id), id);
  });

  it('parsePeerReport ignores anything unexpected', () => {
    assert.deepEqual(parsePeerReport(null), { version: undefined, device: undefined });
    const odd = parsePeerReport({ version: '<script>', device: { state: 'connected', moduleId: '<b>' } });
    assert.equal(odd.version, undefined);
    assert.equal(odd.device?.moduleId, undefined);
  });
});

describe('diagnostics: room rows tell who serves a room', () => {
  const NOW = 1_000_000;
  const device = { state: 'connected' as const, moduleId: '520101', at: '2026-01-01T00:00:00Z' };
  function hub(facts: Partial<HubFacts>): HubFacts {
    return { cloud: false, ownRoomId: undefined, browsers: [], peers: [], held: () => 0, ...facts };
  }
  const rowsOf = (facts: Partial<HubFacts>, traffic: RoomTraffic[] = []) =>
    buildRoomRows(hub(facts), device, traffic, NOW);
  const byRoom = (rows: RoomRow[]) => new Map(rows.map((r) => [r.room, r]));
  const states = (rows: RoomRow[]) => rows.map((r) => `${r.room ?? '-'}:${r.instance ?? '-'}:${r.state}`);

  it('a single PC with tabs of one room: `single-pc`, served by the host, never `ok`', () => {
    const rows = rowsOf({ browsers: ['aaa0000000', 'aaa0000000'] });
    assert.deepEqual(states(rows), ['aaa…:host:single-pc']);
    assert.equal(rows[0]?.browsers, 2);
    assert.equal(rows[0]?.device.moduleId, '520101');
  });

  it('a single PC with tabs of two or more rooms: every one `single-pc-several-rooms`, none `ok`', () => {
    const rows = rowsOf({ browsers: ['aaa0000000', 'bbb0000000', 'bbb0000000'] });
    assert.deepEqual(states(rows), [
      'aaa…:host:single-pc-several-rooms',
      'bbb…:host:single-pc-several-rooms',
    ]);
    // A tab without a roomId is one more room: the host serves it as well.
    const withNone = rowsOf({ browsers: ['aaa0000000', undefined] });
    assert.deepEqual(states(withNone), [
      'aaa…:host:single-pc-several-rooms',
      '-:host:single-pc-several-rooms',
    ]);
    // A tab that left does not count: the one still connected is the usual single-PC case.
    let now = 0;
    const stats = new RoomStats({ now: () => now });
    stats.browserJoined('bbb0000000');
    stats.browserLeft('bbb0000000');
    now = 2000;
    const oneLeft = buildRoomRows(hub({ browsers: ['aaa0000000'] }), device, stats.traffic(), now);
    assert.deepEqual(states(oneLeft), ['bbb…:host:browser-left', 'aaa…:host:single-pc']);
  });

  it('a device failure outranks the single-PC labels; a single PC with no tab is `no-browser`', () => {
    const failed = buildRoomRows(
      hub({ browsers: ['aaa0000000', 'bbb0000000'] }),
      { ...device, state: 'failed' },
      [],
      NOW,
    );
    assert.deepEqual(states(failed), ['aaa…:host:device-failed', 'bbb…:host:device-failed']);
    assert.deepEqual(states(rowsOf({})), ['-:host:no-browser']);
  });

  it('a host whose parent gave its roomId is `ok` for that room only, also before any peer came', () => {
    const rows = rowsOf({ ownRoomId: 'aaa0000000', browsers: ['aaa0000000', 'bbb0000000'] });
    assert.deepEqual(states(rows), ['bbb…:-:no-instance', 'aaa…:host:ok']);
  });

  it('a roomless host in a cloud gets its own `instance-without-room` row and serves no tab', () => {
    let now = 0;
    const stats = new RoomStats({ now: () => now });
    stats.browserJoined('aaa0000000');
    stats.fromBrowser('aaa0000000');
    stats.dropped('aaa0000000', 'no-instance-for-room');
    for (let i = 0; i < 3; i += 1) stats.dropped(undefined, 'instance-without-room');
    now = 1000;
    const rows = buildRoomRows(
      hub({
        cloud: true,
        browsers: ['aaa0000000'],
        peers: [{ roomId: 'ppp0000000', report: parsePeerReport({}) }],
      }),
      device,
      stats.traffic(),
      now,
    );
    assert.deepEqual(states(rows), [
      'aaa…:-:no-instance',
      '-:host:instance-without-room',
      'ppp…:peer:no-browser',
    ]);
    const host = rows.find((r) => r.instance === 'host');
    assert.equal(host?.device.moduleId, '520101', 'its own device is shown on its row');
    assert.deepEqual(
      host?.dropped,
      [{ reason: 'instance-without-room', count: 3 }],
      'its lost sends are on its row',
    );
    assert.deepEqual(byRoom(rows).get('aaa…')?.dropped, [{ reason: 'no-instance-for-room', count: 1 }]);
    assert.equal(rows.length, 3, 'no row of its own for the lost sends');
  });

  it('a roomless host in a cloud with a tab without roomId: the tab is `no-instance`, the host’s drops stay on the host row', () => {
    let now = 0;
    const stats = new RoomStats({ now: () => now });
    stats.browserJoined(undefined);
    stats.fromBrowser(undefined);
    stats.dropped(undefined, 'no-instance-for-room');
    stats.dropped(undefined, 'instance-without-room');
    now = 1000;
    const rows = buildRoomRows(hub({ cloud: true, browsers: [undefined] }), device, stats.traffic(), now);
    assert.deepEqual(states(rows), ['-:-:no-instance', '-:host:instance-without-room']);
    assert.deepEqual(rows[0]?.dropped, [{ reason: 'no-instance-for-room', count: 1 }]);
    assert.equal(rows[0]?.messagesTotal.fromBrowser, 1);
    assert.deepEqual(rows[1]?.dropped, [{ reason: 'instance-without-room', count: 1 }]);
    assert.equal(rows[1]?.messagesTotal.fromBrowser, 0);
  });

  it('a roomless peer is `instance-without-room`; a refused one is `room-taken` with the masked room it asked for', () => {
    const rows = rowsOf({
      cloud: true,
      ownRoomId: 'hhh0000000',
      browsers: ['hhh0000000', 'ppp0000000'],
      peers: [
        { roomId: 'ppp0000000', askedRoomId: 'ppp0000000', report: parsePeerReport({ version: '3.0.0' }) },
        { roomId: undefined, report: parsePeerReport({ version: '3.0.0', device: { state: 'failed' } }) },
        { roomId: undefined, askedRoomId: 'ppp0000000', report: parsePeerReport({}) },
        { roomId: undefined, askedRoomId: 'hhh0000000', report: parsePeerReport({}) },
      ],
    });
    assert.deepEqual(states(rows), [
      '-:peer:instance-without-room',
      '-:peer:room-taken',
      '-:peer:room-taken',
      'hhh…:host:ok',
      'ppp…:peer:ok',
    ]);
    const refused = rows.filter((r) => r.state === 'room-taken').map((r) => r.askedRoom);
    assert.deepEqual(refused.sort(), ['hhh…', 'ppp…']);
    assert.equal(rows[0]?.askedRoom, null);
    assert.equal(rows[0]?.device.state, 'failed', 'the roomless peer’s own device');
    for (const r of rows) assert.ok(!JSON.stringify(r).includes('0000000'), 'roomIds masked');
  });

  it('after addRoomId the same classroom turns `ok`: the host’s room and each granted claim', () => {
    const before = rowsOf({
      cloud: true,
      browsers: ['hhh0000000', 'ppp0000000'],
      peers: [{ roomId: undefined, report: parsePeerReport({}) }],
    });
    assert.deepEqual(states(before), [
      'hhh…:-:no-instance',
      'ppp…:-:no-instance',
      '-:host:instance-without-room',
      '-:peer:instance-without-room',
    ]);
    const after = rowsOf({
      cloud: true,
      ownRoomId: 'hhh0000000',
      browsers: ['hhh0000000', 'ppp0000000'],
      peers: [{ roomId: 'ppp0000000', askedRoomId: 'ppp0000000', report: parsePeerReport({}) }],
    });
    assert.deepEqual(states(after), ['hhh…:host:ok', 'ppp…:peer:ok']);
  });

  it('`ok` only where the serving instance’s parent gave the roomId (random classrooms)', () => {
    const rooms = ['aaa0000000', 'bbb0000000', 'ccc0000000', 'ddd0000000'];
    const room = fc.constantFrom(...rooms);
    const classroom = fc.record({
      cloud: fc.boolean(),
      ownRoomId: fc.option(room, { nil: undefined }),
      browsers: fc.array(fc.option(room, { nil: undefined }), { maxLength: 6 }),
      peers: fc.uniqueArray(
        fc.record({
          roomId: fc.option(room, { nil: undefined }),
          asked: fc.option(room, { nil: undefined }),
        }),
        { maxLength: 3, selector: (p) => p.roomId ?? Symbol() },
      ),
      failed: fc.boolean(),
    });
    fc.assert(
      fc.property(classroom, (c) => {
        const peers = c.peers.map((p) => ({
          roomId: p.roomId,
          askedRoomId: p.roomId ?? p.asked,
          report: parsePeerReport({}),
        }));
        const facts = hub({
          cloud: c.cloud || peers.length > 0,
          ownRoomId: c.ownRoomId,
          browsers: c.browsers,
          peers,
        });
        const rows = buildRoomRows(facts, c.failed ? { ...device, state: 'failed' } : device, [], NOW);
        const given = new Set(
          [c.ownRoomId, ...peers.map((p) => p.roomId)]
            .filter((r) => r !== undefined)
            .map((r) => `${r.slice(0, 3)}…`),
        );
        for (const r of rows) {
          if (r.state === 'ok') {
            assert.ok(r.room !== null && given.has(r.room), `ok for ${r.room}, given ${[...given]}`);
            assert.ok(r.browsers > 0);
          }
          if (r.state === 'instance-without-room' || r.state === 'room-taken') assert.equal(r.room, null);
          if (r.state === 'single-pc' || r.state === 'single-pc-several-rooms') {
            assert.equal(facts.cloud, false, 'the single-PC labels only where the host never was in a cloud');
            assert.equal(c.ownRoomId, undefined);
          }
        }
        // A roomless host: a row of its own in a cloud, never an `ok`.
        if (c.ownRoomId === undefined) {
          assert.ok(!rows.some((r) => r.instance === 'host' && r.state === 'ok'));
          if (facts.cloud)
            assert.equal(
              rows.filter((r) => r.instance === 'host' && r.state === 'instance-without-room').length,
              1,
            );
        }
        // Every roomless peer has exactly one row about it.
        const roomless = peers.filter((p) => p.roomId === undefined).length;
        assert.equal(
          rows.filter(
            (r) => r.instance === 'peer' && (r.state === 'instance-without-room' || r.state === 'room-taken'),
          ).length,
          roomless,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('every row state has its words in both languages; every problem a fix; no fix says to restart', () => {
    const all: Record<RoomState, 'ok' | 'warning' | 'problem'> = {
      ok: 'ok',
      'single-pc': 'ok',
      'single-pc-several-rooms': 'warning',
      'device-failed': 'problem',
      'no-instance': 'problem',
      'no-browser': 'warning',
      'browser-left': 'warning',
      'instance-without-room': 'problem',
      'room-taken': 'problem',
    };
    for (const lang of ['en', 'ko'] as const) {
      const texts = TEXTS[lang];
      for (const [state, status] of Object.entries(all)) {
        assert.ok(texts[`state.${state}`], `${lang} state.${state}`);
        if (status !== 'ok') assert.ok(texts[`state.${state}.fix`], `${lang} state.${state}.fix`);
      }
      const advice = Object.entries(texts)
        .filter(([key]) => key.startsWith('state.'))
        .map(([, text]) => text)
        .join('\n');
      assert.doesNotMatch(
        advice,
        /restart|다시 시작/i,
        `${lang}: a restart is a first launch, which sends no room number`,
      );
    }
    // "Working" is the certain pair's word only.
    for (const [lang, word] of [
      ['en', 'Working'],
      ['ko', '정상 작동 중'],
    ] as const) {
      const holders = Object.entries(TEXTS[lang]).filter(([, text]) => text.includes(word));
      assert.deepEqual(
        holders.map(([key]) => key),
        ['state.ok'],
        lang,
      );
    }
    assert.match(TEXTS.en['state.room-taken'] ?? '', /\{room\}/);
    assert.match(TEXTS.ko['state.room-taken'] ?? '', /\{room\}/);
    for (const key of ['state.no-instance.fix', 'state.instance-without-room.fix', 'state.room-taken.fix']) {
      assert.match(TEXTS.en[key] ?? '', /hardware-connect button/, key);
      assert.match(TEXTS.ko[key] ?? '', /하드웨어 연결 버튼/, key);
    }
  });

  it('the page colours each state as its status (the page script and the table agree)', () => {
    const html = renderPage({ lang: 'en', nonce: 'x', port: 1 });
    const script = /function rowStatus\(state\) \{([\s\S]*?)\n {2}\}/.exec(html)?.[1] ?? '';
    const rowStatus = new Function('state', script) as (state: string) => string;
    const expected: Record<RoomState, string> = {
      ok: 'ok',
      'single-pc': 'ok',
      'single-pc-several-rooms': 'warning',
      'device-failed': 'problem',
      'no-instance': 'problem',
      'no-browser': 'warning',
      'browser-left': 'warning',
      'instance-without-room': 'problem',
      'room-taken': 'problem',
    };
    for (const [state, status] of Object.entries(expected)) assert.equal(rowStatus(state), status, state);
  });
});

describe('diagnostics: how each room was paired by OS session', () => {
  const NOW = 1_000_000;
  const device = { state: 'connected' as const, moduleId: '520101', at: '2026-01-01T00:00:00Z' };
  const hub = (facts: Partial<HubFacts>): HubFacts => ({
    cloud: true,
    ownRoomId: undefined,
    browsers: [],
    peers: [],
    held: () => 0,
    ...facts,
  });
  const summary = (rows: RoomRow[]) =>
    rows.map(
      (r) =>
        `${r.room ?? '-'}:${r.instance ?? '-'}:${r.state}:${r.pairing ? `${r.pairing.kind}${r.pairing.gap ? `/${r.pairing.gap}` : ''}` : '-'}`,
    );

  it('says room number from Entry HW, same OS session, or not paired and why', () => {
    const rows = buildRoomRows(
      hub({
        ownRoomId: 'own0000000',
        browsers: ['own0000000', 'hst0000000', 'peer000000', 'pse0000000', 'non0000000'],
        hostPairedRooms: ['hst0000000'],
        peers: [
          { roomId: 'peer000000', report: parsePeerReport({ version: '3.0.0' }), pairedRooms: [] },
          { roomId: undefined, report: parsePeerReport({ version: '3.0.0' }), pairedRooms: ['pse0000000'] },
        ],
        pairing: (roomId) =>
          roomId === 'non0000000' ? { kind: 'none', gap: 'no-instance-of-session' } : undefined,
      }),
      device,
      [],
      NOW,
    );
    assert.deepEqual(summary(rows).sort(), [
      'hst…:host:ok:os-session',
      'non…:-:no-instance:none/no-instance-of-session',
      'own…:host:ok:room-id',
      'pee…:peer:ok:room-id',
      'pse…:peer:ok:os-session',
    ]);
    // A peer serving rooms by session is not listed as an instance without a room.
    assert.equal(
      rows.some((r) => r.state === 'instance-without-room'),
      false,
    );
  });

  it('a host without a roomId serving rooms of its own session is not an instance without a room', () => {
    const rows = buildRoomRows(
      hub({ browsers: ['hst0000000'], hostPairedRooms: ['hst0000000'] }),
      device,
      [],
      NOW,
    );
    assert.deepEqual(summary(rows), ['hst…:host:ok:os-session']);
  });
});
