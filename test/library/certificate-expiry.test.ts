// A server left running is told when its certificate crosses into the warning window, once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestPki } from '../../harness/certs';
import { freePort } from '../../harness/server-process';
import { EXPIRY_WARNING_DAYS, loadCertificate } from '../../src/crypto/certificates';
import type { ServerErrorInfo } from '../../src/ipc/messages';
import { EntryServer } from '../../src/server/entry-server';
import { createLogger } from '../../src/util/log';

test('a running server reports CERT_EXPIRING_SOON when the certificate enters the last 30 days', async (t) => {
  // Valid for the warning window plus a few seconds: fine at open, "expiring soon" moments later.
  const pki = makeTestPki({ leafDays: EXPIRY_WARNING_DAYS + 4 / 86_400 });
  const certificate = loadCertificate({ directory: pki.dir }, () => {});
  assert.ok(certificate);
  const errors: ServerErrorInfo[] = [];
  const server = new EntryServer({
    port: await freePort(),
    certificate,
    certificateCheckMs: 200,
    logger: createLogger({ silent: true }),
  });
  server.on('error', (info) => errors.push(info));
  t.after(() => server.close());
  await server.open();
  assert.equal(errors.length, 0, 'nothing to report at open');
  assert.equal(server.status().tls.enabled, true);

  const deadline = Date.now() + 10_000;
  while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(errors[0]?.code, 'CERT_EXPIRING_SOON');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(errors.length, 1, 'reported once, not on every check');
});
