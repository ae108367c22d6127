// Test PKI made at test time with the openssl command line: a root CA, an intermediate
// ("ChainCA1") and a leaf for hw.playentry.org, written under the compat file names the
// server reads (hardware.key, cert.pem, ChainCA1.crt, RootCA.crt). Nothing here is ever committed.
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  /** Directory holding hardware.key, cert.pem, ChainCA1.crt, RootCA.crt (use as ENTRY_HW_CERT_DIR). */
  dir: string;
  /** PEM of the root CA: give it to clients as `ca` so verification stays on. */
  rootPem: string;
  /** base64 SHA-256 of the root's SubjectPublicKeyInfo (for Chromium's --ignore-certificate-errors-spki-list). */
  rootSpkiHash: string;
  /** Same hash for the leaf key. */
  leafSpkiHash: string;
}

export interface TestPkiOptions {
  /** Leaf validity; negative numbers make an already-expired leaf. Default 30. */
  leafDays?: number;
  /** DNS names on the leaf. Default hw.playentry.org and hardware.playentry.org. */
  dnsNames?: string[];
  /** Parent directory; default a fresh temp dir. */
  baseDir?: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** openssl ca wants GeneralizedTime-like stamps: YYMMDDHHMMSSZ. */
function asn1Time(date: Date): string {
  const iso = date.toISOString(); // 2026-11-27T03:34:46.000Z
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

export function spkiHash(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/**
 * Makes a root → intermediate → leaf chain for hw.playentry.org.
 *
 * @example
 * const pki = makeTestPki();
 * spawnServer({ env: { ENTRY_HW_CERT_DIR: pki.dir } });
 * io('https://hw.playentry.org:23518', { ca: pki.rootPem, lookup: ... });
 */
export function makeTestPki(options: TestPkiOptions = {}): TestPki {
  const work = mkdtempSync(join(options.baseDir ?? tmpdir(), 'entry-hw-pki-'));
  const dir = join(work, 'certs');
  mkdirSync(dir);
  const dnsNames = options.dnsNames ?? ['hw.playentry.org', 'hardware.playentry.org'];
  const leafDays = options.leafDays ?? 30;

  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  /** A fresh P-256 key and a certificate request for it. */
  const newKeyAndRequest = (keyPath: string, requestPath: string, subject: string) =>
    openssl(['req', '-new', ...ec, '-keyout', keyPath, '-out', requestPath, '-subj', subject], work);
  writeFileSync(
    join(work, 'ext.cnf'),
    [
      '[ca_ext]',
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '[leaf_ext]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}`,
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '[ca]',
      'default_ca=leafca',
      '[leafca]',
      `database=${join(work, 'index.txt')}`,
      `new_certs_dir=${work}`,
      `serial=${join(work, 'serial')}`,
      'default_md=sha256',
      'policy=anything',
      'copy_extensions=none',
      'unique_subject=no',
      '[anything]',
      'commonName=supplied',
      '',
    ].join('\n'),
  );
  writeFileSync(join(work, 'index.txt'), '');
  writeFileSync(join(work, 'serial'), '1000\n');

  // Root CA (self-signed).
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'root.key',
      '-out',
      'certs/RootCA.crt',
      '-days',
      '60',
      '-subj',
      '/CN=Entry HW Test Root',
      '-config',
      'ext.cnf',
      '-extensions',
      'ca_ext',
    ],
    work,
  );
  // Intermediate CA signed by the root.
  newKeyAndRequest('inter.key', 'inter.csr', '/CN=Entry HW Test ChainCA1');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'inter.csr',
      '-CA',
      'certs/RootCA.crt',
      '-CAkey',
      'root.key',
      '-CAcreateserial',
      '-out',
      'certs/ChainCA1.crt',
      '-days',
      '60',
      '-extfile',
      'ext.cnf',
      '-extensions',
      'ca_ext',
    ],
    work,
  );
  // Leaf signed by the intermediate with explicit dates (openssl ca allows dates in the past).
  newKeyAndRequest('certs/hardware.key', 'leaf.csr', `/CN=${dnsNames[0]}`);
  const now = Date.now();
  const day = 86_400_000;
  const notBefore = leafDays >= 0 ? new Date(now - 60_000) : new Date(now + (leafDays - 30) * day);
  const notAfter = new Date(now + leafDays * day);
  openssl(
    [
      'ca',
      '-batch',
      '-config',
      'ext.cnf',
      '-extensions',
      'leaf_ext',
      '-in',
      'leaf.csr',
      '-out',
      'certs/cert.pem',
      '-cert',
      'certs/ChainCA1.crt',
      '-keyfile',
      'inter.key',
      '-notext',
      '-startdate',
      asn1Time(notBefore),
      '-enddate',
      asn1Time(notAfter),
    ],
    work,
  );

  const rootPem = readFileSync(join(dir, 'RootCA.crt'), 'utf8');
  const leafPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  return { dir, rootPem, rootSpkiHash: spkiHash(rootPem), leafSpkiHash: spkiHash(leafPem) };
}
