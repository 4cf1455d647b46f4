import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { photo } from '../../test/helpers/dump.ts';
import { derivePixels } from '../ingest/pixels.ts';
import { copyDistance, croppedCopyPairs, signature, type CopySignature } from './copy-match.ts';
import { loadPolicy } from './policy.ts';

const { maxAlignedDifference } = loadPolicy().dedup;

async function sig(bytes: Buffer): Promise<CopySignature> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return signature(derivePixels({ data, width: info.width, height: info.height }).thumb);
}

async function crop(bytes: Buffer, f: { l: number; t: number; r: number; b: number }, scale = 1): Promise<Buffer> {
  const m = await sharp(bytes).metadata();
  const W = m.width!, H = m.height!;
  const left = Math.round(W * f.l), top = Math.round(H * f.t);
  const width = W - left - Math.round(W * f.r), height = H - top - Math.round(H * f.b);
  return sharp(bytes).extract({ left, top, width, height }).resize(Math.round(width * scale), Math.round(height * scale)).jpeg({ quality: 70 }).toBuffer();
}

async function shift(bytes: Buffer, dx: number, dy: number): Promise<Buffer> {
  const m = await sharp(bytes).metadata();
  const ext = await sharp(bytes).extend({ top: Math.max(0, dy), bottom: Math.max(0, -dy), left: Math.max(0, dx), right: Math.max(0, -dx), extendWith: 'copy' }).toBuffer();
  return sharp(ext).extract({ left: Math.max(0, -dx), top: Math.max(0, -dy), width: m.width!, height: m.height! }).jpeg({ quality: 80 }).toBuffer();
}

const COLOURS = ['#d33', '#3a3', '#33d', '#eb2', '#2bb', '#b2b', '#777', '#f72', '#5d8', '#85d', '#fff', '#fff'];

describe('cropped-copy detection', () => {
  it('finds crops up to 10 % a side, shifts and re-scales of the same picture', async () => {
    const worst: number[] = [];
    for (let n = 0; n < 12; n++) {
      const original = await photo(COLOURS[n]!, n, 160);
      const a = await sig(original);
      for (const copy of [
        await crop(original, { l: 0.05, t: 0, r: 0, b: 0.05 }),
        await crop(original, { l: 0, t: 0.08, r: 0.02, b: 0 }, 0.8),
        await crop(original, { l: 0.1, t: 0.1, r: 0, b: 0 }, 1.2),
        await shift(original, 4, -3),
      ]) {
        const d = copyDistance(a, await sig(copy));
        worst.push(d);
        expect(d, `photo ${n}`).toBeLessThanOrEqual(maxAlignedDifference);
      }
    }
    console.log(`aligned differences of copies: max ${Math.max(...worst).toFixed(2)}, mean ${(worst.reduce((x, y) => x + y) / worst.length).toFixed(2)}`);
  });

  it('keeps different pictures apart, even with the same subject or background', async () => {
    const sigs = await Promise.all(Array.from({ length: 12 }, (_, n) => photo(COLOURS[n % 4]!, n, 160).then(sig)));
    let closest = Infinity;
    for (let i = 0; i < sigs.length; i++) for (let j = i + 1; j < sigs.length; j++) closest = Math.min(closest, copyDistance(sigs[i]!, sigs[j]!));
    expect(closest).toBeGreaterThan(maxAlignedDifference);
  });

  it('pairs a cropped copy with its original among other pictures', async () => {
    const pics = await Promise.all(Array.from({ length: 8 }, (_, n) => photo(COLOURS[n]!, n, 160)));
    const copy = await crop(pics[3]!, { l: 0.06, t: 0.03, r: 0.01, b: 0.04 }, 0.9);
    const sigs = await Promise.all([...pics, copy].map(sig));
    expect(croppedCopyPairs(sigs, { maxDifference: maxAlignedDifference })).toEqual([[3, 8]]);
  });
});
