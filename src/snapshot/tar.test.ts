import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCK, TarError, TarWriter, readTar, tarBuffer, ustarHeader } from './tar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vitrine-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entries = [
  { name: '000000.png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) },
  { name: '000000.json', data: Buffer.from(JSON.stringify({ caption: 'a cat on a mat ☕' })) },
  { name: '000001.png', data: Buffer.alloc(BLOCK, 7) }, // exactly one block: no padding
  { name: '000001.json', data: Buffer.alloc(0) }, // empty entry
  { name: 'shard/000002.txt', data: Buffer.alloc(1500, 0x41) },
  { name: 'x'.repeat(96) + '.txt', data: Buffer.from('a 100-byte name\n') }, // exactly 100 bytes
];

function writeTar(file: string, list: typeof entries): Buffer {
  const w = new TarWriter(file);
  for (const e of list) w.add(e.name, e.data);
  w.close();
  return readFileSync(file);
}

describe('TarWriter', () => {
  it('writes an archive that GNU tar lists with deterministic headers', () => {
    const file = path.join(dir, 'a.tar');
    writeTar(file, entries);
    const listing = execFileSync('tar', ['--numeric-owner', '--utc', '-tvf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toHaveLength(entries.length);
    listing.forEach((line, i) => {
      const e = entries[i]!;
      // -rw-r--r-- 0/0   7 1970-01-01 00:00 000000.png
      expect(line).toMatch(new RegExp(`^-rw-r--r-- 0/0 +${e.data.length} 1970-01-01 00:00 `));
      expect(line.endsWith(' ' + e.name)).toBe(true);
    });
  });

  it('GNU tar extracts byte-identical data', () => {
    const file = path.join(dir, 'b.tar');
    writeTar(file, entries);
    for (const e of entries) {
      const out = execFileSync('tar', ['-xOf', file, e.name], { maxBuffer: 1 << 24 });
      expect(Buffer.compare(out, e.data)).toBe(0);
    }
  });

  it('gives identical bytes for identical input, equal to tarBuffer', () => {
    const a = writeTar(path.join(dir, 'c1.tar'), entries);
    const b = writeTar(path.join(dir, 'c2.tar'), entries);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(tarBuffer(entries))).toBe(true);
    expect(a.length % BLOCK).toBe(0);
    expect(a.subarray(a.length - 2 * BLOCK).every((x) => x === 0)).toBe(true);
  });

  it('writes at the position of a caller-owned descriptor and leaves it open', () => {
    const file = path.join(dir, 'fd.tar');
    const fd = openSync(file, 'w');
    const w = new TarWriter(fd);
    w.add('k.txt', Buffer.from('hello'));
    w.close();
    expect(() => fstatSync(fd)).not.toThrow();
    writeSync(fd, Buffer.alloc(0));
    closeSync(fd);
    expect(readTar(readFileSync(file))).toEqual([{ name: 'k.txt', data: Buffer.from('hello') }]);
    expect(w.bytesWritten).toBe(readFileSync(file).length);
    expect(w.entries).toBe(1);
  });

  it('refuses bad names with a clear error', () => {
    const w = new TarWriter(path.join(dir, 'bad.tar'));
    expect(() => w.add('y'.repeat(101), Buffer.alloc(1))).toThrow(/101 bytes, more than the ustar limit of 100/);
    expect(() => w.add('é'.repeat(51), Buffer.alloc(1))).toThrow(/102 bytes/); // counts UTF-8 bytes
    expect(() => w.add('', Buffer.alloc(1))).toThrow(/empty/);
    expect(() => w.add('/etc/passwd', Buffer.alloc(1))).toThrow(/absolute/);
    expect(() => w.add('../up.txt', Buffer.alloc(1))).toThrow(/'\.\.'/);
    expect(() => w.add('a//b', Buffer.alloc(1))).toThrow(/empty, '\.' or '\.\.' component/);
    expect(() => w.add('dir/', Buffer.alloc(1))).toThrow(/directory/);
    expect(() => w.add('nul\0.txt', Buffer.alloc(1))).toThrow(TarError);
    w.close();
    expect(() => w.add('late.txt', Buffer.alloc(1))).toThrow(/closed/);
    expect(readTar(readFileSync(path.join(dir, 'bad.tar')))).toEqual([]);
  });

  it('writes the checksum GNU-style ("%06o\\0 ")', () => {
    const h = ustarHeader('a.json', 3);
    expect(h.toString('latin1', 154, 156)).toBe('\0 ');
    expect(h.toString('latin1', 100, 108)).toBe('0000644\0');
    expect(h.toString('latin1', 257, 265)).toBe('ustar\u000000');
  });
});

describe('readTar', () => {
  it('round-trips what TarWriter wrote', () => {
    const got = readTar(tarBuffer(entries));
    expect(got.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    got.forEach((e, i) => expect(e.data.equals(entries[i]!.data)).toBe(true));
  });

  it('round-trips arbitrary entries (property)', () => {
    const name = fc
      .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-.é'.split('')), { minLength: 1, maxLength: 40 })
      .map((cs) => 'k' + cs.join(''))
      .filter((n) => Buffer.byteLength(n) <= 100);
    fc.assert(
      fc.property(fc.array(fc.record({ name, data: fc.uint8Array({ maxLength: 2000 }) }), { maxLength: 8 }), (list) => {
        const es = list.map((e) => ({ name: e.name, data: Buffer.from(e.data) }));
        const back = readTar(tarBuffer(es));
        expect(back.map((e) => [e.name, e.data.toString('hex')])).toEqual(es.map((e) => [e.name, e.data.toString('hex')]));
      }),
      { numRuns: 200 },
    );
  });

  it('reads an archive GNU tar wrote in ustar format', () => {
    const src = path.join(dir, 'src');
    execFileSync('mkdir', ['-p', path.join(src, 'sub')]);
    writeFileSync(path.join(src, 'a.json'), '{"a":1}');
    writeFileSync(path.join(src, 'sub', 'b.png'), Buffer.alloc(700, 9));
    const file = path.join(dir, 'gnu.tar');
    execFileSync('tar', ['--format=ustar', '-cf', file, '-C', src, 'a.json', 'sub']);
    const got = readTar(readFileSync(file));
    expect(got.map((e) => e.name).sort()).toEqual(['a.json', 'sub/b.png']); // the directory entry is skipped
    expect(got.find((e) => e.name === 'sub/b.png')!.data.equals(Buffer.alloc(700, 9))).toBe(true);
  });

  it('rejects a bad checksum, a truncated entry and a missing end marker', () => {
    const good = tarBuffer(entries.slice(0, 2));
    const badSum = Buffer.from(good);
    badSum[0] = badSum[0]! ^ 1;
    expect(() => readTar(badSum)).toThrow(/bad checksum/);
    expect(() => readTar(good.subarray(0, BLOCK + 3))).toThrow(/truncated/);
    expect(() => readTar(good.subarray(0, good.length - 2 * BLOCK))).toThrow(/no end-of-archive marker/);
    expect(readTar(Buffer.alloc(2 * BLOCK))).toEqual([]);
  });

  it('refuses entry types it does not handle', () => {
    const h = ustarHeader('link', 0);
    h[156] = '2'.charCodeAt(0); // symlink
    h.write('        ', 148, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    expect(() => readTar(Buffer.concat([h, Buffer.alloc(2 * BLOCK)]))).toThrow(/unsupported type "2"/);
  });
});
