// The format of the secrets sealed into the single executable, shared by the build
// (scripts/sea/build.ts seals) and the program (embedded-secrets.ts unseals), so the two
// can never drift apart.
//
// Three SEA assets:
//   SECRETS   "EHWS" | version | iv(12) | tag(16) | AES-256-GCM(JSON payload)
//   KEY_A     32 random bytes
//   KEY_B     key XOR KEY_A XOR SHA-256(label | iv | tag)
// The AES key is generated per build and is never stored as such: a scan of the binary for the
// key, the PEM, the DER of the private key or the passphrase finds none of them. This is
// obfuscation, not secrecy: everything needed to decrypt is inside the executable, and anyone
// who reads this file (or runs the program under a debugger) can recover the plaintext.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { CertificateFiles } from '../crypto/certificates';

/** Names of the SEA assets the build writes and the program reads. */
export const SEA_ASSETS = {
  secrets: 'entry-hw/secrets',
  keyA: 'entry-hw/key-a',
  keyB: 'entry-hw/key-b',
  /** Plain JSON describing the build (no secrets), see EmbeddedBuildInfo. */
  buildInfo: 'entry-hw/build-info',
  /** Plain text: THIRD_PARTY_NOTICES.txt for this target (bundled packages and its Node), for --licenses. */
  notices: 'entry-hw/notices',
} as const;

/** What is sealed: either part may be absent (plain-only build, dev passphrase). */
export interface SecretPayload {
  certificates?: CertificateFiles;
  passphrase?: string;
}

/** Non-secret facts about a build, embedded as plain JSON for diagnostics. */
export interface EmbeddedBuildInfo {
  version: string;
  target: string;
  nodeVersion: string;
  builtAt: string;
  /** Leaf certificate facts, or null for a plain-only build. */
  certificate: {
    subject: string;
    subjectAltName: string | null;
    notAfter: string;
    fingerprint256: string;
  } | null;
  /** 'embedded' when a passphrase was given at build time, 'dev-default' otherwise. */
  passphrase: 'embedded' | 'dev-default';
}

export interface SealedSecrets {
  secrets: Buffer;
  keyA: Buffer;
  keyB: Buffer;
}

const MAGIC = Buffer.from('EHWS', 'ascii');
const VERSION = 1;
const HEADER_LENGTH = MAGIC.length + 1;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const KEY_LENGTH = 32;
const LABEL = Buffer.from('entry-hw-server sealed secrets v1', 'ascii');

function keyMask(iv: Buffer, tag: Buffer): Buffer {
  return createHash('sha256').update(LABEL).update(iv).update(tag).digest();
}

function xor(...parts: Buffer[]): Buffer {
  const out = Buffer.alloc(KEY_LENGTH);
  for (const part of parts) {
    if (part.length !== KEY_LENGTH) throw new Error('sealed secrets: key share has the wrong length');
    for (let i = 0; i < KEY_LENGTH; i += 1) out[i] = (out[i] as number) ^ (part[i] as number);
  }
  return out;
}

/**
 * Encrypts the payload with a fresh random key and splits the key into two shares.
 *
 * @example
 * const { secrets, keyA, keyB } = sealSecrets({ passphrase: 'p', certificates });
 * unsealSecrets(secrets, keyA, keyB).passphrase // 'p'
 */
export function sealSecrets(payload: SecretPayload): SealedSecrets {
  const key = randomBytes(KEY_LENGTH);
  const iv = randomBytes(IV_LENGTH);
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION])]);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header);
  const plaintext = Buffer.from(JSON.stringify(payload), 'utf8');
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  plaintext.fill(0);
  const tag = cipher.getAuthTag();
  const keyA = randomBytes(KEY_LENGTH);
  const keyB = xor(key, keyA, keyMask(iv, tag));
  key.fill(0);
  return { secrets: Buffer.concat([header, iv, tag, ciphertext]), keyA, keyB };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function checkPayload(value: unknown): SecretPayload {
  if (typeof value !== 'object' || value === null)
    throw new Error('sealed secrets: payload is not an object');
  const { certificates, passphrase } = value as Record<string, unknown>;
  const payload: SecretPayload = {};
  if (passphrase !== undefined) {
    if (typeof passphrase !== 'string' || passphrase === '')
      throw new Error('sealed secrets: bad passphrase');
    payload.passphrase = passphrase;
  }
  if (certificates !== undefined) {
    const files = certificates as Record<string, unknown> | null;
    if (
      typeof files !== 'object' ||
      files === null ||
      typeof files.key !== 'string' ||
      typeof files.cert !== 'string' ||
      !isStringArray(files.chain)
    ) {
      throw new Error('sealed secrets: bad certificate files');
    }
    payload.certificates = { key: files.key, cert: files.cert, chain: [...files.chain] };
  }
  return payload;
}

/**
 * Reverses sealSecrets. Throws on a damaged or tampered asset (GCM authentication).
 *
 * @example
 * const payload = unsealSecrets(secrets, keyA, keyB);
 */
export function unsealSecrets(secrets: Uint8Array, keyA: Uint8Array, keyB: Uint8Array): SecretPayload {
  const data = Buffer.from(secrets.buffer, secrets.byteOffset, secrets.byteLength);
  if (data.length < HEADER_LENGTH + IV_LENGTH + TAG_LENGTH || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('sealed secrets: not a sealed secrets asset');
  }
  if (data[MAGIC.length] !== VERSION)
    throw new Error(`sealed secrets: unknown version ${data[MAGIC.length]}`);
  const header = data.subarray(0, HEADER_LENGTH);
  const iv = data.subarray(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH);
  const tag = data.subarray(HEADER_LENGTH + IV_LENGTH, HEADER_LENGTH + IV_LENGTH + TAG_LENGTH);
  const ciphertext = data.subarray(HEADER_LENGTH + IV_LENGTH + TAG_LENGTH);
  const key = xor(Buffer.from(keyA), Buffer.from(keyB), keyMask(iv, tag));
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(header);
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    try {
      return checkPayload(JSON.parse(plaintext.toString('utf8')));
    } finally {
      plaintext.fill(0);
    }
  } catch (error) {
    if ((error as Error).message.startsWith('sealed secrets:')) throw error;
    throw new Error('sealed secrets: authentication failed (damaged asset or wrong key shares)');
  } finally {
    key.fill(0);
  }
}
