// The passphrase cipher behind IPC encrypt/decrypt (docs/PROTOCOL.md §6) matches crypto-js 4 both
// ways and byte for byte, salts afresh each time, and fails readably on bad input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import CryptoJS from 'crypto-js';
import { decryptText, deriveKeyAndIv, encryptText } from '../../src/crypto/passphrase-cipher';

const PASS = 'TEST_SECRET';

describe('passphrase cipher (crypto-js compatible)', () => {
  it('decrypts what crypto-js encrypts', () => {
    for (const text of [
      'hello',
      '',
      '한글 엔트리 🤖',
      'x'.repeat(10_000),
      JSON.stringify({ a: 1, b: [true, null] }),
    ]) {
      const ciphertext = CryptoJS.AES.encrypt(text, PASS).toString();
      assert.equal(decryptText(ciphertext, PASS), text);
    }
  });

  it('produces what crypto-js decrypts, in the salted format', () => {
    const ciphertext = encryptText('엔트리 hardware', PASS);
    assert.match(ciphertext, /^U2FsdGVkX1/);
    assert.equal(CryptoJS.AES.decrypt(ciphertext, PASS).toString(CryptoJS.enc.Utf8), '엔트리 hardware');
  });

  it('matches crypto-js byte for byte for a fixed salt', () => {
    const salt = Buffer.from('0102030405060708', 'hex');
    const ours = encryptText('fixed', PASS, salt);
    const theirs = CryptoJS.AES.encrypt('fixed', PASS, {
      salt: CryptoJS.enc.Hex.parse('0102030405060708'),
    } as never).toString();
    const { key, iv } = deriveKeyAndIv(PASS, salt);
    const reference = CryptoJS.AES.encrypt('fixed', CryptoJS.enc.Hex.parse(key.toString('hex')), {
      iv: CryptoJS.enc.Hex.parse(iv.toString('hex')),
    });
    assert.equal(
      Buffer.from(ours, 'base64').subarray(16).toString('base64'),
      reference.ciphertext.toString(CryptoJS.enc.Base64),
    );
    // crypto-js may ignore the salt option on older versions; the ciphertext tail must match when it does not.
    if (theirs.startsWith('U2FsdGVkX18BAgMEBQYHCA')) assert.equal(ours, theirs);
  });

  it('uses a fresh salt each time', () => {
    assert.notEqual(encryptText('same', PASS), encryptText('same', PASS));
  });

  it('fails with a readable error on bad input or a wrong passphrase', () => {
    const good = encryptText('secret', PASS);
    for (const bad of [
      '',
      'not base64!!',
      Buffer.from('hello world, not salted').toString('base64'),
      good.slice(0, -8),
    ]) {
      assert.throws(() => decryptText(bad, PASS), /ciphertext|passphrase/);
    }
    assert.throws(() => decryptText(good, 'WRONG'), /passphrase|UTF-8/);
  });
});
