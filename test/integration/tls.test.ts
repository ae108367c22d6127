// docs/PROTOCOL.md §3: one port serves TLS (https/wss) and plain (http/ws), chosen by the first byte.
// Certificates come from a test PKI made at test time (RootCA → ChainCA1 → hw.playentry.org);
// clients trust only the test root and keep verification on (never rejectUnauthorized: false).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { CLIENT_VERSIONS, randomRoomId, tlsAgent } from '../../harness/browser-client';
import { makeTestPki, type TestPki } from '../../harness/certs';
import {
  assertRoundTrip,
  assertStillRouting,
  type Started,
  startServer,
  startServerForSuite,
} from '../helpers/fixtures';
import { captureClientHello, rawExchange, request } from '../helpers/http';

describe('TLS and plain on the same port (valid test certificate)', () => {
  let pki: TestPki;
  let started: Started;
  before(async () => {
    pki = makeTestPki();
    started = await startServer({ name: 'tls', env: { ENTRY_HW_CERT_DIR: pki.dir } });
  });
  after(async () => {
    await started?.stop();
  });

  it('serves https://hw.playentry.org:<port>/ with a chain that verifies against the test root', async () => {
    const agent = tlsAgent(pki.rootPem);
    for (const host of ['hw.playentry.org', 'hardware.playentry.org']) {
      const res = await request({ port: started.port, path: '/', tls: { agent, host } });
      assert.equal(res.status, 200);
      assert.equal(res.body, 'hello entry');
    }
    agent.destroy();
  });

  it('sends the intermediate (ChainCA1) so a client trusting only the root can verify', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: started.port,
      servername: 'hw.playentry.org',
      ca: pki.rootPem,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    assert.equal(socket.authorized, true, `authorizationError: ${String(socket.authorizationError)}`);
    const leaf = socket.getPeerCertificate(true);
    assert.match(String(leaf.subject?.CN), /hw\.playentry\.org/);
    assert.match(String(leaf.issuerCertificate?.subject?.CN), /ChainCA1/);
    socket.destroy();
  });

  it('reports tls.enabled and the leaf notAfter in /status', async () => {
    const res = await request({ port: started.port, path: '/status' });
    const status = JSON.parse(res.body) as { tls?: { enabled?: unknown; notAfter?: unknown } };
    assert.equal(status.tls?.enabled, true);
    const expected = new X509Certificate(readFileSync(join(pki.dir, 'cert.pem'))).validTo;
    const got = Date.parse(String(status.tls?.notAfter));
    assert.ok(
      Number.isFinite(got) && Math.abs(got - Date.parse(expected)) < 86_400_000,
      `tls.notAfter ${JSON.stringify(status.tls?.notAfter)} should be the leaf's notAfter (${expected})`,
    );
  });

  for (const version of CLIENT_VERSIONS) {
    it(`routes a ${version} browser over wss and another over plain ws in the same run`, async () => {
      const agent = tlsAgent(pki.rootPem);
      const secure = await started.pool.connect({
        version,
        url: `https://hw.playentry.org:${started.port}`,
        roomId: randomRoomId(),
        origin: 'https://playentry.org',
        agent,
        ca: pki.rootPem,
        name: `wss-${version}`,
      });
      const plain = await started.pool.connect({
        version,
        url: `http://127.0.0.1:${started.port}`,
        roomId: randomRoomId(),
        origin: 'https://playentry.org',
        name: `ws-${version}`,
      });
      await assertRoundTrip(started.server, secure);
      await assertRoundTrip(started.server, plain);
      secure.close();
      plain.close();
      agent.destroy();
    });
  }

  it('routes over https polling too (4.x)', async () => {
    const agent = tlsAgent(pki.rootPem);
    const browser = await started.pool.connect({
      version: 'v4',
      url: `https://hw.playentry.org:${started.port}`,
      roomId: randomRoomId(),
      transport: 'polling',
      origin: 'https://playentry.org', // polling needs an allowed Origin (docs/PROTOCOL.md §9)
      agent,
      ca: pki.rootPem,
    });
    await assertRoundTrip(started.server, browser);
    browser.close();
    agent.destroy();
  });

  it('survives a TLS ClientHello then close, a lone 0x16 byte and a failed handshake', async () => {
    const hello = await captureClientHello();
    await rawExchange(started.port, hello, 300);
    await rawExchange(started.port, Buffer.from([0x16]), 300);
    await rawExchange(started.port, Buffer.concat([hello.subarray(0, 5), Buffer.from('garbage')]), 300);
    await assertStillRouting(started, 'v2');
    const agent = tlsAgent(pki.rootPem);
    const res = await request({ port: started.port, path: '/', tls: { agent, host: 'hw.playentry.org' } });
    assert.equal(res.body, 'hello entry');
    agent.destroy();
  });

  it('refuses a client that does not trust the certificate (verification is real)', async () => {
    const other = makeTestPki();
    const agent = tlsAgent(other.rootPem);
    await assert.rejects(
      request({ port: started.port, path: '/', tls: { agent, host: 'hw.playentry.org' } }),
      /certificate|self.signed|unable to verify|issuer/i,
    );
    agent.destroy();
  });
});

describe('TLS: no certificate', () => {
  const started = startServerForSuite({ name: 'no-cert', env: { ENTRY_HW_CERT_DIR: undefined } });

  it('serves plain ws and http without certificates', async () => {
    const res = await request({ port: started.port, path: '/' });
    assert.equal(res.body, 'hello entry');
    await assertStillRouting(started, 'v2');
    await assertStillRouting(started, 'v4');
  });

  it('survives a TLS ClientHello when it has no certificate', async () => {
    const hello = await captureClientHello();
    await rawExchange(started.port, hello, 500);
    await assertStillRouting(started, 'v2');
  });
});

describe('TLS: expired certificate', () => {
  let started: Started;
  before(async () => {
    const pki = makeTestPki({ leafDays: -1 });
    started = await startServer({ name: 'expired-cert', env: { ENTRY_HW_CERT_DIR: pki.dir } });
  });
  after(async () => {
    await started?.stop();
  });

  it('reports error CERT_EXPIRED to the parent', async () => {
    const error = await started.server.waitFor('error', (m) => m.value?.code === 'CERT_EXPIRED', {
      timeoutMs: 5000,
    });
    assert.equal(typeof error.value.message, 'string');
    assert.ok(error.value.message.length > 0, 'the error needs a human-readable message');
  });

  it('still serves plain ws', async () => {
    await assertStillRouting(started, 'v2');
    await assertStillRouting(started, 'v4');
  });
});
