// Reads a Lambda artifact without unpacking it: the `bootstrap` entry of a zip (its unix mode and the start of
// its bytes) and the ELF header of that binary. The synth uses it to refuse a missing, broken or
// wrong-architecture build before CloudFormation ever sees it; the artifact test uses it on what was staged.
// Only what cargo-lambda writes is supported: no zip64, no multi-disk archives, methods stored and deflate.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as zlib from 'node:zlib';

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** Compressed bytes inflated to reach the ELF header: far more than the 64 bytes needed, far less than a binary. */
const HEAD_COMPRESSED = 64 * 1024;

export const BOOTSTRAP = 'bootstrap';

/** The CPU an ELF binary is for, as Lambda names it; `other` is neither of Lambda's two. */
export type Machine = 'x86_64' | 'arm64' | 'other';
const MACHINES: Record<number, Machine> = { 0x3e: 'x86_64', 0xb7: 'arm64' };

/** Something about an artifact that Lambda could not run; the message says what. */
export class ArtifactError extends Error {}

export interface ElfHeader {
  readonly machine: Machine;
  /** The raw e_machine, to name an `other` machine. */
  readonly eMachine: number;
}

export interface Bootstrap extends ElfHeader {
  /** The unix mode (`external attributes >>> 16`), file type bits included. */
  readonly mode: number;
}

/** Checks `head` (the first bytes of a file) is a 64-bit executable ELF and returns its machine. */
export function parseElfHeader(head: Buffer): ElfHeader {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) throw new ArtifactError('bootstrap is not an ELF binary');
  if (head[4] !== 2) throw new ArtifactError(`bootstrap is a ${head[4] === 1 ? '32' : 'unknown'}-bit ELF; Lambda runs 64-bit`);
  const little = head[5] === 1;
  const type = little ? head.readUInt16LE(16) : head.readUInt16BE(16);
  if (type !== 2 && type !== 3) throw new ArtifactError(`bootstrap is an ELF of type ${type}, not an executable (2 or 3)`);
  const eMachine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
  return { machine: MACHINES[eMachine] ?? 'other', eMachine };
}

/** Octal mode as `ls` would think of it, for messages. */
export function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Checks an inspected bootstrap is something Lambda can execute (else throws ArtifactError). */
function requireExecutable(mode: number): void {
  if ((mode & 0o111) === 0) throw new ArtifactError(`bootstrap is not executable (mode ${modeString(mode)})`);
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  return buf.subarray(0, readSync(fd, buf, 0, length, position));
}

/**
 * The `bootstrap` entry of zip `file`: its mode and ELF header. Throws ArtifactError when the file is not a
 * zip, lacks the entry, or the entry is not an executable 64-bit ELF. Reads only the directory and the
 * entry's first bytes, so checking dozens of large artifacts on every synth stays cheap.
 */
export function inspectBootstrapZip(file: string): Bootstrap {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailStart = Math.max(0, size - EOCD_SIZE - MAX_COMMENT);
    const tail = readAt(fd, tailStart, size - tailStart);
    // Searched from the end: the record is last, followed only by the archive comment.
    let eocd = tail.length - EOCD_SIZE;
    while (eocd >= 0 && tail.readUInt32LE(eocd) !== EOCD_SIG) eocd--;
    if (eocd < 0) throw new ArtifactError('not a zip file (no end of central directory record)');
    const count = tail.readUInt16LE(eocd + 10);
    const cd = readAt(fd, tail.readUInt32LE(eocd + 16), tail.readUInt32LE(eocd + 12));

    const names: string[] = [];
    for (let p = 0, i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) throw new ArtifactError('corrupt zip central directory');
      const nameLen = cd.readUInt16LE(p + 28);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      if (name === BOOTSTRAP) {
        const method = cd.readUInt16LE(p + 10);
        const compressedSize = cd.readUInt32LE(p + 20);
        const mode = cd.readUInt32LE(p + 38) >>> 16;
        const head = entryHead(fd, cd.readUInt32LE(p + 42), method, compressedSize);
        const elf = parseElfHeader(head);
        requireExecutable(mode);
        return { ...elf, mode };
      }
      names.push(name);
      p += 46 + nameLen + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32);
    }
    throw new ArtifactError(`the zip has no entry "${BOOTSTRAP}" (entries: ${names.join(', ') || 'none'})`);
  } finally {
    closeSync(fd);
  }
}

/** The first bytes of the entry whose local header is at `offset`, decompressed. */
function entryHead(fd: number, offset: number, method: number, compressedSize: number): Buffer {
  const local = readAt(fd, offset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL_SIG) throw new ArtifactError('corrupt zip local header');
  const dataStart = offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const data = readAt(fd, dataStart, Math.min(compressedSize, HEAD_COMPRESSED));
  if (method === 0) return data;
  // A prefix of a deflate stream: sync flush returns what it decodes instead of failing on the missing end.
  if (method === 8) return zlib.inflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  throw new ArtifactError(`bootstrap uses zip compression method ${method} (only 0 stored and 8 deflate are read)`);
}

/** A plain file `bootstrap` (a directory asset): its mode and ELF header, checked as in a zip. */
export function inspectBootstrapFile(file: string): Bootstrap {
  const fd = openSync(file, 'r');
  try {
    const elf = parseElfHeader(readAt(fd, 0, 64));
    const mode = fstatSync(fd).mode;
    requireExecutable(mode);
    return { ...elf, mode };
  } finally {
    closeSync(fd);
  }
}

/**
 * A zip holding one stored entry `name` with unix `mode`, byte-identical for identical input (fixed
 * 1980-01-01 timestamp), so an asset built from it keeps its hash from one synth to the next.
 */
export function storedZip(name: string, data: Buffer, mode: number): Buffer {
  const fileName = Buffer.from(name, 'utf8');
  const crc = zlib.crc32(data);
  const dosDate = (1 << 5) | 1; // 1980-01-01, the zip epoch
  const local = Buffer.alloc(30);
  local.writeUInt32LE(LOCAL_SIG, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(dosDate, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(CENTRAL_SIG, 0);
  central.writeUInt16LE((3 << 8) | 20, 4); // made by unix, so readers honour the mode
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(dosDate, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE((0o100000 | mode) * 0x10000, 38); // regular file + mode, in the high 16 bits
  const eocd = Buffer.alloc(EOCD_SIZE);
  eocd.writeUInt32LE(EOCD_SIG, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length + fileName.length, 12);
  eocd.writeUInt32LE(local.length + fileName.length + data.length, 16);
  return Buffer.concat([local, fileName, data, central, fileName, eocd]);
}
