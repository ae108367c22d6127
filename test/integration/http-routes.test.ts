// docs/PROTOCOL.md §3 HTTP routes and §10 preflight: `/` answers hello entry, `/status` identifies the
// program, every other path is 404, and preflights from allowed origins allow private network access.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { randomRoomId } from '../../harness/browser-client';
import { startServerForSuite } from '../helpers/fixtures';
import { request } from '../helpers/http';

interface Status {
  name: unknown;
  version: unknown;
  runningMode: unknown;
  cloudMode: unknown;
  browsers: unknown;
  peers: unknown;
  tls: { enabled: unknown; notAfter?: unknown } | undefined;
}

describe('HTTP routes', () => {
  const started = startServerForSuite({ name: 'http-routes', env: { ENTRY_HW_CERT_DIR: undefined } });

  it('GET / answers 200 hello entry', async () => {
    const res = await request({ port: started.port, path: '/' });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello entry');
  });

  it('GET /status answers JSON that identifies the program', async () => {
    const res = await request({ port: started.port, path: '/status' });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /application\/json/);
    const status = JSON.parse(res.body) as Status;
    assert.equal(status.name, 'entry-hw-server');
    assert.equal(typeof status.version, 'string');
    assert.equal(status.runningMode, 2);
    assert.equal(status.cloudMode, 0);
    assert.equal(status.browsers, 0);
    assert.equal(status.peers, 0);
    assert.equal(typeof status.tls, 'object', '/status must carry tls: { enabled, notAfter }');
    assert.equal(typeof status.tls?.enabled, 'boolean');
    if (!process.env.ENTRY_HW_TEST_BIN) {
      // node dist/main.cjs has no embedded certificate; a packaged executable may have one.
      assert.equal(status.tls?.enabled, false, 'no ENTRY_HW_CERT_DIR: TLS must be off');
    }
  });

  it('GET /status keeps its debug block from any page: only a request without an Origin reads it', async () => {
    const plain = JSON.parse((await request({ port: started.port, path: '/status' })).body) as Record<
      string,
      unknown
    >;
    assert.ok(plain.debug, 'a program (no Origin) reads the leak counters');
    for (const origin of ['http://localhost:8080', 'http://127.0.0.1:3000', 'https://playentry.org']) {
      const res = await request({ port: started.port, path: '/status', headers: { Origin: origin } });
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], origin, 'an allowed page still reads /status');
      const body = JSON.parse(res.body) as Record<string, unknown>;
      assert.equal(body.name, 'entry-hw-server');
      assert.equal(body.debug, undefined, `${origin} read the debug block`);
    }
  });

  it('GET /status counts connected browsers', async () => {
    const browser = await started.pool.connect({ version: 'v2', url: started.url, roomId: randomRoomId() });
    const status = JSON.parse((await request({ port: started.port, path: '/status' })).body) as Status;
    assert.equal(status.browsers, 1);
    const from = started.server.messages.length;
    browser.close();
    await started.server.waitFor('close', () => true, { from });
    const after = JSON.parse((await request({ port: started.port, path: '/status' })).body) as Status;
    assert.equal(after.browsers, 0);
  });

  it('listens on 127.0.0.1 only (never on other addresses)', async () => {
    const others = ['127.0.0.2', '::1'];
    for (const list of Object.values(networkInterfaces())) {
      for (const nic of list ?? [])
        if (!nic.internal && !nic.address.startsWith('fe80')) others.push(nic.address);
    }
    const reachable: string[] = [];
    for (const host of others) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host, port: started.port });
        socket.setTimeout(1000, () => {
          socket.destroy();
          resolve('timeout');
        });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      if (outcome === 'connected') reachable.push(host);
    }
    assert.deepEqual(reachable, [], `the port must be bound to 127.0.0.1 only (tried ${others.join(', ')})`);
  });

  it('answers 404 for every other path', async () => {
    for (const path of [
      '/nope',
      '/index.html',
      '/hello',
      '/modules',
      '/modules/x/files/y',
      '/status/x',
      '/%2e%2e/etc/passwd',
    ]) {
      const res = await request({ port: started.port, path });
      assert.equal(res.status, 404, `GET ${path} should be 404, got ${res.status} ${res.body.slice(0, 80)}`);
    }
  });

  it('answers a preflight from an allowed origin with Access-Control-Allow-Private-Network: true', async () => {
    // Chrome's Private Network Access preflights every request from a public page to loopback,
    // including a simple GET of / or /status, so every route needs a good preflight answer.
    const problems: string[] = [];
    for (const origin of ['https://playentry.org', 'http://localhost:8080']) {
      for (const path of [
        '/',
        '/status',
        '/socket.io/?EIO=3&transport=polling',
        '/socket.io/?EIO=4&transport=polling',
      ]) {
        const res = await request({
          port: started.port,
          path,
          method: 'OPTIONS',
          headers: {
            Origin: origin,
            'Access-Control-Request-Method': 'GET',
            'Access-Control-Request-Private-Network': 'true',
          },
        });
        const pna = res.headers['access-control-allow-private-network'];
        const acao = res.headers['access-control-allow-origin'];
        if (res.status < 200 || res.status >= 300 || pna !== 'true' || (acao !== origin && acao !== '*')) {
          problems.push(
            `OPTIONS ${path} from ${origin}: status ${res.status}, allow-private-network ${pna}, allow-origin ${acao}`,
          );
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('does not grant private network access to a disallowed origin', async () => {
    const res = await request({
      port: started.port,
      path: '/socket.io/?EIO=4&transport=polling',
      method: 'OPTIONS',
      headers: {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Private-Network': 'true',
      },
    });
    assert.notEqual(res.headers['access-control-allow-private-network'], 'true');
    assert.notEqual(res.headers['access-control-allow-origin'], 'https://evil.example');
    assert.notEqual(res.headers['access-control-allow-origin'], '*');
  });
});
