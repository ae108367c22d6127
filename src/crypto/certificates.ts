// Where the TLS certificate comes from and whether it is usable. Sources are tried in order:
// the operator's directory (ENTRY_HW_CERT_DIR), then the executable's embedded copy, then none
// (plain ws/http only). File names are the compat ones of the original server.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The four compat file names, read from a directory or embedded in the executable. */
export const CERTIFICATE_FILE_NAMES = {
  key: 'hardware.key',
  cert: 'cert.pem',
  chain: ['ChainCA1.crt', 'RootCA.crt'],
} as const;

/** The certificate material as PEM text. `chain` is intermediate first, root last. */
export interface CertificateFiles {
  key: string;
  cert: string;
  chain: string[];
}

export type CertificateSourceName = 'directory' | 'embedded';

/** A certificate ready to serve, with what the status page and the expiry checks need. */
export interface LoadedCertificate {
  files: CertificateFiles;
  source: CertificateSourceName;
  notAfter: Date;
  subjectAltName: string | undefined;
}

/** Days before expiry at which the parent is warned with CERT_EXPIRING_SOON. */
export const EXPIRY_WARNING_DAYS = 30;

export type CertificateHealth =
  | { state: 'valid'; daysLeft: number }
  | { state: 'expiring-soon'; daysLeft: number }
  | { state: 'expired'; daysLeft: number };

/**
 * Reads the compat files from a directory. Returns undefined when the key or leaf is missing;
 * chain files are optional.
 *
 * @example
 * readCertificateDirectory('/etc/entry-hw') // { key, cert, chain: [ChainCA1, RootCA] } or undefined
 */
export function readCertificateDirectory(dir: string): CertificateFiles | undefined {
  const keyPath = join(dir, CERTIFICATE_FILE_NAMES.key);
  const certPath = join(dir, CERTIFICATE_FILE_NAMES.cert);
  if (!existsSync(keyPath) || !existsSync(certPath)) return undefined;
  const chain = CERTIFICATE_FILE_NAMES.chain
    .map((name) => join(dir, name))
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path, 'utf8'));
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), chain };
}

/** Parses the leaf to learn its expiry; throws on a file that is not a certificate. */
export function describeCertificate(
  files: CertificateFiles,
  source: CertificateSourceName,
): LoadedCertificate {
  const leaf = new X509Certificate(files.cert);
  return { files, source, notAfter: new Date(leaf.validTo), subjectAltName: leaf.subjectAltName };
}

/**
 * Classifies a certificate's expiry relative to `now`.
 *
 * @example
 * certificateHealth(new Date('2030-01-01'), new Date('2029-12-20')) // { state: 'expiring-soon', daysLeft: 12 }
 */
export function certificateHealth(notAfter: Date, now: Date = new Date()): CertificateHealth {
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
  if (notAfter.getTime() <= now.getTime()) return { state: 'expired', daysLeft };
  if (daysLeft < EXPIRY_WARNING_DAYS) return { state: 'expiring-soon', daysLeft };
  return { state: 'valid', daysLeft };
}

export interface CertificateSources {
  /** Operator override directory (ENTRY_HW_CERT_DIR). */
  directory?: string;
  /** Certificates built into the executable. */
  embedded?: CertificateFiles;
}

/**
 * Picks the first available source: directory → embedded → none. A source whose files cannot
 * be parsed is reported through `warn` and skipped.
 *
 * @example
 * const cert = loadCertificate({ directory: process.env.ENTRY_HW_CERT_DIR }, console.warn);
 * if (!cert) console.log('plain ws only');
 */
export function loadCertificate(
  sources: CertificateSources,
  warn: (message: string) => void,
): LoadedCertificate | undefined {
  if (sources.directory) {
    try {
      const files = readCertificateDirectory(sources.directory);
      if (files) return describeCertificate(files, 'directory');
      warn(`no ${CERTIFICATE_FILE_NAMES.key} / ${CERTIFICATE_FILE_NAMES.cert} in ${sources.directory}`);
    } catch (error) {
      warn(`certificate in ${sources.directory} is unusable: ${(error as Error).message}`);
    }
  }
  if (sources.embedded) {
    try {
      return describeCertificate(sources.embedded, 'embedded');
    } catch (error) {
      warn(`embedded certificate is unusable: ${(error as Error).message}`);
    }
  }
  return undefined;
}
