// encrypt/decrypt compatible with crypto-js 4 passphrase mode, i.e. `openssl enc -aes-256-cbc -md md5`
// (docs/PROTOCOL.md §6): Base64("Salted__" + 8-byte salt + ciphertext), key and IV derived with
// EVP_BytesToKey(MD5), PKCS#7 padding. Built on node:crypto only.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const MAGIC = Buffer.from('Salted__', 'latin1');
const SALT_LENGTH = 8;
const KEY_LENGTH = 32;
const IV_LENGTH = 16;

/** OpenSSL's EVP_BytesToKey with MD5 and one iteration: returns key and IV for AES-256-CBC. */
export function deriveKeyAndIv(passphrase: string, salt: Buffer): { key: Buffer; iv: Buffer } {
  const password = Buffer.from(passphrase, 'utf8');
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  let total = 0;
  while (total < KEY_LENGTH + IV_LENGTH) {
    previous = createHash('md5').update(previous).update(password).update(salt).digest();
    blocks.push(previous);
    total += previous.length;
  }
  const material = Buffer.concat(blocks);
  return { key: material.subarray(0, KEY_LENGTH), iv: material.subarray(KEY_LENGTH, KEY_LENGTH + IV_LENGTH) };
}

/**
 * Encrypts UTF-8 text; the result starts with `U2FsdGVkX1` and decrypts with
 * `CryptoJS.AES.decrypt(result, passphrase)`.
 *
 * @example
 * encryptText('hello', 'TEST_SECRET') // 'U2FsdGVkX1...'
 */
export function encryptText(
  plaintext: string,
  passphrase: string,
  salt: Buffer = randomBytes(SALT_LENGTH),
): string {
  const { key, iv } = deriveKeyAndIv(passphrase, salt);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([MAGIC, salt, body]).toString('base64');
}

/**
 * Decrypts a crypto-js / OpenSSL passphrase ciphertext. Throws an Error with a readable message
 * on anything that is not one, or on a wrong passphrase.
 *
 * @example
 * decryptText(CryptoJS.AES.encrypt('hello', 'TEST_SECRET').toString(), 'TEST_SECRET') // 'hello'
 */
export function decryptText(ciphertext: string, passphrase: string): string {
  const trimmed = ciphertext.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw new Error('ciphertext is not Base64');
  const raw = Buffer.from(trimmed, 'base64');
  if (raw.length < MAGIC.length + SALT_LENGTH + 16 || !raw.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('ciphertext is not in the salted passphrase format');
  }
  const salt = raw.subarray(MAGIC.length, MAGIC.length + SALT_LENGTH);
  const body = raw.subarray(MAGIC.length + SALT_LENGTH);
  if (body.length % 16 !== 0) throw new Error('ciphertext length is not a whole number of blocks');
  const { key, iv } = deriveKeyAndIv(passphrase, salt);
  const decipher = createDecipheriv('aes-256-cbc', key, iv);
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new Error('wrong passphrase or damaged ciphertext (bad padding)');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw new Error('wrong passphrase or damaged ciphertext (not UTF-8 text)');
  }
}
