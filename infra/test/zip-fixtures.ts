// Fake Lambda artifacts for the tests: ELF headers and a small zip writer. The writer is independent of
// lib/lambda-artifact.ts's own (which only writes the placeholder) and adds what real archivers add (extra
// fields, several entries, deflate, an archive comment), so the reader is tested on more than its own output.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { scratchDir } from './helpers';

export const X86_64 = 0x3e;
export const AARCH64 = 0xb7;

/** The 64 bytes of an ELF header: 64-bit little-endian by default, type 2 (EXEC), machine `eMachine`. */
export function elfHeader(eMachine: number, opts: { elfClass?: number; type?: number } = {}): Buffer {
  const h = Buffer.alloc(64);
  h.writeUInt32BE(0x7f454c46, 0);
  h[4] = opts.elfClass ?? 2;
  h[5] = 1; // little-endian
  h[6] = 1; // ELF version
  h.writeUInt16LE(opts.type ?? 2, 16);
  h.writeUInt16LE(eMachine, 18);
  return h;
}

/** A fake binary: an ELF header followed by filler, long enough that deflate has real work to do. */
export function fakeBinary(eMachine: number): Buffer {
  return Buffer.concat([elfHeader(eMachine), Buffer.alloc(4096, 'forgeflow')]);
}

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
  /** Unix permission bits (default 0o755). */
  readonly mode?: number;
  readonly deflate?: boolean;
}

/** A zip archive of `entries`, made "on unix" so the modes are meaningful. */
export function zipOf(entries: readonly ZipEntry[], comment = ''): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = e.deflate ? zlib.deflateRawSync(e.data) : e.data;
    const extra = Buffer.from([0xfe, 0xca, 0x00, 0x00]); // an empty extra field, as jar tools write
    const common = Buffer.alloc(26);
    common.writeUInt16LE(20, 0); // version needed
    common.writeUInt16LE(e.deflate ? 8 : 0, 4);
    common.writeUInt32LE(zlib.crc32(e.data), 10);
    common.writeUInt32LE(body.length, 14);
    common.writeUInt32LE(e.data.length, 18);
    common.writeUInt16LE(name.length, 22);
    common.writeUInt16LE(extra.length, 24); // the local header's only: the central entry has no extra field
    const local = Buffer.alloc(4);
    local.writeUInt32LE(0x04034b50, 0);
    locals.push(local, common, name, extra, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 30, 4);
    common.copy(central, 6, 0, 24); // version needed … name length share the local header's layout
    central.writeUInt32LE((0o100000 | (e.mode ?? 0o755)) * 0x10000, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + common.length + name.length + extra.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  eocd.writeUInt16LE(Buffer.byteLength(comment), 20);
  return Buffer.concat([...locals, cd, eocd, Buffer.from(comment)]);
}

/** `zip` written to a fresh scratch file, for the reader (which reads files). */
export function zipFile(zip: Buffer): string {
  const file = path.join(scratchDir('zip'), 'bootstrap.zip');
  writeFileSync(file, zip);
  return file;
}

/**
 * A FORGEFLOW_LAMBDA_DIR with `<function>/bootstrap.zip` for each of `names`: `zipFor(name)` gives the
 * archive, or undefined to leave that function unbuilt.
 */
export function fakeLambdaDir(names: readonly string[], zipFor: (name: string) => Buffer | undefined): string {
  const root = scratchDir('lambda');
  for (const name of names) {
    const zip = zipFor(name);
    if (zip === undefined) continue;
    mkdirSync(path.join(root, name));
    writeFileSync(path.join(root, name, 'bootstrap.zip'), zip);
  }
  return root;
}
