// docs/PROTOCOL.md §6: encrypt/decrypt over IPC, compatible with crypto-js 4 passphrase mode
// (OpenSSL `enc -aes-256-cbc -md md5`). The passphrase is ENTRY_HW_SECRET (dev default TEST_SECRET).
// Replies echo the request `id`; failures reply with value '' and a non-empty `error`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import CryptoJS from 'crypto-js';
import type { CipherReply } from '../../src/ipc/messages';
import { type Started, startServerForSuite } from '../helpers/fixtures';

const SECRET = 'TEST_SECRET';

function cryptoJsDecrypt(ciphertext: string, passphrase: string): string {
  return CryptoJS.AES.decrypt(ciphertext, passphrase).toString(CryptoJS.enc.Utf8);
}

async function ask(
  started: Started,
  key: 'encrypt' | 'decrypt',
  value: unknown,
  id: string | number,
): Promise<CipherReply> {
  const from = started.server.messages.length;
  started.server.sendRaw({ key, value, id });
  return (await started.server.waitFor(key, (m) => m.id === id, { from, timeoutMs: 5000 })) as CipherReply;
}

describe('encrypt / decrypt', () => {
  const started = startServerForSuite({ name: 'crypto', env: { ENTRY_HW_SECRET: SECRET } });

  it('encrypts into the crypto-js/OpenSSL format that crypto-js decrypts, echoing id', async () => {
    for (const [i, text] of [
      'hello',
      '',
      '한글 텍스트 ✓',
      JSON.stringify({ a: [1, 2, 3] }),
      'x'.repeat(10_000),
    ].entries()) {
      const reply = await ask(started, 'encrypt', text, `enc-${i}`);
      assert.equal(reply.key, 'encrypt');
      assert.equal(reply.id, `enc-${i}`);
      assert.equal(
        reply.error,
        undefined,
        `unexpected error for ${JSON.stringify(text.slice(0, 20))}: ${reply.error}`,
      );
      assert.match(reply.value, /^U2FsdGVkX1[A-Za-z0-9+/]+=*$/);
      assert.equal(cryptoJsDecrypt(reply.value, SECRET), text);
    }
  });

  it('uses a random salt (two encryptions of the same text differ)', async () => {
    const a = await ask(started, 'encrypt', 'same', 1);
    const b = await ask(started, 'encrypt', 'same', 2);
    assert.notEqual(a.value, b.value);
  });

  it('decrypts what crypto-js encrypted with the passphrase', async () => {
    for (const [i, text] of ['hello', '한글 ✓', '{"roomId":"0a1b2c3d4e"}'].entries()) {
      const ciphertext = CryptoJS.AES.encrypt(text, SECRET).toString();
      const reply = await ask(started, 'decrypt', ciphertext, 100 + i);
      assert.deepEqual(
        { key: reply.key, value: reply.value, id: reply.id, error: reply.error },
        {
          key: 'decrypt',
          value: text,
          id: 100 + i,
          error: undefined,
        },
      );
    }
  });

  it('round-trips encrypt → decrypt', async () => {
    const text = `round trip ${Date.now()}`;
    const encrypted = await ask(started, 'encrypt', text, 'rt-e');
    const decrypted = await ask(started, 'decrypt', encrypted.value, 'rt-d');
    assert.equal(decrypted.value, text);
  });

  it('replies without id when the request had none (compat shape)', async () => {
    const from = started.server.messages.length;
    started.server.send({ key: 'encrypt', value: 'no id' });
    const reply = await started.server.waitFor('encrypt', () => true, { from });
    assert.deepEqual(Object.keys(reply).sort(), ['key', 'value']);
    assert.equal(cryptoJsDecrypt(reply.value, SECRET), 'no id');
  });

  it('answers bad ciphertexts with value "" and a non-empty error', async () => {
    const bad: [string, unknown][] = [
      ['not base64', 'this is not a ciphertext!'],
      ['base64 without the Salted__ header', Buffer.from('hello world, not salted').toString('base64')],
      ['truncated', CryptoJS.AES.encrypt('hello', SECRET).toString().slice(0, 20)],
      // crypto-js.AES.encrypt('hello', 'OTHER_SECRET'): fails PKCS#7 unpadding with TEST_SECRET.
      ['wrong passphrase (bad padding)', 'U2FsdGVkX18TW3kgUEgjINzBX3/IidJH8CquaYBOSx0='],
      ['header and salt only', Buffer.from('Salted__12345678').toString('base64')],
      [
        'ciphertext not a multiple of the block size',
        Buffer.from(CryptoJS.AES.encrypt('hello', SECRET).toString(), 'base64')
          .subarray(0, 31)
          .toString('base64'),
      ],
      ['not a string', 12345],
    ];
    for (const [i, [what, value]] of bad.entries()) {
      const reply = await ask(started, 'decrypt', value, `bad-${i}`);
      assert.equal(reply.key, 'decrypt', what);
      assert.equal(reply.value, '', `${what}: value must be '' (got ${JSON.stringify(reply.value)})`);
      assert.equal(typeof reply.error, 'string', `${what}: error must be a string`);
      assert.ok((reply.error ?? '').length > 0, `${what}: error must not be empty`);
    }
    assert.ok(started.server.alive);
  });

  it('answers concurrent requests, each matched by id', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `text ${i}`);
    const from = started.server.messages.length;
    for (const [i, text] of texts.entries())
      started.server.send({ key: 'encrypt', value: text, id: `c${i}` });
    for (const [i, text] of texts.entries()) {
      const reply = await started.server.waitFor('encrypt', (m) => m.id === `c${i}`, { from });
      assert.equal(cryptoJsDecrypt(reply.value, SECRET), text);
    }
  });
});

describe('encrypt / decrypt with another ENTRY_HW_SECRET', () => {
  const started = startServerForSuite({
    name: 'crypto-secret',
    env: { ENTRY_HW_SECRET: 'another passphrase' },
  });

  it('uses the configured passphrase', async () => {
    const reply = await ask(started, 'encrypt', 'secret text', 'x');
    assert.equal(cryptoJsDecrypt(reply.value, 'another passphrase'), 'secret text');
    const back = await ask(
      started,
      'decrypt',
      CryptoJS.AES.encrypt('from crypto-js', 'another passphrase').toString(),
      'y',
    );
    assert.equal(back.value, 'from crypto-js');
  });
});
