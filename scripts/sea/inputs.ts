// Build-time inputs of the single executable: the certificate directory (ENTRY_HW_CERT_DIR) and
// the passphrase (ENTRY_HW_SECRET or the file named by ENTRY_HW_SECRET_FILE). Everything is
// checked before anything is built, so a bad input never produces a binary.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateFiles } from '../../src/crypto/certificates';
import { CERTIFICATE_FILE_NAMES, EXPIRY_WARNING_DAYS } from '../../src/crypto/certificates';

/** An input the build refuses; the message says what to fix. */
export class BuildInputError extends Error {
  override name = 'BuildInputError';
}

export interface CheckedCertificate {
  files: CertificateFiles;
  leaf: X509Certificate;
  notAfter: Date;
  daysLeft: number;
  /** Problems that do not stop the build (expiring soon, unexpected host name). */
  warnings: string[];
}

const DAY_MS = 86_400_000;

function readRequired(dir: string, name: string): string {
  const path = join(dir, name);
  if (!existsSync(path)) throw new BuildInputError(`${path} is missing (ENTRY_HW_CERT_DIR needs ${name})`);
  return readFileSync(path, 'utf8');
}

function parseCertificate(pem: string, name: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new BuildInputError(`${name} is not a PEM certificate: ${(error as Error).message}`);
  }
}

function checkValidity(cert: X509Certificate, name: string, now: Date): void {
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new BuildInputError(`${name} expired on ${notAfter.toISOString()}; refusing to embed it`);
  }
  const notBefore = new Date(cert.validFrom);
  if (notBefore.getTime() > now.getTime()) {
    throw new BuildInputError(`${name} is not valid before ${notBefore.toISOString()}; refusing to embed it`);
  }
}

function checkSignedBy(
  child: X509Certificate,
  childName: string,
  issuer: X509Certificate,
  issuerName: string,
): void {
  if (!child.checkIssued(issuer)) {
    throw new BuildInputError(
      `${childName} was not issued by ${issuerName} (issuer/subject or key identifiers differ)`,
    );
  }
  if (!child.verify(issuer.publicKey)) {
    throw new BuildInputError(`${childName}'s signature does not verify with ${issuerName}'s key`);
  }
}

/**
 * Reads and checks the four compat files: every certificate currently valid, the key matching
 * the leaf, and the chain leaf → ChainCA1 → RootCA (self-signed) verifying.
 *
 * @example
 * const checked = checkCertificateDirectory(process.env.ENTRY_HW_CERT_DIR);
 * for (const warning of checked.warnings) console.warn(warning);
 */
export function checkCertificateDirectory(dir: string, now: Date = new Date()): CheckedCertificate {
  if (!existsSync(dir)) throw new BuildInputError(`ENTRY_HW_CERT_DIR=${dir} does not exist`);
  const [chainName, rootName] = CERTIFICATE_FILE_NAMES.chain;
  const files: CertificateFiles = {
    key: readRequired(dir, CERTIFICATE_FILE_NAMES.key),
    cert: readRequired(dir, CERTIFICATE_FILE_NAMES.cert),
    chain: [readRequired(dir, chainName), readRequired(dir, rootName)],
  };
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(files.key);
  } catch (error) {
    throw new BuildInputError(
      `${CERTIFICATE_FILE_NAMES.key} is not an unencrypted PEM private key: ${(error as Error).message}`,
    );
  }
  const leaf = parseCertificate(files.cert, CERTIFICATE_FILE_NAMES.cert);
  const intermediate = parseCertificate(files.chain[0] as string, chainName);
  const root = parseCertificate(files.chain[1] as string, rootName);

  checkValidity(leaf, CERTIFICATE_FILE_NAMES.cert, now);
  checkValidity(intermediate, chainName, now);
  checkValidity(root, rootName, now);
  if (!leaf.checkPrivateKey(key)) {
    throw new BuildInputError(
      `${CERTIFICATE_FILE_NAMES.key} does not belong to ${CERTIFICATE_FILE_NAMES.cert}`,
    );
  }
  if (!intermediate.ca) throw new BuildInputError(`${chainName} is not a CA certificate`);
  if (!root.ca) throw new BuildInputError(`${rootName} is not a CA certificate`);
  checkSignedBy(leaf, CERTIFICATE_FILE_NAMES.cert, intermediate, chainName);
  checkSignedBy(intermediate, chainName, root, rootName);
  checkSignedBy(root, rootName, root, `${rootName} itself (a root must be self-signed)`);

  const warnings: string[] = [];
  const notAfter = new Date(
    Math.min(...[leaf, intermediate, root].map((cert) => new Date(cert.validTo).getTime())),
  );
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    warnings.push(
      `the certificate chain expires in ${daysLeft} day(s) (${notAfter.toISOString()}); ` +
        'executables built now will fall back to plain ws soon after that',
    );
  }
  if (leaf.checkHost('hw.playentry.org') === undefined) {
    warnings.push(
      `${CERTIFICATE_FILE_NAMES.cert} does not cover hw.playentry.org (${leaf.subjectAltName ?? leaf.subject})`,
    );
  }
  return { files, leaf, notAfter, daysLeft, warnings };
}

export interface PassphraseInput {
  passphrase: string | undefined;
  source: 'ENTRY_HW_SECRET' | 'ENTRY_HW_SECRET_FILE' | 'none';
}

/**
 * ENTRY_HW_SECRET wins over ENTRY_HW_SECRET_FILE; one trailing newline of the file is dropped.
 *
 * @example
 * readPassphrase({ ENTRY_HW_SECRET_FILE: '/run/secrets/entry-hw' }).passphrase
 */
export function readPassphrase(env: NodeJS.ProcessEnv = process.env): PassphraseInput {
  if (env.ENTRY_HW_SECRET) return { passphrase: env.ENTRY_HW_SECRET, source: 'ENTRY_HW_SECRET' };
  const file = env.ENTRY_HW_SECRET_FILE;
  if (file) {
    if (!existsSync(file)) throw new BuildInputError(`ENTRY_HW_SECRET_FILE=${file} does not exist`);
    const passphrase = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    if (passphrase === '') throw new BuildInputError(`ENTRY_HW_SECRET_FILE=${file} is empty`);
    return { passphrase, source: 'ENTRY_HW_SECRET_FILE' };
  }
  return { passphrase: undefined, source: 'none' };
}
