// The IPC message guard (docs/PROTOCOL.md §2): known keys and values accepted, malformed input
// rejected with a reason instead of thrown; `open` arguments normalised; developer console lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConsoleLine } from '../../src/dev-console';
import {
  CloudMode,
  isValidRoomId,
  MAX_ROOM_ID_LENGTH,
  parseParentMessage,
  RunningMode,
} from '../../src/ipc/messages';
import { normalizeOpenArguments } from '../../src/server/open-options';

describe('IPC message guard', () => {
  it('keeps the compat mode constants', () => {
    assert.deepEqual(RunningMode, { server: 2, client: 3 });
    assert.deepEqual(CloudMode, { singleServer: 0, cloud: 1 });
  });

  it('accepts every known key with a proper value', () => {
    for (const message of [
      { key: 'open' },
      { key: 'open', value: 'production' },
      { key: 'open', value: { allowedOrigins: ['https://a.test'] } },
      { key: 'addRoomId', value: '0a1b2c3d4e' },
      { key: 'send', value: { a: [1, 2] } },
      { key: 'send', value: null },
      { key: 'disconnectHardware' },
      { key: 'connectHardwareSuccess', value: '520101' },
      { key: 'connectHardwareFailed' },
      { key: 'encrypt', value: 'x' },
      { key: 'decrypt', value: 'y', id: 7 },
    ]) {
      const parsed = parseParentMessage(message);
      assert.equal(parsed.kind, 'message', JSON.stringify(message));
      if (parsed.kind === 'message') assert.equal(parsed.message.key, message.key);
    }
  });

  it('echoes a string or number id and drops other id types', () => {
    const withId = parseParentMessage({ key: 'encrypt', value: 'x', id: 'req-1' });
    assert.deepEqual(withId, { kind: 'message', message: { key: 'encrypt', value: 'x', id: 'req-1' } });
    const badId = parseParentMessage({ key: 'encrypt', value: 'x', id: { no: 1 } });
    assert.deepEqual(badId, { kind: 'message', message: { key: 'encrypt', value: 'x' } });
  });

  it('recognises the bare exit command', () => {
    assert.deepEqual(parseParentMessage('exit'), { kind: 'exit' });
  });

  it('rejects malformed input with a reason instead of throwing', () => {
    for (const raw of [null, undefined, 42, 'hello', [1, 2], {}, { key: 5 }, { key: 'nope' }, { value: 1 }]) {
      const parsed = parseParentMessage(raw);
      assert.equal(parsed.kind, 'invalid', JSON.stringify(raw));
      if (parsed.kind === 'invalid') assert.ok(parsed.reason.length > 0);
    }
  });

  it('rejects unusable roomIds and non-string cipher input, keeping the key for a reply', () => {
    for (const value of ['', 'x'.repeat(MAX_ROOM_ID_LENGTH + 1), 12, null, 'a\u0000b']) {
      assert.equal(parseParentMessage({ key: 'addRoomId', value }).kind, 'invalid');
    }
    const parsed = parseParentMessage({ key: 'decrypt', value: 5, id: 9 });
    assert.deepEqual(parsed.kind === 'invalid' && [parsed.key, parsed.id], ['decrypt', 9]);
    assert.equal(isValidRoomId('x'.repeat(MAX_ROOM_ID_LENGTH)), true);
  });
});

describe('open arguments', () => {
  it('normalises every shape the parents use', () => {
    assert.deepEqual(normalizeOpenArguments(), {});
    assert.deepEqual(normalizeOpenArguments('production'), {});
    assert.deepEqual(normalizeOpenArguments('development'), {});
    assert.deepEqual(normalizeOpenArguments('https://log.example/count'), {
      telemetryUrl: 'https://log.example/count',
    });
    assert.deepEqual(normalizeOpenArguments('2.1.0', 'http://log.example/c'), {
      offlineVersion: '2.1.0',
      telemetryUrl: 'http://log.example/c',
    });
    assert.deepEqual(
      normalizeOpenArguments({
        telemetryUrl: 'ftp://x',
        offlineVersion: 3,
        allowedOrigins: ['https://a.test', 5, ''],
      }),
      { allowedOrigins: ['https://a.test'] },
    );
  });
});

describe('developer console lines', () => {
  it('maps typed lines to parent messages', () => {
    assert.deepEqual(parseConsoleLine('send {"a":1}'), { key: 'send', value: { a: 1 } });
    assert.deepEqual(parseConsoleLine('send hello world'), { key: 'send', value: 'hello world' });
    assert.deepEqual(parseConsoleLine('addRoomId abc'), { key: 'addRoomId', value: 'abc' });
    assert.deepEqual(parseConsoleLine('  open  '), { key: 'open' });
    assert.deepEqual(parseConsoleLine('encrypt 123'), { key: 'encrypt', value: '123' });
    assert.equal(parseConsoleLine('exit'), 'exit');
    assert.equal(parseParentMessage(parseConsoleLine('send {"a":1}')).kind, 'message');
  });
});
