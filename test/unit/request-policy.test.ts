// docs/PROTOCOL.md §9: the one decision every request and upgrade passes (Host, JSONP, Origin on every
// socket.io request, peers over WebSocket only), without sockets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Admission, admitRequest, isHostAllowed } from '../../src/policy/request-policy';

const HOST = { host: '127.0.0.1:23518' };
const ENTRY = 'https://playentry.org';

function admit(
  url: string,
  headers: Record<string, string>,
  isUpgrade = false,
  allowed: readonly string[] = [],
  method = 'GET',
): Admission {
  return admitRequest({ method, url, headers, isUpgrade }, allowed);
}

function status(admission: Admission): number {
  return admission.allow ? 200 : admission.status;
}

describe('Host allow-list (DNS rebinding)', () => {
  it('accepts the loopback names and the certificate names, with or without a port', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.1:23518',
      'localhost',
      'LOCALHOST:23518',
      '[::1]',
      '[::1]:23518',
      'hw.playentry.org',
      'hw.playentry.org:23518',
      'hardware.playentry.org:23518',
    ]) {
      assert.equal(isHostAllowed(host), true, host);
    }
  });
  it('refuses every other name, and no Host at all', () => {
    for (const host of [
      undefined,
      '',
      'rebind.evil.example:23518',
      'evil.example',
      '127.0.0.2',
      'hw.playentry.org.evil.example',
      'evil.hw.playentry.org',
      '0.0.0.0:23518',
      '127.0.0.1:23518:1',
      '127.0.0.1@evil.example',
      'localhost:port',
      '[::2]',
    ]) {
      assert.equal(isHostAllowed(host), false, String(host));
    }
  });
  it('applies to every route and to upgrades', () => {
    const evil = { host: 'rebind.evil.example:23518', origin: 'http://rebind.evil.example:23518' };
    for (const url of ['/', '/status', '/modules', '/socket.io/?EIO=3&transport=polling', '/nope']) {
      assert.equal(status(admit(url, evil)), 403, url);
      assert.equal(status(admit(url, { host: 'rebind.evil.example:23518' })), 403, url);
      assert.equal(status(admit(url, evil, false, [], 'OPTIONS')), 403, `OPTIONS ${url}`);
    }
    assert.equal(status(admit('/socket.io/?EIO=3&transport=websocket', evil, true, ['*'])), 403);
    assert.equal(status(admit('/', HOST)), 200);
    assert.equal(status(admit('/status', { host: 'hw.playentry.org:23518' })), 200);
  });
});

describe('socket.io requests', () => {
  const handshake = '/socket.io/?EIO=3&transport=polling&client=true&roomId=0a1b2c3d4e';
  it('refuses JSONP polling whatever the Origin', () => {
    for (const headers of [HOST, { ...HOST, origin: ENTRY }]) {
      assert.equal(status(admit(`${handshake}&j=0`, headers)), 400);
      assert.equal(status(admit('/socket.io/?EIO=3&transport=polling&sid=abc&j=1', headers)), 400);
    }
  });
  it('accepts no Origin only on a WebSocket upgrade', () => {
    assert.equal(status(admit(handshake, HOST)), 403, 'polling handshake without Origin');
    assert.equal(status(admit('/socket.io/?EIO=3&transport=polling&sid=abc', HOST)), 403, 'polling with sid');
    assert.equal(status(admit('/socket.io/?EIO=3&transport=websocket', HOST, true)), 200, 'websocket');
    assert.equal(status(admit(handshake, { ...HOST, origin: ENTRY })), 200, 'polling from Entry');
  });
  it('checks the Origin on every request, not only the handshake', () => {
    for (const method of ['GET', 'POST', 'OPTIONS']) {
      const url = '/socket.io/?EIO=4&transport=polling&sid=abc';
      assert.equal(status(admit(url, { ...HOST, origin: 'https://evil.example' }, false, [], method)), 403);
      assert.equal(status(admit(url, { ...HOST, origin: 'null' }, false, [], method)), 403);
      assert.equal(status(admit(url, { ...HOST, origin: ENTRY }, false, [], method)), 200);
    }
    const upgrade = '/socket.io/?EIO=4&transport=websocket&sid=abc';
    assert.equal(status(admit(upgrade, { ...HOST, origin: 'https://evil.example' }, true)), 403);
  });
  it('refuses Origin null unless the embedder added it', () => {
    assert.equal(status(admit(handshake, { ...HOST, origin: 'null' })), 403);
    assert.equal(status(admit(handshake, { ...HOST, origin: 'null' }, false, ['null'])), 200);
  });
  it('accepts peers only as a WebSocket upgrade without Origin', () => {
    const peer = '/socket.io/?EIO=4&transport=websocket&childServer=true';
    assert.equal(status(admit(peer, HOST, true)), 200);
    assert.equal(status(admit(peer, { ...HOST, origin: ENTRY }, true)), 403);
    const img = '/socket.io/?EIO=3&transport=polling&childServer=true';
    assert.equal(status(admit(img, HOST)), 403, 'an <img> request');
    assert.equal(status(admit(img, { ...HOST, origin: ENTRY })), 403, 'a page posing as a peer');
  });
  it('clips attacker text in the reason and names a fixed kind for the counted log line', () => {
    const origin = `https://${'a'.repeat(2000)}.example`;
    const refused = admit(handshake, { ...HOST, origin });
    assert.equal(refused.allow, false);
    if (!refused.allow) {
      assert.ok(refused.reason.length < 200, refused.reason);
      assert.equal(refused.kind, 'origin');
    }
    const host = admit('/', { host: `${'b'.repeat(2000)}.example` });
    assert.ok(!host.allow && host.reason.length < 200);
    assert.ok(!host.allow && host.kind === 'host');
  });
});
