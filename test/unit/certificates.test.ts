// Loading the TLS certificates (docs/PROTOCOL.md §3): the compat file names from a folder or the
// embedded copy, unparsable ones skipped with a warning, expiry classes, and the chain served.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTestPki } from '../../harness/certs';
import {
  certificateHealth,
  describeCertificate,
  loadCertificate,
  readCertificateDirectory,
} from '../../src/crypto/certificates';
import { tlsOptionsFor } from '../../src/host/listener/host-listener';

describe('certificates', () => {
  const pki = makeTestPki({ leafDays: 90 });

  it('reads the compat file names from a directory, chain in order', () => {
    const files = readCertificateDirectory(pki.dir);
    assert.ok(files);
    assert.match(files.key, /PRIVATE KEY/);
    assert.equal(files.chain.length, 2);
    const loaded = describeCertificate(files, 'directory');
    assert.match(loaded.subjectAltName ?? '', /hw\.playentry\.org/);
    assert.ok(loaded.notAfter.getTime() > Date.now() + 80 * 86_400_000);
  });

  it('prefers the directory, falls back to the embedded copy, else none', () => {
    const warnings: string[] = [];
    const files = readCertificateDirectory(pki.dir);
    assert.equal(
      loadCertificate({ directory: pki.dir, embedded: files }, (w) => warnings.push(w))?.source,
      'directory',
    );
    const empty = mkdtempSync(join(tmpdir(), 'no-cert-'));
    assert.equal(
      loadCertificate({ directory: empty, embedded: files }, (w) => warnings.push(w))?.source,
      'embedded',
    );
    assert.equal(
      loadCertificate({ directory: empty }, (w) => warnings.push(w)),
      undefined,
    );
    assert.ok(warnings.some((w) => w.includes(empty)));
  });

  it('skips an unparsable certificate with a warning', () => {
    const broken = mkdtempSync(join(tmpdir(), 'broken-cert-'));
    writeFileSync(join(broken, 'hardware.key'), 'nope');
    writeFileSync(join(broken, 'cert.pem'), 'not a certificate');
    const warnings: string[] = [];
    assert.equal(
      loadCertificate({ directory: broken }, (w) => warnings.push(w)),
      undefined,
    );
    assert.match(warnings.join('\n'), /unusable/);
  });

  it('classifies expiry', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.equal(certificateHealth(new Date('2025-12-31T00:00:00Z'), now).state, 'expired');
    assert.equal(certificateHealth(new Date('2026-01-10T00:00:00Z'), now).state, 'expiring-soon');
    assert.equal(certificateHealth(new Date('2026-06-01T00:00:00Z'), now).state, 'valid');
  });

  it('serves the leaf with its intermediate, not the self-signed root', () => {
    const loaded = loadCertificate({ directory: pki.dir }, () => {});
    assert.ok(loaded);
    const cert = String(tlsOptionsFor(loaded).cert);
    assert.equal(cert.match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.ok(!cert.includes(pki.rootPem.trim().split('\n')[1] as string));
  });
});
