// The Origin policy and the handshake classification (docs/PROTOCOL.md §9), without sockets:
// allowed sites, look-alikes, missing or null Origin, peers only over WebSocket without Origin.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHandshakeQuery } from '../../src/contracts/handshake-query';
import { classifyHandshake } from '../../src/policy/handshake';
import {
  checkSocketOrigin,
  isOriginAllowed,
  originMatches,
  parseOriginHeader,
} from '../../src/policy/origin-policy';

describe('origin policy', () => {
  it('allows the Entry sites, local pages and the offline app by default', () => {
    for (const origin of [
      'https://playentry.org',
      'https://dev.playentry.org',
      'https://a.b.playentry.org',
      'http://localhost',
      'http://localhost:8080',
      'https://127.0.0.1:4000',
      'file://',
    ]) {
      assert.equal(isOriginAllowed(origin, []), true, origin);
    }
  });

  it('refuses look-alikes and other sites', () => {
    for (const origin of [
      'http://playentry.org',
      'https://playentry.org.evil.com',
      'https://evilplayentry.org',
      'https://evil.example',
      'http://localhost.evil.com',
      'http://127.0.0.2',
      'garbage',
      '',
    ]) {
      assert.equal(isOriginAllowed(origin, []), false, origin);
    }
  });

  it('a missing Origin is not an allowed origin; without one only a WebSocket upgrade passes', () => {
    assert.equal(isOriginAllowed(undefined, []), false);
    assert.deepEqual(checkSocketOrigin(undefined, true, []), { ok: true, local: true });
    assert.equal(checkSocketOrigin(undefined, false, []).ok, false);
    assert.equal(checkSocketOrigin('https://evil.example', true, []).ok, false);
    assert.deepEqual(checkSocketOrigin('https://playentry.org', false, []), { ok: true, local: false });
  });

  it('refuses Origin null by default (sandboxed iframes, data: URLs); an embedder may add it', () => {
    assert.equal(isOriginAllowed('null', []), false);
    assert.equal(isOriginAllowed('null', ['null']), true);
    assert.equal(isOriginAllowed('null', ['*']), true);
  });

  it('accepts only an Origin that is exactly its parsed origin', () => {
    for (const origin of [
      'https://evil.com#.playentry.org',
      'https://evil.com?.playentry.org',
      'https://evil.com\\.playentry.org',
      'https://evil.com/.playentry.org',
      'https://user@dev.playentry.org',
      'https://dev.playentry.org/',
      'https://dev.playentry.org:443',
      'HTTPS://dev.playentry.org',
      ' https://playentry.org',
      'https://playentry.org\n',
      'file:///etc/passwd',
    ]) {
      assert.equal(isOriginAllowed(origin, []), false, JSON.stringify(origin));
      assert.equal(parseOriginHeader(origin), undefined, JSON.stringify(origin));
    }
    assert.deepEqual(parseOriginHeader('https://dev.playentry.org:8443'), {
      scheme: 'https',
      host: 'dev.playentry.org',
    });
    assert.equal(isOriginAllowed('https://dev.playentry.org:8443', []), true);
  });

  it('extends the list with exact origins, subdomain patterns and *', () => {
    assert.equal(isOriginAllowed('https://school.example', ['https://school.example']), true);
    assert.equal(isOriginAllowed('https://x.school.example', ['https://*.school.example']), true);
    assert.equal(isOriginAllowed('https://school.example', ['https://*.school.example']), false);
    assert.equal(isOriginAllowed('https://anything.test', ['*']), true);
    assert.equal(originMatches('HTTPS://PlayEntry.org', 'https://playentry.org'), true);
  });
});

describe('handshake classification', () => {
  const url = (q: string) => `/socket.io/?EIO=3&transport=websocket&${q}`;
  it('admits peers only over a WebSocket upgrade without an Origin header', () => {
    assert.deepEqual(
      classifyHandshake({ url: url('childServer=true'), origin: undefined, websocket: true }, []),
      { admit: true, kind: 'peer' },
    );
    const posing = classifyHandshake(
      { url: url('childServer=true'), origin: 'https://playentry.org', websocket: true },
      [],
    );
    assert.equal(posing.admit, false);
    // An <img> or <script> polling request carries no Origin: never a peer.
    const img = classifyHandshake({ url: url('childServer=true'), origin: undefined, websocket: false }, []);
    assert.equal(img.admit, false);
  });
  it('refuses a browser polling handshake without Origin', () => {
    const decision = classifyHandshake(
      { url: url('client=true&roomId=0a1b2c3d4e'), origin: undefined, websocket: false },
      [],
    );
    assert.equal(decision.admit, false);
  });
  it('admits browsers from allowed origins with their roomId', () => {
    assert.deepEqual(
      classifyHandshake(
        { url: url('client=true&roomId=0a1b2c3d4e'), origin: 'https://playentry.org', websocket: true },
        [],
      ),
      {
        admit: true,
        kind: 'browser',
        roomId: '0a1b2c3d4e',
      },
    );
    assert.equal(
      classifyHandshake(
        { url: url('client=true&roomId=x'), origin: 'https://evil.example', websocket: true },
        [],
      ).admit,
      false,
    );
  });
  it('admits a browser with an odd roomId without one, and says why', () => {
    const decision = classifyHandshake(
      { url: url(`roomId=${'x'.repeat(500)}`), origin: undefined, websocket: true },
      [],
    );
    assert.equal(decision.admit && decision.kind === 'browser' && decision.roomId, undefined);
    assert.ok(decision.admit && decision.kind === 'browser' && decision.note);
  });
  it('reads query parameters defensively', () => {
    assert.deepEqual(parseHandshakeQuery('/x?roomId=a&roomId=b').roomId, { kind: 'valid', roomId: 'a' });
    assert.deepEqual(parseHandshakeQuery(undefined).roomId, { kind: 'absent' });
    assert.deepEqual(parseHandshakeQuery('/x?%zz=1').roomId, { kind: 'absent' });
  });
});
