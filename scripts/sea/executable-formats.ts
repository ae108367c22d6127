// Minimal readers for the headers of the single executables: PE/COFF for Windows, 64-bit Mach-O
// for macOS, ELF notes for Linux. Just enough to check the machine type, the pointer width, and
// find the resource / segment / note that holds the SEA blob. Used by the build (its blob check,
// scripts/sea/sea-blob.ts) and by the tests of the built files.

export const PE_MACHINE = { x64: 0x8664, x86: 0x14c } as const;
export const MACHO_CPU_X86_64 = 0x01000007;
/** CPU_TYPE_ARM64 (CPU_TYPE_ARM | CPU_ARCH_ABI64). */
export const MACHO_CPU_ARM64 = 0x0100000c;
/** Big-endian magic of a code-signing SuperBlob (CSMAGIC_EMBEDDED_SIGNATURE). */
export const CS_SUPERBLOB_MAGIC = 0xfade0cc0;

export interface PeResource {
  type: number | string;
  name: number | string;
  language: number | string;
  /** File offset and length of the resource's bytes. */
  offset: number;
  size: number;
}

export interface PeInfo {
  machine: number;
  /** 0x10b (PE32) or 0x20b (PE32+). */
  optionalMagic: number;
  sections: string[];
  resources: PeResource[];
  /** Size of the Authenticode signature table (data directory 4); 0 when unsigned. */
  signatureSize: number;
}

function fail(message: string): never {
  throw new Error(`not a valid executable: ${message}`);
}

function cString(buf: Buffer, start: number, length: number): string {
  const raw = buf.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('latin1');
}

/**
 * Parses the PE headers, the section table and the whole resource tree.
 *
 * @example
 * const pe = parsePe(readFileSync('entry-hw-server-win-x64.exe'));
 * pe.machine === PE_MACHINE.x64
 */
export function parsePe(buf: Buffer): PeInfo {
  if (buf.length < 0x40 || buf.toString('latin1', 0, 2) !== 'MZ') fail('no MZ header');
  const pe = buf.readUInt32LE(0x3c);
  if (pe + 24 > buf.length || buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') fail('no PE signature');
  const coff = pe + 4;
  const machine = buf.readUInt16LE(coff);
  const sectionCount = buf.readUInt16LE(coff + 2);
  const optionalSize = buf.readUInt16LE(coff + 16);
  const optional = coff + 20;
  const optionalMagic = buf.readUInt16LE(optional);
  if (optionalMagic !== 0x10b && optionalMagic !== 0x20b)
    fail(`optional header magic 0x${optionalMagic.toString(16)}`);
  const directoryCountAt = optional + (optionalMagic === 0x20b ? 108 : 92);
  const directories = directoryCountAt + 4;
  const directoryCount = buf.readUInt32LE(directoryCountAt);
  const directory = (index: number): { rva: number; size: number } =>
    index < directoryCount
      ? {
          rva: buf.readUInt32LE(directories + index * 8),
          size: buf.readUInt32LE(directories + index * 8 + 4),
        }
      : { rva: 0, size: 0 };

  const sectionTable = optional + optionalSize;
  const sections: Array<{ name: string; va: number; vsize: number; raw: number; rawSize: number }> = [];
  for (let i = 0; i < sectionCount; i += 1) {
    const at = sectionTable + i * 40;
    sections.push({
      name: cString(buf, at, 8),
      vsize: buf.readUInt32LE(at + 8),
      va: buf.readUInt32LE(at + 12),
      rawSize: buf.readUInt32LE(at + 16),
      raw: buf.readUInt32LE(at + 20),
    });
  }
  const toOffset = (rva: number): number => {
    for (const s of sections) {
      if (rva >= s.va && rva < s.va + Math.max(s.vsize, s.rawSize)) return s.raw + (rva - s.va);
    }
    return fail(`RVA 0x${rva.toString(16)} is in no section`);
  };

  const resources: PeResource[] = [];
  const resourceDir = directory(2);
  if (resourceDir.rva !== 0) {
    const base = toOffset(resourceDir.rva);
    const entryKey = (nameField: number): number | string => {
      if ((nameField & 0x80000000) === 0) return nameField;
      const at = base + (nameField & 0x7fffffff);
      const length = buf.readUInt16LE(at);
      return buf.toString('utf16le', at + 2, at + 2 + length * 2);
    };
    const walk = (dirOffset: number, path: Array<number | string>, depth: number): void => {
      if (depth > 3) fail('resource tree too deep');
      const at = base + dirOffset;
      const count = buf.readUInt16LE(at + 12) + buf.readUInt16LE(at + 14);
      for (let i = 0; i < count; i += 1) {
        const entry = at + 16 + i * 8;
        const key = entryKey(buf.readUInt32LE(entry));
        const target = buf.readUInt32LE(entry + 4);
        if ((target & 0x80000000) !== 0) {
          walk(target & 0x7fffffff, [...path, key], depth + 1);
        } else {
          const data = base + target;
          const [type, name] = path;
          resources.push({
            type: type ?? -1,
            name: name ?? -1,
            language: key,
            offset: toOffset(buf.readUInt32LE(data)),
            size: buf.readUInt32LE(data + 4),
          });
        }
      }
    };
    walk(0, [], 1);
  }
  return {
    machine,
    optionalMagic,
    sections: sections.map((s) => s.name),
    resources,
    signatureSize: directory(4).size,
  };
}

export interface MachOSection {
  segment: string;
  section: string;
  offset: number;
  size: number;
}

export interface MachOSegment {
  name: string;
  fileOffset: number;
  fileSize: number;
}

export interface MachOInfo {
  cpuType: number;
  fileType: number;
  segments: string[];
  /** File range of each segment, in load-command order. */
  segmentRanges: MachOSegment[];
  sections: MachOSection[];
  /** Whether an LC_CODE_SIGNATURE load command is present. */
  hasCodeSignature: boolean;
}

/**
 * Parses a thin 64-bit little-endian Mach-O file's load commands.
 *
 * @example
 * const macho = parseMachO(readFileSync('entry-hw-server-darwin-x64'));
 * macho.sections.find((s) => s.segment === 'NODE_SEA')
 */
export function parseMachO(buf: Buffer): MachOInfo {
  if (buf.length < 32) fail('too short for Mach-O');
  const magic = buf.readUInt32LE(0);
  if (magic !== 0xfeedfacf) fail(`Mach-O magic 0x${magic.toString(16)} (expected thin 64-bit 0xfeedfacf)`);
  const cpuType = buf.readUInt32LE(4);
  const fileType = buf.readUInt32LE(12);
  const commandCount = buf.readUInt32LE(16);
  const segments: string[] = [];
  const segmentRanges: MachOSegment[] = [];
  const sections: MachOSection[] = [];
  let hasCodeSignature = false;
  let at = 32;
  for (let i = 0; i < commandCount; i += 1) {
    const cmd = buf.readUInt32LE(at);
    const size = buf.readUInt32LE(at + 4);
    if (size < 8 || at + size > buf.length) fail('load command out of range');
    if (cmd === 0x19) {
      // LC_SEGMENT_64
      segments.push(cString(buf, at + 8, 16));
      segmentRanges.push({
        name: cString(buf, at + 8, 16),
        fileOffset: Number(buf.readBigUInt64LE(at + 40)),
        fileSize: Number(buf.readBigUInt64LE(at + 48)),
      });
      const sectionCount = buf.readUInt32LE(at + 64);
      for (let s = 0; s < sectionCount; s += 1) {
        const sec = at + 72 + s * 80;
        sections.push({
          section: cString(buf, sec, 16),
          segment: cString(buf, sec + 16, 16),
          size: Number(buf.readBigUInt64LE(sec + 40)),
          offset: buf.readUInt32LE(sec + 48),
        });
      }
    } else if (cmd === 0x1d) {
      hasCodeSignature = true;
    }
    at += size;
  }
  return { cpuType, fileType, segments, segmentRanges, sections, hasCodeSignature };
}

export interface ElfNote {
  name: string;
  type: number;
  offset: number;
  size: number;
}

/**
 * Lists the notes in a 64-bit little-endian ELF file's PT_NOTE segments (postject stores the SEA
 * blob in a note named NODE_SEA_BLOB).
 *
 * @example
 * parseElfNotes(readFileSync('entry-hw-server-linux-x64')).find((n) => n.name === 'NODE_SEA_BLOB')
 */
export function parseElfNotes(buf: Buffer): ElfNote[] {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) fail('no ELF magic');
  if (buf[4] !== 2 || buf[5] !== 1) fail('not a 64-bit little-endian ELF file');
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  const align4 = (n: number): number => (n + 3) & ~3;
  const notes: ElfNote[] = [];
  for (let i = 0; i < phnum; i += 1) {
    const ph = phoff + i * phentsize;
    if (buf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    const start = Number(buf.readBigUInt64LE(ph + 8));
    const end = start + Number(buf.readBigUInt64LE(ph + 32));
    let at = start;
    while (at + 12 <= end) {
      const nameSize = buf.readUInt32LE(at);
      const descSize = buf.readUInt32LE(at + 4);
      const type = buf.readUInt32LE(at + 8);
      const name = cString(buf, at + 12, nameSize);
      const desc = at + 12 + align4(nameSize);
      notes.push({ name, type, offset: desc, size: descSize });
      at = desc + align4(descSize);
    }
  }
  return notes;
}

/**
 * The pointer width (so the width of `size_t`) of the program in an executable's headers: 4 for
 * PE32, 32-bit ELF and 32-bit Mach-O, 8 for PE32+, 64-bit ELF and 64-bit Mach-O. The first
 * 4 KiB of the file are enough.
 *
 * @example
 * executablePointerBytes(readFileSync('node.exe')) === 4 // node-win-x86
 */
export function executablePointerBytes(buf: Buffer): 4 | 8 {
  if (buf.length >= 0x40 && buf.toString('latin1', 0, 2) === 'MZ') {
    const pe = buf.readUInt32LE(0x3c);
    if (pe + 26 > buf.length || buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') fail('no PE signature');
    const magic = buf.readUInt16LE(pe + 24);
    if (magic === 0x10b) return 4;
    if (magic === 0x20b) return 8;
    fail(`optional header magic 0x${magic.toString(16)}`);
  }
  if (buf.length >= 5 && buf.readUInt32BE(0) === 0x7f454c46) {
    if (buf[4] === 1) return 4;
    if (buf[4] === 2) return 8;
    fail(`ELF class ${buf[4]}`);
  }
  if (buf.length >= 4) {
    const magic = buf.readUInt32LE(0);
    if (magic === 0xfeedface) return 4;
    if (magic === 0xfeedfacf) return 8;
  }
  return fail('neither PE, ELF nor Mach-O');
}

/**
 * File range of the SEA blob inside a built executable, wherever its format keeps it: the
 * NODE_SEA_BLOB note (ELF), the RT_RCDATA resource NODE_SEA_BLOB (PE), or the
 * NODE_SEA,__NODE_SEA_BLOB section (Mach-O).
 *
 * @example
 * const { offset, size } = seaBlobRange(bytes);
 * const blob = bytes.subarray(offset, offset + size);
 */
export function seaBlobRange(buf: Buffer): { offset: number; size: number } {
  let found: { offset: number; size: number } | undefined;
  if (buf.toString('latin1', 0, 2) === 'MZ') {
    found = parsePe(buf).resources.find((r) => r.type === 10 && r.name === 'NODE_SEA_BLOB');
  } else if (buf.readUInt32BE(0) === 0x7f454c46) {
    found = parseElfNotes(buf).find((n) => n.name === 'NODE_SEA_BLOB');
  } else {
    found = parseMachO(buf).sections.find((s) => s.segment === 'NODE_SEA' && s.section === '__NODE_SEA_BLOB');
  }
  if (!found) return fail('no SEA blob (NODE_SEA_BLOB) inside');
  return { offset: found.offset, size: found.size };
}
