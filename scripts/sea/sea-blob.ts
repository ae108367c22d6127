// Reads a Node SEA preparation blob the way the runtime reads it, to check that the runtime can.
// After a short header the blob is a series of lengths and length-prefixed strings (the script's
// path, the script, the code cache, the assets, the Node options), and every length is written as
// the size_t of the Node that MADE the blob: 8 bytes from a 64-bit Node, 4 from a 32-bit one. The
// runtime reads them as its own size_t, so a 32-bit runtime given a 64-bit Node's blob reads wrong
// lengths and crashes before the program starts (the win-x86 executable did, under
// Wine). The build refuses such a blob (checkSeaBlobWidth); the tests read every built blob.
import { BuildInputError } from './inputs';

/** First bytes of a SEA blob (kMagic in Node's src/node_sea.h, little endian). */
export const SEA_BLOB_MAGIC = 0x0143da20;

/** Flag bits of a SEA blob header (SeaFlags in node_sea.h). */
export const SEA_FLAGS = {
  disableExperimentalWarning: 1 << 0,
  useSnapshot: 1 << 1,
  useCodeCache: 1 << 2,
  includeAssets: 1 << 3,
  includeExecArgv: 1 << 4,
} as const;

/** The byte after the flags: how Node options may extend the blob's execArgv (execArgvExtension). */
export const EXEC_ARGV_EXTENSION = { none: 0, env: 1, cli: 2 } as const;

/** Reads the magic and flags at `offset` (the start of a SEA blob in a file); throws if it is not one. */
export function seaBlobFlags(buf: Buffer, offset: number): number {
  const magic = buf.readUInt32LE(offset);
  if (magic !== SEA_BLOB_MAGIC) throw new Error(`not a SEA blob: magic 0x${magic.toString(16)} at ${offset}`);
  return buf.readUInt32LE(offset + 4);
}

/**
 * Reads a SEA blob's execArgvExtension byte (the ninth byte of the header in Node 22.23.2 and 26).
 *
 * @example
 * seaBlobExecArgvExtension(bytes, note.offset) === EXEC_ARGV_EXTENSION.none
 */
export function seaBlobExecArgvExtension(buf: Buffer, offset: number): number {
  seaBlobFlags(buf, offset);
  return buf.readUInt8(offset + 8);
}

/**
 * Size of the fixed header before the first length, per Node major version, as read from blobs
 * of the pinned runtimes: magic (4), flags (4), execArgvExtension (1); Node 26 adds one more
 * byte. A Node line not listed here is refused until a blob of it has been looked at.
 */
export const SEA_HEADER_BYTES: Readonly<Record<number, number>> = { 22: 9, 26: 10 };

export type LengthWidth = 4 | 8;

export interface SeaBlobLayout {
  /** Bytes per length field: the size_t of the Node that made the blob. */
  width: LengthWidth;
  flags: number;
  /** The main script's path as the blob builder saw it. */
  codePath: string;
  mainSize: number;
  /** Size of the V8 code cache, when the blob has one. */
  codeCacheSize: number | undefined;
  /** Asset names, in blob order. */
  assets: string[];
  /** The Node options the executable starts with. */
  execArgv: string[];
}

/** The header size for a Node version such as '22.23.2'; throws for a line not in the table. */
export function seaHeaderBytes(nodeVersion: string): number {
  const major = Number.parseInt(nodeVersion.replace(/^v/, ''), 10);
  const size = SEA_HEADER_BYTES[major];
  if (size === undefined) {
    throw new Error(
      `no known SEA blob header for Node ${nodeVersion} (known: Node ${Object.keys(SEA_HEADER_BYTES).join(', ')}); ` +
        'read a blob of that version and add it to SEA_HEADER_BYTES',
    );
  }
  return size;
}

class LayoutProblem extends Error {}

/** Walks the whole blob with one length width; throws LayoutProblem where it stops making sense. */
function walk(blob: Buffer, headerBytes: number, width: LengthWidth): SeaBlobLayout {
  const flags = blob.readUInt32LE(4);
  let at = headerBytes;
  const length = (what: string): number => {
    if (at + width > blob.length) throw new LayoutProblem(`${what}: length field runs past the end`);
    const value = width === 4 ? blob.readUInt32LE(at) : Number(blob.readBigUInt64LE(at));
    at += width;
    if (!Number.isSafeInteger(value) || value > blob.length - at) {
      throw new LayoutProblem(`${what}: length ${value} at offset ${at - width} is past the end`);
    }
    return value;
  };
  const bytes = (what: string): Buffer => {
    const size = length(what);
    const out = blob.subarray(at, at + size);
    at += size;
    return out;
  };
  const codePath = bytes('code path').toString('utf8');
  const mainSize = bytes('main script').length;
  const codeCacheSize = flags & SEA_FLAGS.useCodeCache ? bytes('code cache').length : undefined;
  const assets: string[] = [];
  if (flags & SEA_FLAGS.includeAssets) {
    const count = length('asset count');
    for (let i = 0; i < count; i += 1) {
      assets.push(bytes(`asset ${i} name`).toString('utf8'));
      bytes(`asset ${i} content`);
    }
  }
  const execArgv: string[] = [];
  if (flags & SEA_FLAGS.includeExecArgv) {
    const count = length('execArgv count');
    for (let i = 0; i < count; i += 1) execArgv.push(bytes(`execArgv ${i}`).toString('utf8'));
  }
  if (at !== blob.length) throw new LayoutProblem(`${blob.length - at} bytes left over after the last field`);
  return { width, flags, codePath, mainSize, codeCacheSize, assets, execArgv };
}

/**
 * Reads a SEA blob made by Node `nodeVersion` and finds its length width: the blob is walked with
 * 4-byte and with 8-byte lengths, and exactly one of them must account for every byte.
 *
 * @example
 * readSeaBlob(readFileSync('sea.blob'), '22.23.2').width // 4 from a 32-bit node.exe
 */
export function readSeaBlob(blob: Buffer, nodeVersion: string): SeaBlobLayout {
  const headerBytes = seaHeaderBytes(nodeVersion);
  if (blob.length < headerBytes) throw new Error('not a SEA blob (too short)');
  seaBlobFlags(blob, 0);
  const fits: SeaBlobLayout[] = [];
  const problems: string[] = [];
  for (const width of [4, 8] as const) {
    try {
      fits.push(walk(blob, headerBytes, width));
    } catch (error) {
      if (!(error instanceof LayoutProblem)) throw error;
      problems.push(`${width}-byte lengths: ${error.message}`);
    }
  }
  if (fits.length === 1) return fits[0] as SeaBlobLayout;
  if (fits.length === 0)
    throw new Error(`not a Node ${nodeVersion} SEA blob of either width (${problems.join('; ')})`);
  throw new Error('the SEA blob reads the same with 4-byte and 8-byte lengths; its width is unknown');
}

/**
 * Refuses a blob whose length width is not the runtime's pointer width, or that does not read as a
 * blob of the runtime's Node version at all. Throws a BuildInputError (the build exits 2).
 *
 * @example
 * checkSeaBlobWidth(blob, { nodeVersion: '22.23.2', pointerBytes: 4, label: 'win-x86' });
 */
export function checkSeaBlobWidth(
  blob: Buffer,
  target: { nodeVersion: string; pointerBytes: 4 | 8; label: string },
): SeaBlobLayout {
  let layout: SeaBlobLayout;
  try {
    layout = readSeaBlob(blob, target.nodeVersion);
  } catch (error) {
    throw new BuildInputError(`${target.label}: unreadable SEA blob: ${(error as Error).message}`);
  }
  if (layout.width !== target.pointerBytes) {
    const bits = target.pointerBytes * 8;
    throw new BuildInputError(
      `${target.label}: the SEA blob writes its lengths in ${layout.width} bytes, but the runtime is ` +
        `${bits}-bit and reads ${target.pointerBytes}: it would crash at start. Its blob must be made ` +
        `by a ${bits}-bit Node ${target.nodeVersion} (blobBuilder in scripts/sea/runtimes.json).`,
    );
  }
  return layout;
}
