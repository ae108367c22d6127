// The single-executable build's input checks and the sealed-secrets format, without building
// anything: what the build refuses (certificates, passphrase, Node options), what it warns about,
// and that sealing round-trips without leaving the key or the plaintext in the sealed bytes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTestPki, type TestPki } from '../../harness/certs';
import { REPO_ROOT } from '../../harness/server-process';
import { BuildInputError, checkCertificateDirectory, readPassphrase } from '../../scripts/sea/inputs';
import { SEA_ASSETS, sealSecrets, unsealSecrets } from '../../src/embedded/sealed-secrets';

const scratch = mkdtempSync(join(tmpdir(), 'entry-hw-sea-inputs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of `pki`'s directory with `name` replaced by the same file from `other`. */
function mixed(pki: TestPki, other: TestPki, name: string): string {
  const dir = mkdtempSync(join(scratch, 'mixed-'));
  for (const file of ['hardware.key', 'cert.pem', 'ChainCA1.crt', 'RootCA.crt']) {
    copyFileSync(join(file === name ? other.dir : pki.dir, file), join(dir, file));
  }
  return dir;
}

/**
 * Runs the build command for linux-x64 with a placeholder main and `certDir`, in its own output
 * directory under the scratch dir; says whether it wrote the executable.
 */
function buildLinuxTarget(name: string, certDir: string, extraArgs: string[] = []) {
  const out = join(scratch, `${name}-out`);
  const main = join(scratch, `${name}-main.cjs`);
  writeFileSync(main, 'console.log("never built")\n');
  // The bundle's package list (scripts/bundle.mjs writes it beside dist/main.cjs): none here.
  writeFileSync(join(scratch, 'third-party-packages.json'), '[]\n');
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'scripts/sea/build.ts'),
      '--targets',
      'linux-x64',
      '--out',
      out,
      '--main',
      main,
      ...extraArgs,
    ],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, ENTRY_HW_CERT_DIR: certDir, ENTRY_HW_SECRET: 'x' },
    },
  );
  return { result, built: existsSync(join(out, 'entry-hw-server-linux-x64')) };
}

describe('build input checks: certificates', () => {
  let good: TestPki;
  let other: TestPki;
  before(() => {
    good = makeTestPki({ leafDays: 90, baseDir: scratch });
    other = makeTestPki({ leafDays: 90, baseDir: scratch });
  });

  it('accepts a valid chain without warnings', () => {
    const checked = checkCertificateDirectory(good.dir);
    assert.deepEqual(checked.warnings, []);
    assert.equal(checked.files.chain.length, 2);
    assert.equal(checked.files.chain[0], readFileSync(join(good.dir, 'ChainCA1.crt'), 'utf8'));
    assert.equal(checked.files.chain[1], readFileSync(join(good.dir, 'RootCA.crt'), 'utf8'));
    assert.ok(checked.daysLeft >= 58, `the test root lives 60 days, got ${checked.daysLeft}`);
  });

  it('refuses an expired leaf', () => {
    const expired = makeTestPki({ leafDays: -1, baseDir: scratch });
    assert.throws(
      () => checkCertificateDirectory(expired.dir),
      (error: Error) => {
        assert.ok(error instanceof BuildInputError);
        assert.match(error.message, /cert\.pem expired/);
        return true;
      },
    );
  });

  it('refuses a key that does not belong to the certificate', () => {
    assert.throws(
      () => checkCertificateDirectory(mixed(good, other, 'hardware.key')),
      /does not belong to cert\.pem/,
    );
  });

  it('refuses a leaf not issued by ChainCA1', () => {
    assert.throws(
      () => checkCertificateDirectory(mixed(good, other, 'ChainCA1.crt')),
      /cert\.pem .*ChainCA1\.crt/,
    );
  });

  it('refuses an intermediate not issued by RootCA', () => {
    assert.throws(
      () => checkCertificateDirectory(mixed(good, other, 'RootCA.crt')),
      /ChainCA1\.crt .*RootCA\.crt/,
    );
  });

  it('refuses a forged signature even when the names match', () => {
    // Same subject/issuer names and key identifiers are impossible to fake with openssl here, so
    // flip one byte inside the leaf's signature instead: the chain must not verify any more.
    const dir = mixed(good, good, '');
    const pem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const der = Buffer.from(body, 'base64');
    der[der.length - 3] = (der[der.length - 3] as number) ^ 0x01;
    const forged = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(dir, 'cert.pem'), forged);
    assert.throws(
      () => checkCertificateDirectory(dir),
      /signature does not verify|does not belong|not a PEM/,
    );
  });

  it('refuses a directory with a missing file', () => {
    const dir = mixed(good, good, '');
    rmSync(join(dir, 'RootCA.crt'));
    assert.throws(() => checkCertificateDirectory(dir), /RootCA\.crt is missing/);
  });

  it('warns, but builds, when fewer than 30 days remain', () => {
    const soon = makeTestPki({ leafDays: 10, baseDir: scratch });
    const checked = checkCertificateDirectory(soon.dir);
    assert.equal(checked.warnings.length, 1);
    assert.match(checked.warnings[0] as string, /expires in 9 day/);
  });

  it('warns when the leaf does not cover hw.playentry.org', () => {
    const elsewhere = makeTestPki({ leafDays: 90, dnsNames: ['example.test'], baseDir: scratch });
    const checked = checkCertificateDirectory(elsewhere.dir);
    assert.ok(
      checked.warnings.some((w) => /does not cover hw\.playentry\.org/.test(w)),
      checked.warnings.join('; '),
    );
  });

  it('the build command refuses an expired certificate with exit code 2 and builds nothing', () => {
    const expired = makeTestPki({ leafDays: -1, baseDir: scratch });
    const { result, built } = buildLinuxTarget('expired', expired.dir);
    assert.equal(result.status, 2, result.stderr + result.stdout);
    assert.match(result.stderr, /refused: cert\.pem expired/);
    assert.equal(built, false);
  });
});

describe('build input checks: Node options', () => {
  it("refuses Node options the target's Node version does not know, with exit code 2, before building", () => {
    const pki = makeTestPki({ baseDir: scratch });
    const { result, built } = buildLinuxTarget('bad-option', pki.dir, [
      '--exec-argv',
      '--single-threaded --no-such-node-option',
    ]);
    assert.equal(result.status, 2, result.stderr + result.stdout);
    assert.match(result.stderr, /refused: linux-x64 \(Node 26\.\d+\.\d+\) does not accept the execArgv/);
    assert.match(result.stderr, /bad option: --no-such-node-option/);
    assert.equal(built, false);
  });
});

describe('build input checks: passphrase', () => {
  it('ENTRY_HW_SECRET wins over ENTRY_HW_SECRET_FILE', () => {
    const file = join(scratch, 'secret-a');
    writeFileSync(file, 'from file\n');
    assert.deepEqual(readPassphrase({ ENTRY_HW_SECRET: 'from env', ENTRY_HW_SECRET_FILE: file }), {
      passphrase: 'from env',
      source: 'ENTRY_HW_SECRET',
    });
  });

  it('reads ENTRY_HW_SECRET_FILE and drops one trailing newline only', () => {
    const file = join(scratch, 'secret-b');
    writeFileSync(file, ' spaced secret \r\n');
    assert.equal(readPassphrase({ ENTRY_HW_SECRET_FILE: file }).passphrase, ' spaced secret ');
  });

  it('refuses a missing or empty secret file', () => {
    assert.throws(() => readPassphrase({ ENTRY_HW_SECRET_FILE: join(scratch, 'absent') }), /does not exist/);
    const empty = join(scratch, 'secret-empty');
    writeFileSync(empty, '\n');
    assert.throws(() => readPassphrase({ ENTRY_HW_SECRET_FILE: empty }), /is empty/);
  });

  it('reports no passphrase when neither is set (the build then warns and uses the dev one)', () => {
    assert.deepEqual(readPassphrase({}), { passphrase: undefined, source: 'none' });
  });
});

describe('sealed secrets', () => {
  let pki: TestPki;
  before(() => {
    pki = makeTestPki({ leafDays: 90, baseDir: scratch });
  });

  it('round-trips certificates and passphrase', () => {
    const payload = {
      passphrase: `pass-${randomBytes(8).toString('hex')}`,
      certificates: checkCertificateDirectory(pki.dir).files,
    };
    const sealed = sealSecrets(payload);
    assert.deepEqual(unsealSecrets(sealed.secrets, sealed.keyA, sealed.keyB), payload);
  });

  it('leaves neither the plaintext nor the AES key in the sealed assets', () => {
    const passphrase = `pass-${randomBytes(8).toString('hex')}`;
    const keyPem = readFileSync(join(pki.dir, 'hardware.key'), 'utf8');
    const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
    const sealed = sealSecrets({ passphrase, certificates: checkCertificateDirectory(pki.dir).files });
    const all = Buffer.concat([sealed.secrets, sealed.keyA, sealed.keyB]);
    assert.equal(all.indexOf(passphrase), -1);
    assert.equal(all.indexOf('PRIVATE KEY'), -1);
    assert.equal(all.indexOf(der), -1);
    // Neither share alone is the key: decrypting with a share in the other's place fails.
    assert.throws(() => unsealSecrets(sealed.secrets, sealed.keyA, sealed.keyA), /authentication failed/);
    assert.throws(() => unsealSecrets(sealed.secrets, sealed.keyB, sealed.keyB), /authentication failed/);
  });

  it('uses a fresh key per seal', () => {
    const a = sealSecrets({ passphrase: 'same' });
    const b = sealSecrets({ passphrase: 'same' });
    assert.notDeepEqual(a.secrets, b.secrets);
    assert.notDeepEqual(a.keyA, b.keyA);
    assert.throws(() => unsealSecrets(a.secrets, b.keyA, b.keyB), /authentication failed/);
  });

  it('rejects a tampered asset', () => {
    const sealed = sealSecrets({ passphrase: 'p' });
    const tampered = Buffer.from(sealed.secrets);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 0xff;
    assert.throws(() => unsealSecrets(tampered, sealed.keyA, sealed.keyB), /authentication failed/);
    assert.throws(
      () => unsealSecrets(Buffer.from('nonsense'), sealed.keyA, sealed.keyB),
      /not a sealed secrets asset/,
    );
  });

  it('names its assets under entry-hw/', () => {
    for (const name of Object.values(SEA_ASSETS)) assert.match(name, /^entry-hw\//);
  });
});
