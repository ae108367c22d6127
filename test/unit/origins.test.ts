import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOriginAllowed, originMatches } from '../../src/listener/origin-policy';
import { classifyHandshake, queryParam } from '../../src/socket/handshake';

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
      'null',
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

  it('allows a missing Origin (a local program, not a browser)', () => {
    assert.equal(isOriginAllowed(undefined, []), true);
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
  it('admits peers only without an Origin header', () => {
    assert.deepEqual(classifyHandshake({ url: url('childServer=true'), origin: undefined }, []), {
      admit: true,
      kind: 'peer',
    });
    const posing = classifyHandshake({ url: url('childServer=true'), origin: 'https://playentry.org' }, []);
    assert.equal(posing.admit, false);
  });
  it('admits browsers from allowed origins with their roomId', () => {
    assert.deepEqual(
      classifyHandshake({ url: url('client=true&roomId=0a1b2c3d4e'), origin: 'https://playentry.org' }, []),
      {
        admit: true,
        kind: 'browser',
        roomId: '0a1b2c3d4e',
      },
    );
    assert.equal(
      classifyHandshake({ url: url('client=true&roomId=x'), origin: 'https://evil.example' }, []).admit,
      false,
    );
  });
  it('admits a browser with an odd roomId without one, and says why', () => {
    const decision = classifyHandshake({ url: url(`roomId=${'x'.repeat(500)}`), origin: undefined }, []);
    assert.equal(decision.admit && decision.kind === 'browser' && decision.roomId, undefined);
    assert.ok(decision.admit && decision.kind === 'browser' && decision.note);
  });
  it('reads query parameters defensively', () => {
    assert.equal(queryParam('/x?roomId=a&roomId=b', 'roomId'), 'a');
    assert.equal(queryParam(undefined, 'roomId'), undefined);
    assert.equal(queryParam('/x?%zz=1', 'roomId'), undefined);
  });
});
