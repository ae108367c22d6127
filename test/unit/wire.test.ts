// Wire values parsed once at the edge: the one guard for values from outside (src/util/wire.ts),
// the handshake query (contracts/handshake-query.ts) and what a host sends to a peer
// (contracts/host-values.ts, the rules src/peer/peer-link.ts applies on arrival).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHandshakeQuery } from '../../src/contracts/handshake-query';
import {
  browserCount,
  MAX_REFUSAL_MESSAGE,
  parseRoomBrowsers,
  parseRoomClaimRefused,
  parseRoomFree,
} from '../../src/contracts/host-values';
import { MAX_ROOM_ID_LENGTH } from '../../src/ipc/messages';
import { asRecord, positiveOrZero } from '../../src/util/wire';

describe('wire values', () => {
  it('asRecord reads objects only', () => {
    assert.deepEqual(asRecord({ roomId: 'abc' }), { roomId: 'abc' });
    assert.equal(asRecord({ roomId: 'abc' })?.roomId, 'abc');
    for (const value of [null, undefined, [1, 2], [], 'text', 42, true])
      assert.equal(asRecord(value), undefined, String(value));
    assert.equal(asRecord(JSON.parse('{"__proto__": {"key": 1}}'))?.key, undefined);
  });

  it('positiveOrZero keeps finite positive numbers and turns the rest into 0', () => {
    assert.equal(positiveOrZero(1200), 1200);
    assert.equal(positiveOrZero(0.5), 0.5);
    for (const value of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '12', null, undefined, {}])
      assert.equal(positiveOrZero(value), 0, String(value));
  });
});

describe('handshake query', () => {
  it('reads childServer, EIO and the roomId from one parse', () => {
    assert.deepEqual(
      parseHandshakeQuery('/socket.io/?client=true&roomId=0a1b2c3d4e&EIO=4&transport=websocket'),
      {
        childServer: false,
        engineIo: '4',
        roomId: { kind: 'valid', roomId: '0a1b2c3d4e' },
      },
    );
    assert.deepEqual(parseHandshakeQuery('/socket.io/?childServer=true&EIO=3'), {
      childServer: true,
      engineIo: '3',
      roomId: { kind: 'absent' },
    });
  });

  it('only `childServer=true` is a peer', () => {
    for (const value of ['TRUE', '1', '', 'true '])
      assert.equal(
        parseHandshakeQuery(`/socket.io/?childServer=${encodeURIComponent(value)}`).childServer,
        false,
      );
  });

  it('an empty roomId is none; an unusable one gives only its length', () => {
    assert.deepEqual(parseHandshakeQuery('/socket.io/?roomId=').roomId, { kind: 'absent' });
    const long = 'x'.repeat(MAX_ROOM_ID_LENGTH + 1);
    assert.deepEqual(parseHandshakeQuery(`/socket.io/?roomId=${long}`).roomId, {
      kind: 'unusable',
      length: MAX_ROOM_ID_LENGTH + 1,
    });
    assert.deepEqual(parseHandshakeQuery('/socket.io/?roomId=a%0Ab').roomId, { kind: 'unusable', length: 3 });
    assert.deepEqual(parseHandshakeQuery('/socket.io/?roomId=a&roomId=b').roomId, {
      kind: 'valid',
      roomId: 'a',
    });
  });

  it('a missing or unparsable URL reads as an empty query', () => {
    const empty = { childServer: false, engineIo: undefined, roomId: { kind: 'absent' } };
    assert.deepEqual(parseHandshakeQuery(undefined), empty);
    assert.deepEqual(parseHandshakeQuery(''), empty);
    assert.deepEqual(parseHandshakeQuery('http://[bad'), empty);
  });
});

describe('what a host sends to a peer', () => {
  it('roomConnection / roomClose: a usable roomId, and a count only when it is a non-negative integer', () => {
    assert.deepEqual(parseRoomBrowsers('0a1b2c3d4e', 2), { roomId: '0a1b2c3d4e', browsers: 2 });
    assert.deepEqual(parseRoomBrowsers('0a1b2c3d4e', 0), { roomId: '0a1b2c3d4e', browsers: 0 });
    for (const odd of [-1, 1.5, Number.NaN, '2', null, undefined])
      assert.equal(parseRoomBrowsers('0a1b2c3d4e', odd)?.browsers, undefined, String(odd));
    for (const roomId of ['', 42, null, undefined, 'a\u0000b', 'x'.repeat(MAX_ROOM_ID_LENGTH + 1)])
      assert.equal(parseRoomBrowsers(roomId, 1), undefined, String(roomId));
    assert.equal(browserCount(3), 3);
  });

  it('roomFree: the roomId when usable', () => {
    assert.equal(parseRoomFree('0a1b2c3d4e'), '0a1b2c3d4e');
    assert.equal(parseRoomFree(''), undefined);
    assert.equal(parseRoomFree({ roomId: '0a1b2c3d4e' }), undefined);
  });

  it('roomClaimRefused: known reasons kept, others held-by-another-peer, message defaulted and cut', () => {
    assert.deepEqual(parseRoomClaimRefused({ roomId: 'r1', reason: 'host-full', message: 'full' }), {
      roomId: 'r1',
      reason: 'host-full',
      message: 'full',
    });
    for (const reason of ['host-room', 'too-many-claims'])
      assert.equal(parseRoomClaimRefused({ roomId: 'r1', reason })?.reason, reason);
    for (const reason of ['held-by-another-peer', 'other', undefined, 7])
      assert.equal(parseRoomClaimRefused({ roomId: 'r1', reason })?.reason, 'held-by-another-peer');
    assert.equal(parseRoomClaimRefused({ roomId: 'r1' })?.message, 'room claimed');
    assert.equal(parseRoomClaimRefused({ roomId: 'r1', message: 12 })?.message, 'room claimed');
    const long = parseRoomClaimRefused({ roomId: 'r1', message: 'm'.repeat(1000) })?.message;
    assert.equal(long, 'm'.repeat(MAX_REFUSAL_MESSAGE));
    assert.equal(MAX_REFUSAL_MESSAGE, 300);
  });

  it('roomClaimRefused without a usable roomId is ignored', () => {
    for (const value of [null, undefined, 'r1', [], {}, { roomId: '' }, { roomId: 5 }])
      assert.equal(parseRoomClaimRefused(value), undefined, JSON.stringify(value));
  });
});
