// Removes the Authenticode signature the Node project put on node.exe. Injecting the SEA blob
// invalidates it anyway, and postject leaves the security directory pointing at bytes that are
// no longer a signature, which signing tools reject as corrupt. An unsigned runtime is injected
// instead, and the release pipeline signs the result (docs/BUILDING.md).
import { open } from 'node:fs/promises';

/**
 * Clears the PE security directory (data directory 4) and cuts the certificate table off the end
 * of the file. Returns the number of signature bytes removed (0 if the file was unsigned).
 *
 * @example
 * await removeAuthenticodeSignature('dist/bin/entry-hw-server-win-x64.exe.partial');
 */
export async function removeAuthenticodeSignature(path: string): Promise<number> {
  const file = await open(path, 'r+');
  try {
    const { size: fileSize } = await file.stat();
    const head = Buffer.alloc(4096);
    await file.read(head, 0, head.length, 0);
    if (head.toString('latin1', 0, 2) !== 'MZ') throw new Error(`${path}: not a PE file (no MZ)`);
    const pe = head.readUInt32LE(0x3c);
    if (pe + 160 > head.length || head.toString('latin1', pe, pe + 4) !== 'PE\0\0') {
      throw new Error(`${path}: not a PE file (no PE signature)`);
    }
    const optional = pe + 24;
    const magic = head.readUInt16LE(optional);
    if (magic !== 0x10b && magic !== 0x20b)
      throw new Error(`${path}: unknown optional header 0x${magic.toString(16)}`);
    const countAt = optional + (magic === 0x20b ? 108 : 92);
    if (head.readUInt32LE(countAt) < 5) return 0;
    const securityEntry = countAt + 4 + 4 * 8;
    // For the security directory the "address" is a file offset, not an RVA.
    const offset = head.readUInt32LE(securityEntry);
    const length = head.readUInt32LE(securityEntry + 4);
    if (length === 0) return 0;
    const cleared = Buffer.alloc(8);
    await file.write(cleared, 0, 8, securityEntry);
    // The image checksum covers the signature; signing tools recompute it.
    await file.write(Buffer.alloc(4), 0, 4, optional + 64);
    // The table is normally the last thing in the file (8-byte aligned); drop it.
    if (offset > 0 && offset + length <= fileSize && fileSize - (offset + length) < 8) {
      await file.truncate(offset);
    }
    return length;
  } finally {
    await file.close();
  }
}
