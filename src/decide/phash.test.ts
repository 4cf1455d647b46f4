import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import sharp, { type OverlayOptions } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/prng.ts';
import {
  PDQ_MATCH_THRESHOLD,
  PDQ_MIN_QUALITY,
  flipBits,
  getBit,
  hammingHex,
  hexToWords,
  phashFromGray64,
  phashOfImage,
  popcount32,
  wordsToHex,
} from './phash.js';

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);

describe('bit helpers', () => {
  it('popcount32 counts bits', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000001)).toBe(2);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (x) => {
      expect(popcount32(x)).toBe(x.toString(2).split('').filter((c) => c === '1').length);
    }));
  });

  it('hex ↔ words round-trips; hamming counts flipped bits; getBit reads MSB first', () => {
    fc.assert(
      fc.property(hex, fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 80 }), (h, bits) => {
        expect(wordsToHex(hexToWords(h))).toBe(h);
        const f = flipBits(h, bits);
        expect(hammingHex(h, f)).toBe(bits.length);
        expect(hammingHex(f, h)).toBe(bits.length);
        for (const k of bits.slice(0, 5)) expect(getBit(f, k)).toBe(1 - getBit(h, k));
      }),
    );
    expect(getBit('8' + '0'.repeat(63), 0)).toBe(1);
    expect(getBit('0'.repeat(63) + '1', 255)).toBe(1);
    expect(hammingHex('f'.repeat(64), 'F'.repeat(64))).toBe(0);
    expect(() => hammingHex('f'.repeat(63), 'f'.repeat(64))).toThrow(/64 hex characters/);
  });
});

describe('phashFromGray64', () => {
  it('gives 64 hex chars with about half the bits set, and a quality score', () => {
    // Smooth, non-separable content with integer values.
    const g = new Float64Array(4096);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) g[y * 64 + x] = Math.round(128 + 60 * Math.sin(x / 5 + y / 9) + 50 * Math.cos((x * y) / 300));
    }
    const { hash, quality } = phashFromGray64(g);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const ones = hexToWords(hash).reduce((s, w) => s + popcount32(w), 0);
    expect(ones).toBeLessThanOrEqual(128); // strictly above the median
    expect(ones).toBeGreaterThan(110);
    expect(quality).toBeGreaterThan(PDQ_MIN_QUALITY);
    expect(phashFromGray64(Uint8Array.from(g)).hash).toBe(hash); // Uint8Array input too
  });

  it('rates a flat image as quality 0 (hash meaningless), a gentle gradient as low quality', () => {
    expect(phashFromGray64(new Uint8Array(4096).fill(77)).quality).toBe(0);
    const grad = new Float64Array(4096);
    for (let p = 0; p < 4096; p++) grad[p] = (p % 64) * 2; // 2 levels per pixel: below PDQ's per-step floor
    expect(phashFromGray64(grad).quality).toBeLessThanOrEqual(PDQ_MIN_QUALITY);
  });

  it('is invariant to brightness offset and contrast scale (DC skipped, median threshold)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4096, maxLength: 4096 }), fc.double({ min: 0.2, max: 3, noNaN: true }), (px, k) => {
        const a = Float64Array.from(px);
        const b = a.map((v) => v * k + 17);
        expect(hammingHex(phashFromGray64(a).hash, phashFromGray64(b).hash)).toBeLessThanOrEqual(2); // float ties only
      }),
      { numRuns: 20 },
    );
  });

  it('refuses the wrong size', () => {
    expect(() => phashFromGray64(new Float64Array(100))).toThrow(/4096/);
  });

  it('is fast (measured, not asserted)', () => {
    const g = new Float64Array(4096);
    for (let p = 0; p < 4096; p++) g[p] = (p * 2654435761) % 256;
    for (let i = 0; i < 500; i++) phashFromGray64(g);
    const n = 5000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      g[i & 4095] = i & 255;
      phashFromGray64(g);
    }
    const ms = (performance.now() - t0) / n;
    console.log(`phashFromGray64: ${ms.toFixed(3)} ms per hash`);
    expect(ms).toBeLessThan(5); // sanity only; the figure is in the log
  });
});

// ───────────── robustness on real artwork: emoji compositions ─────────────

const require = createRequire(import.meta.url);
const EMOJI_DIR = path.join(path.dirname(require.resolve('emoji-datasource-google/package.json')), 'img/google/64');
const S = 384;

/** The project's seeded generator (src/ingest/demo/prng.ts) as a plain function. */
function prng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** A 384×384 picture: a two-colour gradient with 3–5 emoji of different sizes at random places. */
async function composition(rnd: () => number, files: string[]): Promise<Buffer> {
  const colour = () => `rgb(${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)})`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${S}" height="${S}"><defs>` +
    `<linearGradient id="g" x1="0" y1="0" x2="${rnd().toFixed(3)}" y2="1"><stop offset="0" stop-color="${colour()}"/>` +
    `<stop offset="1" stop-color="${colour()}"/></linearGradient></defs><rect width="${S}" height="${S}" fill="url(#g)"/></svg>`;
  const layers: OverlayOptions[] = [];
  const count = 3 + Math.floor(rnd() * 3);
  for (let k = 0; k < count; k++) {
    const file = files[Math.floor(rnd() * files.length)]!;
    const size = 64 + Math.floor(rnd() * 96);
    layers.push({
      input: await sharp(path.join(EMOJI_DIR, file)).resize(size, size).png().toBuffer(),
      left: Math.floor(rnd() * (S - size)),
      top: Math.floor(rnd() * (S - size)),
    });
  }
  return sharp(Buffer.from(svg)).composite(layers).png().toBuffer();
}

const TRANSFORMS: Record<string, (b: Buffer) => Promise<Buffer>> = {
  'jpeg q75': (b) => sharp(b).jpeg({ quality: 75 }).toBuffer(),
  'jpeg q40': (b) => sharp(b).jpeg({ quality: 40 }).toBuffer(),
  'resize 50%': (b) => sharp(b).resize(S / 2, S / 2).png().toBuffer(),
  'resize 33% + jpeg q70': (b) => sharp(b).resize(128, 128).jpeg({ quality: 70 }).toBuffer(),
  'upscale 150%': (b) => sharp(b).resize(576, 576).png().toBuffer(),
  'shift 3px': (b) =>
    sharp(b).extract({ left: 3, top: 3, width: S - 3, height: S - 3 }).extend({ right: 3, bottom: 3, extendWith: 'copy' }).png().toBuffer(),
  'crop 5% (centred)': (b) => sharp(b).extract({ left: 10, top: 10, width: S - 20, height: S - 20 }).png().toBuffer(),
  'crop 5% (one corner)': (b) => sharp(b).extract({ left: 0, top: 0, width: S - 19, height: S - 19 }).png().toBuffer(),
  'blur σ1.5': (b) => sharp(b).blur(1.5).png().toBuffer(),
  'brightness +15%': (b) => sharp(b).modulate({ brightness: 1.15 }).png().toBuffer(),
};

interface Summary { min: number; p50: number; p90: number; max: number }
function summary(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { min: s[0]!, p50: at(0.5), p90: at(0.9), max: s[s.length - 1]! };
}
const fmt = (s: Summary) => `min ${s.min} p50 ${s.p50} p90 ${s.p90} max ${s.max}`;

describe('phashOfImage on emoji compositions', () => {
  const N = 30;
  const images: Buffer[] = [];
  const hashes: { hash: string; quality: number }[] = [];
  const copies: Record<string, Summary> = {};
  let different: Summary;
  let swapped: Summary;

  beforeAll(async () => {
    const files = readdirSync(EMOJI_DIR).filter((f) => f.endsWith('.png')).sort();
    const rnd = prng(2026);
    for (let i = 0; i < N; i++) images.push(await composition(rnd, files));
    for (const img of images) hashes.push(await phashOfImage(img));
    for (const [name, t] of Object.entries(TRANSFORMS)) {
      const d: number[] = [];
      for (let i = 0; i < N; i++) d.push(hammingHex(hashes[i]!.hash, (await phashOfImage(await t(images[i]!))).hash));
      copies[name] = summary(d);
    }
    const diff: number[] = [];
    for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) diff.push(hammingHex(hashes[i]!.hash, hashes[j]!.hash));
    different = summary(diff);
    // Hard negatives: the same picture with one emoji pasted over by another one.
    const sw: number[] = [];
    for (let i = 0; i < 12; i++) {
      const other = await sharp(path.join(EMOJI_DIR, files[(i * 397) % files.length]!)).resize(140, 140).png().toBuffer();
      const edited = await sharp(images[i]!).composite([{ input: other, left: 122, top: 122 }]).png().toBuffer();
      sw.push(hammingHex(hashes[i]!.hash, (await phashOfImage(edited)).hash));
    }
    swapped = summary(sw);
    console.log(
      [
        `phash Hamming distances, ${N} emoji compositions (384×384):`,
        ...Object.entries(copies).map(([k, s]) => `  copy: ${k.padEnd(22)} ${fmt(s)}`),
        `  different compositions (${(N * (N - 1)) / 2} pairs) ${fmt(different)}`,
        `  same picture, a 140-px emoji pasted in the centre   ${fmt(swapped)}`,
        `  quality: ${fmt(summary(hashes.map((h) => h.quality)))}`,
      ].join('\n'),
    );
  });

  it('keeps re-encoded, resized, blurred and brightened copies well within PDQ’s 31', () => {
    for (const name of ['jpeg q75', 'jpeg q40', 'resize 50%', 'resize 33% + jpeg q70', 'upscale 150%', 'blur σ1.5', 'brightness +15%']) {
      expect(copies[name]!.max, name).toBeLessThanOrEqual(24);
    }
    expect(copies['jpeg q75']!.p50).toBeLessThanOrEqual(6);
  });

  it('keeps a 3-px shift and a centred 5% crop near the threshold (DCT hashes are not shift-invariant)', () => {
    expect(copies['shift 3px']!.p50).toBeLessThanOrEqual(PDQ_MATCH_THRESHOLD);
    expect(copies['shift 3px']!.max).toBeLessThanOrEqual(48);
    expect(copies['crop 5% (centred)']!.p50).toBeLessThanOrEqual(48);
    expect(copies['crop 5% (one corner)']!.p50).toBeGreaterThan(PDQ_MATCH_THRESHOLD); // measured limit, see the log
  });

  it('puts different pictures far apart, and locally edited ones in between', () => {
    expect(different.min).toBeGreaterThan(80);
    expect(different.p50).toBeGreaterThan(110);
    // A local edit of ~13% of the area lands around the threshold: the hash
    // sees a picture with a sticker added as a near-copy more often than not.
    expect(swapped.p50).toBeGreaterThan(PDQ_MATCH_THRESHOLD);
    expect(swapped.min).toBeLessThan(different.min);
  });

  it('rates compositions above the quality floor and a plain background below it', async () => {
    expect(summary(hashes.map((h) => h.quality)).p50).toBeGreaterThan(PDQ_MIN_QUALITY);
    const flat = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3070a0' } }).png().toBuffer();
    expect((await phashOfImage(flat)).quality).toBeLessThanOrEqual(PDQ_MIN_QUALITY);
  });

  it('ignores container and orientation metadata: a rotated JPEG with EXIF orientation hashes like the upright one', async () => {
    const upright = await sharp(images[0]!).jpeg({ quality: 90 }).toBuffer();
    const stored = await sharp(images[0]!).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
    expect(hammingHex((await phashOfImage(upright)).hash, (await phashOfImage(stored)).hash)).toBeLessThanOrEqual(8);
  });
});
