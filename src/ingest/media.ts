/**
 * Inspect one media file safely: refuse what is not a supported, sane image
 * before a decoder sees it, then decode once and derive every signal the
 * rules need (exact-copy hash of the pixels, perceptual hash, machine-readable
 * reservations, AI labels, GPS).
 *
 * Order of checks (cheap and safe first):
 *   size 0 → media_empty; size > maxBytes → media_too_large;
 *   magic bytes → media_not_image / media_unsupported;
 *   dimensions parsed from the header by hand → media_too_large
 *     (a decompression bomb is refused before libvips allocates anything);
 *   full decode with sharp (failOn 'error', limitInputPixels) → media_corrupt.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { phashFromGray64 } from '../decide/phash.ts';
import { derivePixels, encodePngRgb, trainingPixels, type Rgba } from './pixels.ts';

import type { MediaInfo, MediaProblem } from '../core/types.ts';
export type { MediaProblem };

export interface MediaLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Largest decoded area accepted, width × height. */
  maxPixels: number;
  /** Largest width or height accepted. */
  maxSide: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxSide: 10_000,
});

export type MediaFormat = 'png' | 'jpeg' | 'webp' | 'gif';

/**
 * What inspecting one file tells (the fields are documented on MediaInfo in
 * src/core/types.ts, the one definition), with the format narrowed and the
 * thumbnail as a Buffer.
 */
export interface MediaSignals extends Omit<MediaInfo, 'format' | 'thumb'> {
  format: MediaFormat;
  thumb: Buffer;
}

const PROBLEM_WORDS: Record<MediaProblem, string> = {
  media_missing: 'media file is missing',
  media_empty: 'media file is empty',
  media_not_image: 'media file is not an image',
  media_too_large: 'media file is too large',
  media_unsupported: 'image format is not supported',
  media_corrupt: 'image is corrupt or truncated',
  media_path_escape: 'media path points outside the media folder',
};

export class MediaError extends Error {
  override readonly name = 'MediaError';
  constructor(
    readonly problem: MediaProblem,
    readonly item: string,
    readonly detail: string,
  ) {
    super(`${item}: ${PROBLEM_WORDS[problem]} (${problem}): ${detail}`);
  }
}

// ───────────────────────── paths ─────────────────────────

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && !rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel);
}

/**
 * Resolve `relPath` under `root` and return the real path of the target.
 * Throws media_path_escape for absolute paths, `..` escapes and symlinks that
 * resolve outside `root`; media_missing when nothing is there.
 * (The file can still be swapped after this check; vitrine reads dumps that
 * nobody else writes to while it runs.)
 */
export function resolveInside(root: string, relPath: string): string {
  const item = relPath;
  if (relPath.includes('\0')) throw new MediaError('media_path_escape', item, 'the path contains a NUL byte');
  if (path.posix.isAbsolute(relPath) || path.win32.isAbsolute(relPath)) {
    throw new MediaError('media_path_escape', item, 'the path is absolute; media paths must be relative to the dump');
  }
  const rootAbs = path.resolve(root);
  const joined = path.resolve(rootAbs, relPath);
  if (!isInside(rootAbs, joined)) {
    throw new MediaError('media_path_escape', item, `the path leaves ${rootAbs}`);
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(rootAbs);
  } catch {
    throw new MediaError('media_missing', item, `the media folder ${rootAbs} does not exist`);
  }
  let real: string;
  try {
    real = realpathSync(joined);
  } catch {
    let dangling = false;
    try {
      dangling = lstatSync(joined).isSymbolicLink();
    } catch {
      /* not there at all */
    }
    throw new MediaError('media_missing', item, dangling ? 'the path is a broken symbolic link' : `no file at ${joined}`);
  }
  if (!isInside(realRoot, real)) {
    throw new MediaError('media_path_escape', item, `a symbolic link leads outside the media folder, to ${real}`);
  }
  return real;
}

/** Resolve safely and read, refusing non-files, empty and oversized files before reading them. */
export function readMediaInside(root: string, relPath: string, limits: MediaLimits = DEFAULT_MEDIA_LIMITS): Buffer {
  const real = resolveInside(root, relPath);
  const st = statSync(real);
  if (!st.isFile()) throw new MediaError('media_missing', relPath, 'the path is not a regular file');
  if (st.size === 0) throw new MediaError('media_empty', relPath, 'the file has 0 bytes');
  if (st.size > limits.maxBytes) {
    throw new MediaError('media_too_large', relPath, `${st.size} bytes, more than the limit of ${limits.maxBytes}`);
  }
  return readFileSync(real);
}

// ───────────────────────── format sniffing ─────────────────────────

export type Sniffed = { kind: 'image'; format: MediaFormat } | { kind: 'unsupported'; what: string } | { kind: 'not_image' };

function startsWith(b: Buffer, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}
const ascii = (b: Buffer, start: number, end: number) => (b.length >= end ? b.toString('latin1', start, end) : '');

/** Identify a file by its magic bytes; never by its name. */
export function sniffFormat(b: Buffer): Sniffed {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'image', format: 'png' };
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { kind: 'image', format: 'jpeg' };
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return { kind: 'image', format: 'gif' };
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return { kind: 'image', format: 'webp' };
  // Images we recognise but do not accept.
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return { kind: 'unsupported', what: 'TIFF' };
  if (ascii(b, 0, 2) === 'BM' && b.length >= 26) return { kind: 'unsupported', what: 'BMP' };
  if (ascii(b, 4, 8) === 'ftyp') {
    const brand = ascii(b, 8, 12);
    if (/^(avif|avis|heic|heix|heim|heis|hevc|hevx|mif1|msf1)$/.test(brand)) return { kind: 'unsupported', what: `HEIF/AVIF (${brand})` };
    return { kind: 'not_image' }; // MP4, QuickTime…
  }
  if (startsWith(b, [0xff, 0x0a]) || startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return { kind: 'unsupported', what: 'JPEG XL' };
  if (startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return { kind: 'unsupported', what: 'JPEG 2000' };
  if (startsWith(b, [0, 0, 1, 0]) && b.length >= 22) return { kind: 'unsupported', what: 'ICO' };
  if (ascii(b, 0, 4) === '8BPS') return { kind: 'unsupported', what: 'Photoshop' };
  if (ascii(b, 0, 4) === 'qoif') return { kind: 'unsupported', what: 'QOI' };
  const head = b.subarray(0, 512).toString('latin1').replace(/^\uFEFF?\s*/, '');
  if (/^<(\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head)) return { kind: 'unsupported', what: 'SVG' };
  return { kind: 'not_image' };
}

// ───────────────────────── header dimensions ─────────────────────────

/** Width and height as the container header states them, or null if it cannot be read. No decoding. */
export function headerDimensions(b: Buffer, format: MediaFormat): { width: number; height: number } | null {
  switch (format) {
    case 'png':
      // Signature (8) then the IHDR chunk: length (4) 'IHDR' width (4) height (4).
      if (b.length < 24 || ascii(b, 12, 16) !== 'IHDR') return null;
      return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
    case 'gif':
      if (b.length < 10) return null;
      return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
    case 'webp':
      return webpDimensions(b);
    case 'jpeg':
      return jpegDimensions(b);
  }
}

function webpDimensions(b: Buffer): { width: number; height: number } | null {
  let off = 12;
  while (off + 8 <= b.length) {
    const type = ascii(b, off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const data = off + 8;
    if (type === 'VP8X' && data + 10 <= b.length) {
      return { width: 1 + b.readUIntLE(data + 4, 3), height: 1 + b.readUIntLE(data + 7, 3) };
    }
    if (type === 'VP8 ' && data + 10 <= b.length) {
      if (!startsWith(b, [0x9d, 0x01, 0x2a], data + 3)) return null;
      return { width: b.readUInt16LE(data + 6) & 0x3fff, height: b.readUInt16LE(data + 8) & 0x3fff };
    }
    if (type === 'VP8L' && data + 5 <= b.length) {
      if (b[data] !== 0x2f) return null;
      const bits = b.readUInt32LE(data + 1);
      return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
    }
    off = data + size + (size & 1);
  }
  return null;
}

function jpegDimensions(b: Buffer): { width: number; height: number } | null {
  let off = 2;
  while (off + 4 <= b.length) {
    if (b[off] !== 0xff) return null;
    let marker = b[off + 1]!;
    while (marker === 0xff && off + 2 < b.length) marker = b[++off + 1]!; // fill bytes
    off += 2;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) return null; // EOI / start of scan before any frame header
    if (off + 2 > b.length) return null;
    const len = b.readUInt16BE(off);
    if (len < 2) return null;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (off + 7 > b.length) return null;
      return { height: b.readUInt16BE(off + 3), width: b.readUInt16BE(off + 5) };
    }
    off += len;
  }
  return null;
}

// ───────────────────────── XMP ─────────────────────────

export const NS_PLUS = 'http://ns.useplus.org/ldf/xmp/1.0/';
export const NS_IPTC_EXT = 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/';
export const NS_EXIF = 'http://ns.adobe.com/exif/1.0/';
export const NS_RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
export const PLUS_VOCAB = 'http://ns.useplus.org/ldf/vocab/';
export const DIGITAL_SOURCE_TYPE_BASE = 'http://cv.iptc.org/newscodes/digitalsourcetype/';

/**
 * Which IPTC digital source types mean "made by a generative model", and so
 * keep an image out of training (training on model outputs degrades models):
 * - trainedAlgorithmicMedia: made by a model trained on sampled content. Meta
 *   writes it on Imagine outputs. Certainly AI-made.
 * - compositeWithTrainedAlgorithmicMedia: a composite with at least one
 *   AI-generated element (generative fill/expand). Part of the pixels are model
 *   output, which is exactly what must not be fed back.
 * - compositeSynthetic: a composite that includes synthetic elements which may
 *   be AI-generated. We cannot tell which, and wrongly excluding an image costs
 *   one sample while wrongly including model output is the harm, so it counts.
 * Not included: algorithmicMedia (made purely by an algorithm *not* trained on
 * data: fractals, procedural art — no model output), digitalArt, dataDrivenMedia,
 * algorithmicallyEnhanced (a camera or editor's minor automatic corrections) and
 * the capture types.
 */
export const AI_GENERATED_SOURCE_TYPES: ReadonlySet<string> = new Set(
  ['trainedAlgorithmicMedia', 'compositeWithTrainedAlgorithmicMedia', 'compositeSynthetic'].map(
    (c) => DIGITAL_SOURCE_TYPE_BASE + c,
  ),
);

export interface XmpSignals {
  dataMining: string | null;
  digitalSourceType: string | null;
  hasGps: boolean;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] !== '#') return XML_ENTITIES[e]!;
    const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
  });
}
const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/** Prefixes bound to `uri` anywhere in the packet (XMP packets rarely rebind; we accept every binding). */
function prefixesFor(xml: string, uri: string, fallback: string): string[] {
  const found = new Set<string>();
  const re = /\bxmlns:([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  let anyBindingOfFallback = false;
  for (let m; (m = re.exec(xml)); ) {
    const prefix = m[1]!;
    const bound = decodeXml(m[2] ?? m[3] ?? '').trim();
    if (bound === uri) found.add(prefix);
    if (prefix === fallback) anyBindingOfFallback = true;
  }
  // An undeclared conventional prefix (malformed but seen in the wild) is read
  // as that namespace; a conventional prefix bound to another URI is not.
  if (!anyBindingOfFallback && new RegExp(`[<\\s]${reEscape(fallback)}:`).test(xml)) found.add(fallback);
  return [...found];
}

/** Every value of property `local` in namespace `uri`: attribute, element text, or rdf:resource. */
export function xmpValues(xml: string, uri: string, local: string, fallbackPrefix: string): string[] {
  const out: string[] = [];
  const rdf = prefixesFor(xml, NS_RDF, 'rdf');
  const rdfAlt = rdf.map(reEscape).join('|') || 'rdf';
  for (const p of prefixesFor(xml, uri, fallbackPrefix)) {
    const q = `${reEscape(p)}:${reEscape(local)}`;
    // Attribute form:  plus:DataMining="…"
    const attr = new RegExp(`[\\s"']${q}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');
    for (let m; (m = attr.exec(xml)); ) out.push(decodeXml(m[1] ?? m[2] ?? ''));
    // Element form: <plus:DataMining rdf:resource="…"/> or <plus:DataMining>…</plus:DataMining>
    const open = new RegExp(`<${q}((?:\\s[^>]*?)?)(/?)>`, 'g');
    for (let m; (m = open.exec(xml)); ) {
      const attrs = m[1] ?? '';
      const res = new RegExp(`(?:${rdfAlt}):resource\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
      if (res) {
        out.push(decodeXml(res[1] ?? res[2] ?? ''));
        continue;
      }
      if (m[2] === '/') continue;
      const close = xml.indexOf(`</${p}:${local}>`, open.lastIndex);
      if (close < 0) continue;
      const inner = xml.slice(open.lastIndex, close);
      // rdf:value / rdf:li / nested resource inside the element.
      const innerRes = new RegExp(`(?:${rdfAlt}):resource\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(inner);
      if (innerRes) out.push(decodeXml(innerRes[1] ?? innerRes[2] ?? ''));
      const text = decodeXml(inner.replace(/<[^>]*>/g, ' ')).trim();
      if (text) out.push(...text.split(/\s+/));
    }
  }
  return out.map((v) => v.trim()).filter((v) => v !== '');
}

/** `DMI-PROHIBITED-AIMLTRAINING` from the short code or the full PLUS URI (any case); null if not a DMI value. */
export function normaliseDataMining(value: string | null): string | null {
  if (value == null) return null;
  let v = value.trim();
  const lower = v.toLowerCase();
  for (const base of [PLUS_VOCAB, PLUS_VOCAB.replace('http:', 'https:')]) {
    if (lower.startsWith(base)) v = v.slice(base.length);
  }
  v = v.toUpperCase();
  if (/^(PROHIBITED|ALLOWED|UNSPECIFIED)\b/.test(v)) v = 'DMI-' + v;
  return /^DMI-[A-Z0-9-]+$/.test(v) ? v : null;
}

/** Every DMI-PROHIBITED* value reserves training; accepts the short code or the full URI. */
export function isReservedDataMining(code: string | null): boolean {
  const v = normaliseDataMining(code);
  return v !== null && v.startsWith('DMI-PROHIBITED');
}

function dataMiningRank(code: string): number {
  if (code.startsWith('DMI-PROHIBITED')) return 3;
  if (code === 'DMI-ALLOWED') return 1;
  if (code === 'DMI-UNSPECIFIED') return 0;
  return 2; // an unknown DMI value: keep it visible, but below a prohibition
}

/** Full IPTC URI for a digital source type given as URI (http or https), QCode (`digsrctype:x`) or bare code. */
export function normaliseDigitalSourceType(value: string): string {
  const v = value.trim();
  const m =
    /^https?:\/\/cv\.iptc\.org\/newscodes\/digitalsourcetype\/([A-Za-z]+)\/?$/i.exec(v) ??
    /^digsrctype:([A-Za-z]+)$/.exec(v) ??
    /^([A-Za-z]+)$/.exec(v);
  return m ? DIGITAL_SOURCE_TYPE_BASE + m[1]! : v;
}

/** Read the signals vitrine needs from one XMP packet. Never throws. */
export function parseXmpSignals(xml: string): XmpSignals {
  try {
    const dm = xmpValues(xml, NS_PLUS, 'DataMining', 'plus')
      .map(normaliseDataMining)
      .filter((v): v is string => v !== null)
      .sort((a, b) => dataMiningRank(b) - dataMiningRank(a));
    const dst = xmpValues(xml, NS_IPTC_EXT, 'DigitalSourceType', 'Iptc4xmpExt').map(normaliseDigitalSourceType);
    const lat = xmpValues(xml, NS_EXIF, 'GPSLatitude', 'exif');
    const lon = xmpValues(xml, NS_EXIF, 'GPSLongitude', 'exif');
    return {
      dataMining: dm[0] ?? null,
      digitalSourceType: dst.find((d) => AI_GENERATED_SOURCE_TYPES.has(d)) ?? dst[0] ?? null,
      hasGps: lat.length > 0 && lon.length > 0,
    };
  } catch {
    return { dataMining: null, digitalSourceType: null, hasGps: false };
  }
}

function xmpText(buf: Buffer): string {
  // XMP packets may be UTF-16 (BOM or NULs in the first bytes); normally UTF-8.
  if (buf.length >= 2 && ((buf[0] === 0xfe && buf[1] === 0xff) || (buf[0] === 0 && buf[1] !== 0))) {
    const swapped = Buffer.from(buf.subarray(0, buf.length & ~1));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] !== 0 && buf[1] === 0))) {
    return buf.toString('utf16le');
  }
  return buf.toString('utf8');
}

/**
 * Uncompressed XMP packets anywhere in the file (GIF application extensions,
 * JPEG extended XMP, PNG iTXt) which libvips does not always surface.
 * Compressed PNG zTXt/iTXt packets come from sharp's metadata instead.
 */
function rawXmpPackets(bytes: Buffer, limit = 8): string[] {
  const out: string[] = [];
  let from = 0;
  while (out.length < limit) {
    const start = bytes.indexOf('<x:xmpmeta', from, 'latin1');
    if (start < 0) break;
    const end = bytes.indexOf('</x:xmpmeta>', start, 'latin1');
    if (end < 0) break;
    out.push(bytes.toString('utf8', start, end + 12));
    from = end + 12;
  }
  return out;
}

// ───────────────────────── EXIF GPS ─────────────────────────

/**
 * Whether an EXIF block (with or without the `Exif\0\0` APP1 prefix) has a GPS
 * IFD holding latitude (tag 2) and longitude (tag 4). Both byte orders; never
 * throws: anything malformed reads as "no GPS".
 */
export function exifHasGps(exif: Buffer | undefined | null): boolean {
  try {
    if (!exif || exif.length < 8) return false;
    let b = exif;
    if (ascii(b, 0, 4) === 'Exif') b = b.subarray(6);
    if (b.length < 8) return false;
    const order = ascii(b, 0, 2);
    if (order !== 'II' && order !== 'MM') return false;
    const le = order === 'II';
    const u16 = (o: number) => (o + 2 <= b.length ? (le ? b.readUInt16LE(o) : b.readUInt16BE(o)) : -1);
    const u32 = (o: number) => (o + 4 <= b.length ? (le ? b.readUInt32LE(o) : b.readUInt32BE(o)) : -1);
    if (u16(2) !== 42) return false;
    const ifd0 = u32(4);
    const tagsOf = (ifd: number): Map<number, { type: number; count: number; value: number }> => {
      const tags = new Map<number, { type: number; count: number; value: number }>();
      const n = u16(ifd);
      if (ifd < 8 || n <= 0 || n > 1000) return tags;
      for (let i = 0; i < n; i++) {
        const e = ifd + 2 + 12 * i;
        if (e + 12 > b.length) break;
        tags.set(u16(e), { type: u16(e + 2), count: u32(e + 4), value: u32(e + 8) });
      }
      return tags;
    };
    const gpsPtr = tagsOf(ifd0).get(0x8825);
    if (!gpsPtr || (gpsPtr.type !== 4 && gpsPtr.type !== 13) || gpsPtr.value <= 0 || gpsPtr.value >= b.length) return false;
    const gps = tagsOf(gpsPtr.value);
    const lat = gps.get(0x0002);
    const lon = gps.get(0x0004);
    return !!lat && !!lon && lat.count > 0 && lon.count > 0;
  } catch {
    return false;
  }
}

// ───────────────────────── C2PA training-mining ─────────────────────────

type Cbor = null | undefined | boolean | number | string | Uint8Array | Cbor[] | { [k: string]: Cbor };

/** A small, bounded CBOR decoder (RFC 8949) — enough for C2PA assertions. Throws on malformed input. */
export function decodeCbor(buf: Uint8Array): Cbor {
  let pos = 0;
  let items = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw new Error('CBOR truncated');
  };
  const readArg = (info: number): number => {
    if (info < 24) return info;
    const n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
    if (n < 0) throw new Error('CBOR bad length');
    need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + buf[pos++]!;
    return v;
  };
  const item = (depth: number): Cbor => {
    if (depth > 32 || ++items > 100_000) throw new Error('CBOR too deep or too large');
    need(1);
    const ib = buf[pos++]!;
    const major = ib >> 5;
    const info = ib & 31;
    if (info === 31 && major >= 2 && major <= 5) {
      // Indefinite length.
      if (major === 2 || major === 3) {
        const parts: Uint8Array[] = [];
        for (;;) {
          need(1);
          if (buf[pos] === 0xff) { pos++; break; }
          const p = item(depth + 1);
          parts.push(typeof p === 'string' ? Buffer.from(p) : (p as Uint8Array));
        }
        const all = Buffer.concat(parts);
        return major === 3 ? all.toString('utf8') : all;
      }
      const arr: Cbor[] = [];
      const obj: { [k: string]: Cbor } = {};
      for (;;) {
        need(1);
        if (buf[pos] === 0xff) { pos++; break; }
        if (major === 4) arr.push(item(depth + 1));
        else { const k = item(depth + 1); obj[String(k)] = item(depth + 1); }
      }
      return major === 4 ? arr : obj;
    }
    switch (major) {
      case 0: return readArg(info);
      case 1: return -1 - readArg(info);
      case 2: case 3: {
        const n = readArg(info);
        need(n);
        const s = buf.subarray(pos, pos + n);
        pos += n;
        return major === 3 ? Buffer.from(s).toString('utf8') : s;
      }
      case 4: {
        const n = readArg(info);
        if (n > buf.length - pos) throw new Error('CBOR array too long');
        const arr: Cbor[] = [];
        for (let i = 0; i < n; i++) arr.push(item(depth + 1));
        return arr;
      }
      case 5: {
        const n = readArg(info);
        if (n > buf.length - pos) throw new Error('CBOR map too long');
        const obj: { [k: string]: Cbor } = {};
        for (let i = 0; i < n; i++) { const k = item(depth + 1); obj[String(k)] = item(depth + 1); }
        return obj;
      }
      case 6: readArg(info); return item(depth + 1); // tag: keep the content
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 23) return undefined;
        if (info === 25) { need(2); const v = Buffer.from(buf.subarray(pos, pos + 2)); pos += 2; return halfToNumber(v.readUInt16BE(0)); }
        if (info === 26) { need(4); const v = Buffer.from(buf.subarray(pos, pos + 4)).readFloatBE(0); pos += 4; return v; }
        if (info === 27) { need(8); const v = Buffer.from(buf.subarray(pos, pos + 8)).readDoubleBE(0); pos += 8; return v; }
        if (info < 24) return info;
        throw new Error('CBOR bad simple value');
      }
    }
  };
  return item(0);
}
function halfToNumber(h: number): number {
  const e = (h >> 10) & 31, f = h & 1023, s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Entry names (after the `c2pa.`/`cawg.` prefix) that concern training a model. `ai_inference` does not. */
const TRAINING_ENTRIES = new Set(['ai_generative_training', 'ai_training', 'data_mining']);

/** Interpret one decoded training-mining assertion. */
export function trainingFromAssertion(a: Cbor): 'allowed' | 'notAllowed' | null {
  if (!a || typeof a !== 'object' || Array.isArray(a) || a instanceof Uint8Array) return null;
  const entries = a.entries && typeof a.entries === 'object' && !Array.isArray(a.entries) && !(a.entries instanceof Uint8Array)
    ? (a.entries as { [k: string]: Cbor })
    : a; // entries at the top level
  let sawAllowed = false;
  for (const [key, entry] of Object.entries(entries)) {
    const name = key.slice(key.lastIndexOf('.') + 1);
    if (!TRAINING_ENTRIES.has(name) || !entry || typeof entry !== 'object' || Array.isArray(entry)) continue;
    const use = (entry as { [k: string]: Cbor }).use;
    // 'constrained' cannot be checked by a machine: with or without
    // constraint_info / constraints_info it counts as notAllowed.
    if (use === 'notAllowed' || use === 'constrained') return 'notAllowed';
    if (use === 'allowed') sawAllowed = true;
  }
  return sawAllowed ? 'allowed' : null;
}

/**
 * Find `c2pa.training-mining` / `cawg.training-mining` assertions in the raw
 * file bytes (JUMBF in JPEG APP11, PNG caBX, WebP C2PA chunk) and read their
 * CBOR content box. Cheap: one byte search, no signature validation — a claim
 * found this way may only restrict. Assertions split across JPEG APP11
 * segments, or compressed ones, are not read (null).
 */
export function c2paTrainingFromBytes(bytes: Buffer): 'allowed' | 'notAllowed' | null {
  let result: 'allowed' | 'notAllowed' | null = null;
  let from = 0;
  for (let guard = 0; guard < 64; guard++) {
    const at = bytes.indexOf('.training-mining', from, 'latin1');
    if (at < 0) break;
    from = at + 16;
    const ns = ascii(bytes, at - 4, at);
    if (ns !== 'c2pa' && ns !== 'cawg') continue;
    const cbor = bytes.indexOf('cbor', at, 'latin1');
    if (cbor < 0 || cbor - at > 512 || cbor < 4) continue;
    const boxLen = bytes.readUInt32BE(cbor - 4);
    if (boxLen < 8 || cbor - 4 + boxLen > bytes.length) continue;
    try {
      const r = trainingFromAssertion(decodeCbor(bytes.subarray(cbor + 4, cbor - 4 + boxLen)));
      if (r === 'notAllowed') return 'notAllowed';
      if (r === 'allowed') result = 'allowed';
    } catch {
      /* unreadable assertion: no signal */
    }
  }
  return result;
}

// ───────────────────────── inspection ─────────────────────────

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

function sharpProblem(err: unknown): { problem: MediaProblem; detail: string } {
  const msg = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(msg)) return { problem: 'media_too_large', detail: `the decoder refused it: ${msg}` };
  if (/unsupported image format/i.test(msg)) return { problem: 'media_unsupported', detail: msg };
  return { problem: 'media_corrupt', detail: `the decoder failed: ${msg}` };
}

/** Check the limits against the header's claims, before anything is decoded. */
function checkHeader(bytes: Buffer, item: string, format: MediaFormat, limits: MediaLimits): void {
  const dims = headerDimensions(bytes, format);
  if (!dims) throw new MediaError('media_corrupt', item, `the ${format.toUpperCase()} header is unreadable (no dimensions)`);
  const { width, height } = dims;
  if (width === 0 || height === 0) throw new MediaError('media_corrupt', item, `the header claims ${width}×${height} pixels`);
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxPixels) {
    throw new MediaError(
      'media_too_large',
      item,
      `the header claims ${width}×${height} pixels; limits are ${limits.maxSide} per side and ${limits.maxPixels} in all`,
    );
  }
}

/** RGB → RGBA with opaque alpha: what ensureAlpha gives, without another libvips pass. */
function withAlpha(rgb: Buffer): Buffer {
  const n = rgb.length / 3;
  const out = Buffer.allocUnsafe(n * 4);
  for (let i = 0, j = 0; i < n * 3; i += 3, j += 4) {
    out[j] = rgb[i]!;
    out[j + 1] = rgb[i + 1]!;
    out[j + 2] = rgb[i + 2]!;
    out[j + 3] = 255;
  }
  return out;
}

function sharpInput(bytes: Buffer, limits: MediaLimits): Sharp {
  // failOn 'error': refuses truncated and corrupt data but tolerates the
  // harmless warnings many phone JPEGs trigger ('warning' would reject them).
  return sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxPixels, autoOrient: true });
}

/**
 * Inspect one image. `item` names it in errors (e.g. `post 123: media/a.jpg`).
 * Throws MediaError; never returns signals for an image it could not fully decode.
 */
export async function inspectMedia(
  bytes: Buffer,
  item: string,
  limits: MediaLimits = DEFAULT_MEDIA_LIMITS,
  opts: { trainingSize?: number } = {},
): Promise<MediaSignals & { training?: Buffer }> {
  if (bytes.length === 0) throw new MediaError('media_empty', item, 'the file has 0 bytes');
  if (bytes.length > limits.maxBytes) {
    throw new MediaError('media_too_large', item, `${bytes.length} bytes, more than the limit of ${limits.maxBytes}`);
  }
  const sniffed = sniffFormat(bytes);
  if (sniffed.kind === 'not_image') {
    throw new MediaError('media_not_image', item, 'its first bytes match no image format (PNG, JPEG, WebP or GIF)');
  }
  if (sniffed.kind === 'unsupported') {
    throw new MediaError('media_unsupported', item, `${sniffed.what} images are not accepted; use PNG, JPEG, WebP or GIF`);
  }
  const format = sniffed.format;
  checkHeader(bytes, item, format, limits);

  let meta: Metadata;
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    meta = await sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxPixels }).metadata();
    // The plain case — 8-bit sRGB, no ICC profile, upright — skips three libvips operations
    // (a third of the decode time on small images); anything else takes the full conversion.
    const plain = meta.space === 'srgb' && !meta.icc && (meta.orientation ?? 1) === 1 && (meta.depth ?? 'uchar') === 'uchar';
    decoded = plain
      ? await sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxPixels }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
      : await sharpInput(bytes, limits).toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    const { problem, detail } = sharpProblem(err);
    throw new MediaError(problem, item, detail);
  }
  if (decoded.info.channels === 3) decoded = { data: withAlpha(decoded.data), info: { ...decoded.info, channels: 4 } };
  const { data, info } = decoded;
  if (info.channels !== 4 || data.length !== info.width * info.height * 4) {
    throw new MediaError('media_corrupt', item, `decoding gave ${info.channels} channels at ${info.width}×${info.height}`);
  }
  if (meta.format && meta.format !== format) {
    throw new MediaError('media_corrupt', item, `the file starts like ${format} but decodes as ${meta.format}`);
  }

  // Transparent pixels: whatever colour they store is invisible; zero it so the
  // exact-copy hash does not depend on the encoder.
  let pixels = data;
  for (let p = 3; p < data.length; p += 4) {
    if (data[p] === 0 && (data[p - 1]! | data[p - 2]! | data[p - 3]!) !== 0) {
      if (pixels === data) pixels = Buffer.from(data);
      pixels[p - 1] = pixels[p - 2] = pixels[p - 3] = 0;
    }
  }
  const pixelSha256 = sha256(Buffer.from(`rgba8 ${info.width}x${info.height}\n`), pixels);
  // Everything else comes from these pixels, in JavaScript: no second decode (see pixels.ts).
  const img = { data: pixels, width: info.width, height: info.height };
  const derived = derivePixels(img, opts.trainingSize);
  const ph = phashFromGray64(derived.luma);
  const training =
    opts.trainingSize === undefined
      ? undefined
      : derived.training
        ? encodePngRgb(derived.training, opts.trainingSize, opts.trainingSize)
        : await trainingCopyFromPixels(bytes, img, opts.trainingSize);

  const packets: string[] = [];
  if (meta.xmp && meta.xmp.length > 0) packets.push(xmpText(meta.xmp));
  packets.push(...rawXmpPackets(bytes));
  const xmp = packets.map(parseXmpSignals);
  const dataMining =
    xmp
      .map((x) => x.dataMining)
      .filter((v): v is string => v !== null)
      .sort((a, b) => dataMiningRank(b) - dataMiningRank(a))[0] ?? null;
  const dsts = xmp.map((x) => x.digitalSourceType).filter((v): v is string => v !== null);

  return {
    sha256: sha256(bytes),
    pixelSha256,
    format,
    width: info.width,
    height: info.height,
    bytes: bytes.length,
    phash: ph.hash,
    phashQuality: ph.quality,
    dataMining,
    digitalSourceType: dsts.find((d) => AI_GENERATED_SOURCE_TYPES.has(d)) ?? dsts[0] ?? null,
    c2paTraining: c2paTrainingFromBytes(bytes),
    hasGps: exifHasGps(meta.exif) || xmp.some((x) => x.hasGps),
    thumb: Buffer.from(derived.thumb),
    ...(training ? { training } : {}),
  };
}

// ───────────────────────── training copy ─────────────────────────

/** PNG chunks a decoder needs; everything else (pHYs, gAMA, sRGB, iCCP, eXIf, text…) is dropped. */
const CRITICAL_PNG_CHUNKS = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);

/** Keep only critical chunks of a PNG (their CRCs stay valid, since each covers only its own chunk). */
export function stripPngMetadata(png: Buffer): Buffer {
  const parts: Buffer[] = [png.subarray(0, 8)];
  let off = 8;
  while (off + 12 <= png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const end = off + 12 + len;
    if (end > png.length) throw new Error('PNG chunk overruns the buffer');
    if (CRITICAL_PNG_CHUNKS.has(type)) parts.push(png.subarray(off, end));
    off = end;
    if (type === 'IEND') break;
  }
  return Buffer.concat(parts);
}

/**
 * The copy that goes into a snapshot: a size×size 8-bit RGB PNG, alpha
 * flattened on white, no metadata of any kind (no EXIF/GPS/XMP/ICC/pHYs),
 * byte-identical for identical input.
 *
 * Cover-crop, centred: the image is scaled to fill the square and the
 * overflow cut equally from both sides. Padding (contain) would put flat bars
 * in a large share of the training set, and the model learns to draw them;
 * cropping loses only the margins of non-square images, where captions rarely
 * point. Centred rather than "attention"/"entropy" so that the crop is
 * predictable and explainable.
 */
export async function normaliseForTraining(bytes: Buffer, size: number): Promise<Buffer> {
  if (!Number.isInteger(size) || size < 8 || size > 4096) {
    throw new RangeError(`training image size must be an integer from 8 to 4096, got ${size}`);
  }
  const { data, info } = await sharpInput(bytes, DEFAULT_MEDIA_LIMITS)
    .toColourspace('srgb')
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return trainingCopyFromPixels(bytes, { data, width: info.width, height: info.height }, size);
}

/**
 * The training copy from decoded pixels: area-averaged in JavaScript when
 * shrinking (the common case, and the same bytes whichever path asked),
 * Lanczos by sharp when the image is smaller than the training size.
 */
async function trainingCopyFromPixels(bytes: Buffer, img: Rgba, size: number): Promise<Buffer> {
  if (Math.min(img.width, img.height) >= size) return encodePngRgb(trainingPixels(img, size), size, size);
  const png = await sharpInput(bytes, DEFAULT_MEDIA_LIMITS)
    .flatten({ background: '#ffffff' })
    .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
    .toColourspace('srgb')
    .removeAlpha()
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false, progressive: false })
    .toBuffer();
  return stripPngMetadata(png);
}
