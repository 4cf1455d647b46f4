/**
 * Deterministic POSIX ustar writer and a strict reader, for WebDataset shards
 * (consecutive entries share a key: `KEY.png`, `KEY.json`).
 *
 * Every header is the same function of (name, size): mtime 0, uid/gid 0, empty
 * uname/gname, mode 0644, type '0' (regular file), devmajor/devminor 0. So the
 * same entries in the same order give the same bytes, whoever writes them and
 * whenever. The archive ends with two 512-byte zero blocks and is not padded
 * to a 10 KiB record (GNU and BSD tar read it without complaint).
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

export const BLOCK = 512;
/** Largest size an 11-digit octal field can state: 8 GiB − 1. */
export const MAX_ENTRY_BYTES = 0o77777777777;
const NAME_MAX_BYTES = 100;

export class TarError extends Error {
  override readonly name = 'TarError';
}

/** Refuse names that are not plain relative file paths that fit the 100-byte name field. */
export function checkEntryName(name: string): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) throw new TarError('tar entry name is empty');
  if (bytes > NAME_MAX_BYTES) {
    throw new TarError(`tar entry name is ${bytes} bytes, more than the ustar limit of ${NAME_MAX_BYTES}: ${JSON.stringify(name)}`);
  }
  if (name.includes('\0')) throw new TarError(`tar entry name contains a NUL byte: ${JSON.stringify(name)}`);
  if (name.startsWith('/')) throw new TarError(`tar entry name is absolute: ${JSON.stringify(name)}`);
  if (name.endsWith('/')) throw new TarError(`tar entry name ends with '/' (a directory): ${JSON.stringify(name)}`);
  if (name.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new TarError(`tar entry name has an empty, '.' or '..' component: ${JSON.stringify(name)}`);
  }
}

/** Octal digits, zero-padded to width − 1, then NUL. */
function octal(value: number, width: number): string {
  const s = value.toString(8);
  if (s.length > width - 1) throw new TarError(`value ${value} does not fit a ${width}-byte octal field`);
  return s.padStart(width - 1, '0') + '\0';
}

/** The 512-byte ustar header of a regular file. */
export function ustarHeader(name: string, size: number): Buffer {
  checkEntryName(name);
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ENTRY_BYTES) {
    throw new TarError(`tar entry ${JSON.stringify(name)} has size ${size}, outside 0..${MAX_ENTRY_BYTES}`);
  }
  const h = Buffer.alloc(BLOCK); // unused fields (linkname, uname, gname, prefix) stay NUL
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'latin1'); // mode
  h.write(octal(0, 8), 108, 'latin1'); // uid
  h.write(octal(0, 8), 116, 'latin1'); // gid
  h.write(octal(size, 12), 124, 'latin1'); // size
  h.write(octal(0, 12), 136, 'latin1'); // mtime
  h.write('        ', 148, 'latin1'); // checksum: spaces while summing
  h.write('0', 156, 'latin1'); // typeflag: regular file
  h.write('ustar\0', 257, 'latin1'); // magic
  h.write('00', 263, 'latin1'); // version
  h.write(octal(0, 8), 329, 'latin1'); // devmajor
  h.write(octal(0, 8), 337, 'latin1'); // devminor
  h.write(octal(headerSum(h), 7) + ' ', 148, 'latin1'); // "%06o\0 " as GNU tar writes it
  return h;
}

function headerSum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

const ZEROS = Buffer.alloc(2 * BLOCK);

/**
 * Streaming writer: each `add` writes its header, data and padding at once.
 * Given a path, it creates (truncates) the file and closes it in `close()`;
 * given a file descriptor, it writes from the current position and leaves the
 * descriptor open for the caller.
 */
export class TarWriter {
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private closed = false;
  /** Bytes written so far. */
  bytesWritten = 0;
  /** Entries written so far. */
  entries = 0;

  constructor(target: number | string) {
    if (typeof target === 'number') {
      this.fd = target;
      this.ownsFd = false;
    } else {
      this.fd = openSync(target, 'w', 0o644);
      this.ownsFd = true;
    }
  }

  add(name: string, data: Buffer): void {
    if (this.closed) throw new TarError(`cannot add ${JSON.stringify(name)}: the tar writer is closed`);
    const header = ustarHeader(name, data.length);
    writeAll(this.fd, header);
    writeAll(this.fd, data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) writeAll(this.fd, ZEROS.subarray(0, pad));
    this.bytesWritten += BLOCK + data.length + pad;
    this.entries++;
  }

  /** Write the end-of-archive marker (two zero blocks); flush and close the file if this writer opened it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    writeAll(this.fd, ZEROS);
    this.bytesWritten += ZEROS.length;
    if (this.ownsFd) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
  }
}

/** A whole archive in memory, byte-identical to what TarWriter writes. */
export function tarBuffer(entries: Iterable<{ name: string; data: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const { name, data } of entries) {
    parts.push(ustarHeader(name, data.length), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(ZEROS.subarray(0, pad));
  }
  parts.push(ZEROS);
  return Buffer.concat(parts);
}

function cString(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function parseOctal(b: Buffer, start: number, len: number, what: string, at: number): number {
  const s = b.toString('latin1', start, start + len).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]+$/.test(s)) throw new TarError(`tar header at byte ${at}: ${what} field is not octal: ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

export interface TarEntry {
  name: string;
  /** A view into the archive buffer. */
  data: Buffer;
}

/**
 * Read a ustar archive: verify each header checksum, return regular files in
 * order (directories are skipped), stop at the first zero block. Throws
 * TarError on a bad checksum, a truncated archive, a missing end-of-archive
 * marker, or entry types it does not handle (links, pax/GNU long names…).
 */
export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  for (;;) {
    if (off + BLOCK > buf.length) {
      throw new TarError(`tar archive is truncated at byte ${off}: no end-of-archive marker`);
    }
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((x) => x === 0)) return out;
    const stated = parseOctal(h, 148, 8, 'checksum', off);
    const unsigned = headerSum(h);
    let signed = 0;
    for (let i = 0; i < BLOCK; i++) signed += i >= 148 && i < 156 ? 0x20 : (h[i]! << 24) >> 24;
    if (stated !== unsigned && stated !== signed) {
      throw new TarError(`tar header at byte ${off} has a bad checksum (stated ${stated}, computed ${unsigned})`);
    }
    let name = cString(h, 0, 100);
    const size = parseOctal(h, 124, 12, 'size', off);
    const type = String.fromCharCode(h[156]!);
    if (h.toString('latin1', 257, 262) === 'ustar') {
      const prefix = cString(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const dataStart = off + BLOCK;
    const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (dataStart + size > buf.length) {
      throw new TarError(`tar entry ${JSON.stringify(name)} at byte ${off} is truncated: ${size} bytes stated, ${buf.length - dataStart} left`);
    }
    if (type === '0' || type === '\0' || type === '7') {
      out.push({ name, data: buf.subarray(dataStart, dataStart + size) });
    } else if (type !== '5') {
      throw new TarError(`tar entry ${JSON.stringify(name)} at byte ${off} has unsupported type ${JSON.stringify(type)}`);
    }
    off = next;
  }
}
