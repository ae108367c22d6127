// The core executable scenarios (scenarios.ts) with this machine's Node as the parent app. By
// default against the bundle (`node dist/main.cjs`); with ENTRY_HW_TEST_BIN against that
// executable: the sea suite runs this file against the Linux executable, and a native runner
// (Windows, macOS) runs it against its own with
//   ENTRY_HW_TEST_BIN=dist/bin/entry-hw-server-win-x64.exe node scripts/test.mjs test/executable
// The instances get a test certificate and passphrase through ENTRY_HW_CERT_DIR / ENTRY_HW_SECRET,
// which override what an executable embeds.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { makeTestPki, type TestPki } from '../../harness/certs';
import { REPO_ROOT } from '../../harness/server-process';
import type { ParentRunner } from './relayed-parent';
import { describeExecutableScenarios, type ScenarioSetup } from './scenarios';

const bin = process.env.ENTRY_HW_TEST_BIN;
const scratch = mkdtempSync(join(tmpdir(), 'entry-hw-native-scenarios-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** This Node runs the parent relay, with paths as they are. */
const nativeRunner: ParentRunner = {
  label: `node ${process.version} (${process.platform}-${process.arch})`,
  command: (script) => ({ command: process.execPath, args: [script] }),
  path: (path) => path,
  env: (base) => {
    const env = { ...base };
    delete env.NODE_OPTIONS;
    delete env.NODE_TEST_CONTEXT;
    return env;
  },
};

let pki: TestPki;
const passphrase = `native-${randomBytes(9).toString('base64url')}`;
before(() => {
  pki = makeTestPki({ leafDays: 90, baseDir: scratch });
});

const setup = (): ScenarioSetup => ({
  runner: nativeRunner,
  program: bin
    ? { command: bin, args: [] }
    : { command: process.execPath, args: [join(REPO_ROOT, 'dist', 'main.cjs')] },
  passphrase,
  tlsRootPem: pki.rootPem,
  env: { ENTRY_HW_CERT_DIR: pki.dir, ENTRY_HW_SECRET: passphrase, ENTRY_HW_SECRET_FILE: undefined },
  logDir: join(REPO_ROOT, 'test-output', 'executable'),
});

describeExecutableScenarios(
  `${bin ? `executable ${bin}` : 'the bundle'}, parent: ${nativeRunner.label}`,
  setup,
);
