// The usage log (posting, bounded on failure, throttled, no redirects) and small decisions: a
// host recognised by /status, the port probe's answer, TLS by first byte, safe module names.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { combineProbeAnswers, type PortHolder, recognizeStatusBody } from '../../src/election/host-probe';
import { protocolForFirstByte } from '../../src/host/listener/dual-protocol-listener';
import { isSafePathSegment } from '../../src/host/listener/http-routes';
import { UsageLog, type UsageReport } from '../../src/telemetry/usage-log';

describe('usage log', () => {
  it('posts the batch once a device and a browser are both connected, then clears it', async () => {
    const posted: UsageReport[] = [];
    const log = new UsageLog({
      endpoint: 'https://log.test/c',
      offlineVersion: '2.1.0',
      now: () => 42,
      post: async (_u, b) => void posted.push(b),
    });
    log.record('start_app', false);
    log.browserConnected(false);
    assert.equal(posted.length, 0);
    log.deviceConnected('520101', true);
    await new Promise((r) => setImmediate(r));
    assert.equal(posted.length, 1);
    const report = posted[0] as UsageReport;
    assert.deepEqual(
      report.logs.map((e) => e.type),
      ['start_app', 'connect_ws_success', 'connect_device_success', 'connect_all'],
    );
    assert.deepEqual(report.logs[0], { data: 42, type: 'start_app', isCloudMode: false });
    assert.equal(report.hardwareId, '520101');
    assert.equal(report.offlineVer, '2.1.0');
    assert.match(report.instanceHashId, /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(report.osInfo).sort(), ['arch', 'platform', 'release']);
    assert.equal(log.pending.length, 0);
  });

  it('keeps events when the endpoint fails, bounded, and never throws', async () => {
    const errors: string[] = [];
    const log = new UsageLog({
      endpoint: 'https://log.test/c',
      maxQueue: 5,
      post: async () => {
        throw new Error('offline');
      },
      onError: (m) => errors.push(m),
    });
    for (let i = 0; i < 20; i += 1) log.record('disconnect_ws', false);
    log.deviceConnected('1', false);
    log.browserConnected(false);
    await log.send();
    assert.equal(log.pending.length, 5);
    assert.ok(errors.some((e) => e.includes('offline')));
  });
});

describe('small decisions', () => {
  it('recognises an Entry HW host by its /status name only', () => {
    assert.equal(
      recognizeStatusBody(200, JSON.stringify({ name: 'entry-hw-server', version: '3.0.0' })).kind,
      'entry-hw-server',
    );
    assert.equal(recognizeStatusBody(200, '{"name":"other"}').kind, 'foreign');
    assert.equal(recognizeStatusBody(404, 'not found').kind, 'foreign');
    assert.match(JSON.stringify(recognizeStatusBody(200, 'hello entry')), /older entry-hw-server/);
  });
  it('a port that changed hands between the plain and the TLS ask is "nobody", not a foreign program', () => {
    const nobody: PortHolder = { kind: 'nobody' };
    const current: PortHolder = { kind: 'entry-hw-server', version: '3.0.0' };
    const older: PortHolder = { kind: 'older-entry-hw-server', detail: 'v2' };
    const plainFailed: PortHolder = { kind: 'foreign', detail: 'GET /status failed: HPE_INVALID_CONSTANT' };
    // A failover: plain found the port free, TLS a moment later found the new host.
    assert.deepEqual(combineProbeAnswers(nobody, current), nobody);
    // A server of this version that fails plain HTTP but answers TLS is not one to join.
    assert.equal(combineProbeAnswers(plainFailed, current).kind, 'foreign');
    assert.deepEqual(combineProbeAnswers(nobody, older), older);
    assert.deepEqual(combineProbeAnswers(plainFailed, older), older);
    assert.deepEqual(combineProbeAnswers(nobody, nobody), nobody);
    assert.deepEqual(combineProbeAnswers(plainFailed, nobody), plainFailed);
  });
  it('sends TLS handshakes to TLS only when a certificate is loaded', () => {
    assert.equal(protocolForFirstByte(0x16, true), 'tls');
    assert.equal(protocolForFirstByte(0x16, false), 'plain');
    assert.equal(protocolForFirstByte('G'.charCodeAt(0), true), 'plain');
    assert.equal(protocolForFirstByte(undefined, true), 'plain');
  });
  it('refuses module names that could leave their folder', () => {
    assert.equal(isSafePathSegment('microbit2'), true);
    assert.equal(isSafePathSegment('block.js'), true);
    for (const bad of ['', '..', '../x', 'a/b', 'a\\b', 'a\u0000b', 'x'.repeat(201)])
      assert.equal(isSafePathSegment(bad), false, bad);
  });
});

describe('usage log: throttling and redirects', () => {
  it('sends many connections as a few batches, at most one per interval', async () => {
    const posted: UsageReport[] = [];
    const log = new UsageLog({
      endpoint: 'https://log.test/c',
      minIntervalMs: 300,
      maxQueue: 5000,
      post: async (_u, b) => void posted.push(b),
    });
    log.deviceConnected('520101', false);
    const t0 = Date.now();
    // 100 browsers come and go over about a second, as a page reloading in a loop would do.
    for (let i = 0; i < 100; i += 1) {
      log.browserConnected(false);
      log.browserDisconnected(false);
      await new Promise((r) => setTimeout(r, 10));
    }
    const spent = Date.now() - t0;
    while (log.pending.length > 0 && Date.now() - t0 < spent + 5000)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(log.pending.length, 0, 'everything is sent in the end');
    const allowed = Math.ceil(spent / 300) + 1;
    assert.ok(posted.length <= allowed, `${posted.length} POSTs in ${spent} ms; at most ${allowed} expected`);
    const events = posted.flatMap((report) => report.logs.map((e) => e.type));
    assert.equal(events.filter((e) => e === 'connect_ws_success').length, 100, 'nothing is lost');
    log.stop();
  });

  it('does not follow a redirect: the batch never reaches where a 307 points', async () => {
    const elsewhere: string[] = [];
    const target = createServer((req, res) => {
      elsewhere.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    const targetPort = (target.address() as AddressInfo).port;
    let redirected = 0;
    const endpoint = createServer((_req, res) => {
      redirected += 1;
      res.writeHead(307, { location: `http://127.0.0.1:${targetPort}/stolen` }).end();
    });
    endpoint.listen(0, '127.0.0.1');
    await once(endpoint, 'listening');
    const endpointPort = (endpoint.address() as AddressInfo).port;
    try {
      const errors: string[] = [];
      const log = new UsageLog({
        endpoint: `http://127.0.0.1:${endpointPort}/count`,
        onError: (m) => errors.push(m),
      });
      log.deviceConnected('520101', false);
      log.browserConnected(false); // both connected: the batch is POSTed
      const t0 = Date.now();
      while (errors.length === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
      assert.equal(redirected, 1, 'the endpoint was asked');
      assert.deepEqual(elsewhere, [], 'the redirect target must receive nothing');
      assert.equal(errors.length, 1, 'a redirect is reported as a failure');
      assert.ok(log.pending.length > 0, 'the batch stays queued');
      log.stop();
    } finally {
      target.close();
      endpoint.close();
    }
  });
});
