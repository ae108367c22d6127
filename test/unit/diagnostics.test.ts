// Issue 9: the diagnostics checks, masking, scrubbing, escaping, recent problems, room counters and
// the bundle's room rows, without sockets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CERTIFICATE_NAMES,
  checkCertificate,
  checkDnsName,
  checkPort,
  DnsChecker,
  isLoopbackAddress,
} from '../../src/diagnostics/checks';
import { isDiagnosticsHostAllowed } from '../../src/diagnostics/diagnostics';
import { escapeHtml, jsonForScript, maskRoomId, scrubText, truncate } from '../../src/diagnostics/mask';
import { renderPage } from '../../src/diagnostics/page';
import { MAX_PROBLEMS, ProblemLog, recordProblems } from '../../src/diagnostics/problems';
import { RoomStats } from '../../src/diagnostics/room-stats';
import { buildRoomRows, type HubFacts, parsePeerReport } from '../../src/diagnostics/snapshot';
import { pickLanguage, TEXTS } from '../../src/diagnostics/texts';
import type { Logger } from '../../src/util/log';

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
    const printed: string[] = [];
    const inner: Logger = {
      info: () => {},
      warn: (m) => printed.push(m),
      error: (m) => printed.push(m),
      warnOnce: (_k, m) => printed.push(m),
    };
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
    assert.equal(printed.length, 63, 'everything still reaches the real logger');
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
          report: {
            version: '3.0.0',
            device: { state: 'connected', moduleId: '520101', at: '2026-01-01T00:00:00Z' },
          },
        },
        { roomId: 'left000000', report: { device: { state: 'failed' } } },
        { roomId: undefined, report: 'garbage' },
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
