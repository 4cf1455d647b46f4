/**
 * Second-stage copy detection: re-posts that are cropped (≤ 10 % a side),
 * shifted or re-framed defeat any global perceptual hash (measured on the
 * demo: the 256-bit DCT hash puts only ~40 % of such re-posts within PDQ's
 * threshold). Here each image keeps a 32×32 colour thumbnail of its whole
 * frame; candidate pairs come from buckets of similar colour (overall and of
 * the foreground), and each candidate is verified by searching the crop that
 * maps one frame into the other (scale and offset per axis, from row and
 * column profiles) and comparing the aligned thumbnails. Thresholds were
 * chosen on the demo's re-posts: see bench/dedup.
 */

export const THUMB = 32;

/** A 32×32 RGB thumbnail (row-major, 3 bytes a pixel) of the whole frame, alpha flattened on white. */
export type Thumb = Uint8Array;

export interface CopySignature {
  /** Kept only when asked for: at scale the thumbnails are read back when a candidate needs them. */
  thumb: Thumb | null;
  /** Mean colour of the central region (robust to light crops). */
  mean: [number, number, number];
  /** Mean colour of what differs from the border colour (the subject), or the mean when nothing does. */
  fg: [number, number, number];
  /** Luma column and row means: what the alignment search matches. */
  col: Float32Array;
  row: Float32Array;
}

export function signature(thumb: Thumb, keepThumb = true): CopySignature {
  const G = THUMB;
  if (thumb.length !== G * G * 3) throw new RangeError(`thumbnail must be ${G}×${G}×3 bytes, got ${thumb.length}`);
  const mean = [0, 0, 0] as [number, number, number];
  let n = 0;
  for (let y = 4; y < G - 4; y++)
    for (let x = 4; x < G - 4; x++, n++) for (let c = 0; c < 3; c++) mean[c]! += thumb[(y * G + x) * 3 + c]!;
  for (let c = 0; c < 3; c++) mean[c]! /= n;
  // Border colour: the median of the outer ring, per channel.
  const ring: number[][] = [[], [], []];
  for (let k = 0; k < G; k++)
    for (const [x, y] of [[k, 0], [k, G - 1], [0, k], [G - 1, k]] as const) for (let c = 0; c < 3; c++) ring[c]!.push(thumb[(y * G + x) * 3 + c]!);
  const bg = ring.map((r) => r.sort((a, b) => a - b)[r.length >> 1]!);
  const fg: [number, number, number] = [0, 0, 0];
  let nf = 0;
  for (let y = 2; y < G - 2; y++)
    for (let x = 2; x < G - 2; x++) {
      const o = (y * G + x) * 3;
      if (Math.abs(thumb[o]! - bg[0]!) + Math.abs(thumb[o + 1]! - bg[1]!) + Math.abs(thumb[o + 2]! - bg[2]!) > 60) {
        nf++;
        for (let c = 0; c < 3; c++) fg[c]! += thumb[o + c]!;
      }
    }
  for (let c = 0; c < 3; c++) fg[c] = nf ? fg[c]! / nf : mean[c]!;
  const col = new Float32Array(G);
  const row = new Float32Array(G);
  for (let y = 0; y < G; y++)
    for (let x = 0; x < G; x++) {
      const o = (y * G + x) * 3;
      const l = (0.299 * thumb[o]! + 0.587 * thumb[o + 1]! + 0.114 * thumb[o + 2]!) / G;
      col[x]! += l;
      row[y]! += l;
    }
  return { thumb: keepThumb ? thumb : null, mean, fg, col, row };
}

function profileAt(p: Float32Array, x: number): number {
  const G = THUMB;
  const x0 = Math.max(0, Math.min(G - 1, Math.floor(x)));
  const x1 = Math.min(G - 1, x0 + 1);
  const f = Math.max(0, Math.min(1, x - x0));
  return p[x0]! * (1 - f) + p[x1]! * f;
}

function profileCost(a: Float32Array, b: Float32Array, s: number, o: number): number {
  let d = 0;
  for (let x = 0; x < THUMB; x++) d += Math.abs(b[x]! - profileAt(a, o + s * (x + 0.5) - 0.5));
  return d;
}

/**
 * The window of axis `a` that `b` shows: b(x) ≈ a(o + s·x), s ∈ [0.86, 1]
 * (up to 14 % cropped). Coarse grid, then refined around the best.
 */
function alignAxis(a: Float32Array, b: Float32Array): { s: number; o: number; cost: number } {
  const G = THUMB;
  let best = Infinity;
  let bs = 1;
  let bo = 0;
  for (let s = 0.86; s <= 1.0001; s += 0.02)
    for (let o = 0; o <= G * (1 - s) + 1e-6; o += 0.5) {
      const d = profileCost(a, b, s, o);
      if (d < best) [best, bs, bo] = [d, s, o];
    }
  const [cs, co] = [bs, bo];
  for (let s = Math.max(0.86, cs - 0.01); s <= Math.min(1, cs + 0.01) + 1e-6; s += 0.005)
    for (let o = Math.max(0, co - 0.25); o <= Math.min(G * (1 - s), co + 0.25) + 1e-6; o += 0.125) {
      const d = profileCost(a, b, s, o);
      if (d < best) [best, bs, bo] = [d, s, o];
    }
  return { s: bs, o: bo, cost: best / G };
}

/** Mean absolute colour difference (0..255) between `q` and the best-aligned window of `p`. */
function alignedDifference(p: CopySignature, q: CopySignature, t: Thumb, qt: Thumb): number {
  const G = THUMB;
  const ax = alignAxis(p.col, q.col);
  // The profiles alone already rule out most candidates: skip the 2-D comparison for them.
  if (ax.cost > PROFILE_GATE) return Infinity;
  const ay = alignAxis(p.row, q.row);
  if (ay.cost > PROFILE_GATE) return Infinity;
  let d = 0;
  for (let y = 0; y < G; y++) {
    const sy = ay.o + ay.s * (y + 0.5) - 0.5;
    const y0 = Math.max(0, Math.min(G - 1, Math.floor(sy)));
    const y1 = Math.min(G - 1, y0 + 1);
    const fy = Math.max(0, Math.min(1, sy - y0));
    for (let x = 0; x < G; x++) {
      const sx = ax.o + ax.s * (x + 0.5) - 0.5;
      const x0 = Math.max(0, Math.min(G - 1, Math.floor(sx)));
      const x1 = Math.min(G - 1, x0 + 1);
      const fx = Math.max(0, Math.min(1, sx - x0));
      for (let c = 0; c < 3; c++) {
        const top = t[(y0 * G + x0) * 3 + c]! * (1 - fx) + t[(y0 * G + x1) * 3 + c]! * fx;
        const bottom = t[(y1 * G + x0) * 3 + c]! * (1 - fx) + t[(y1 * G + x1) * 3 + c]! * fx;
        d += Math.abs(qt[(y * G + x) * 3 + c]! - (top * (1 - fy) + bottom * fy));
      }
    }
  }
  return d / (G * G * 3);
}

/** Whichever of the two is the crop of the other, the smaller aligned difference. */
export function copyDistance(a: CopySignature, b: CopySignature, ta: Thumb = a.thumb!, tb: Thumb = b.thumb!): number {
  return Math.min(alignedDifference(a, b, ta, tb), alignedDifference(b, a, tb, ta));
}

export interface CopyMatchOptions {
  /** Largest aligned mean colour difference (0..255) for a copy. */
  maxDifference: number;
  /** Reads a thumbnail when the signatures do not hold them. */
  thumb?: (i: number) => Thumb;
  /** Only pairs where this holds for at least one side (the media new since the last run). */
  involving?: (i: number) => boolean;
  onProgress?: (done: number, total: number) => void;
}

const Q = 12; // overall colour cell side
const FG_Q = 30; // subject colour cell side
// JPEG's chroma subsampling moves the mean of saturated colours by up to 12.7 on a
// re-encoded crop (measured over the pipeline test's transforms; 8 missed copies).
const MEAN_TOLERANCE = 16;
const FG_TOLERANCE = 30;
const PROFILE_TOLERANCE = 10; // unaligned profile difference; 10 loses no recall on the demo (bench/dedup), 7 loses 0.4 %
/** Mean absolute luma difference of aligned row or column profiles above which a pair is not a copy. */
const PROFILE_GATE = 6;

/**
 * Pairs (i < j) whose pictures are crops, shifts or re-framings of one another.
 * Candidates share a cell (or a neighbouring one) in a 6-D grid of the overall
 * and subject colours, so the work grows with the number of similar-looking
 * pictures, not with the square of the corpus.
 */
export function croppedCopyPairs(sigs: readonly (CopySignature | null)[], opts: CopyMatchOptions): Array<[number, number]> {
  const cellOf = (s: CopySignature) => [...s.mean.map((m) => Math.floor(m / Q)), ...s.fg.map((f) => Math.floor(f / FG_Q))];
  const keyOf = (c: number[]) => c.reduce((k, v) => k * 32 + (v + 1), 0);
  const cells = new Map<number, { cell: number[]; items: number[] }>();
  sigs.forEach((s, i) => {
    if (!s) return;
    const cell = cellOf(s);
    const k = keyOf(cell);
    const e = cells.get(k) ?? cells.set(k, { cell, items: [] }).get(k)!;
    e.items.push(i);
  });
  const offsets: number[][] = [[]];
  for (let d = 0; d < 6; d++) offsets.splice(0, offsets.length, ...offsets.flatMap((o) => [-1, 0, 1].map((x) => [...o, x])));
  const out: Array<[number, number]> = [];
  const thumbOf = opts.thumb ?? ((i: number) => sigs[i]!.thumb!);
  const consider = (i: number, j: number) => {
    if (opts.involving && !opts.involving(i) && !opts.involving(j)) return;
    const a = sigs[i]!;
    const b = sigs[j]!;
    if (Math.abs(a.mean[0] - b.mean[0]) > MEAN_TOLERANCE || Math.abs(a.mean[1] - b.mean[1]) > MEAN_TOLERANCE || Math.abs(a.mean[2] - b.mean[2]) > MEAN_TOLERANCE) return;
    if (Math.abs(a.fg[0] - b.fg[0]) > FG_TOLERANCE || Math.abs(a.fg[1] - b.fg[1]) > FG_TOLERANCE || Math.abs(a.fg[2] - b.fg[2]) > FG_TOLERANCE) return;
    let pd = 0;
    for (let x = 0; x < THUMB; x++) pd += Math.abs(a.col[x]! - b.col[x]!) + Math.abs(a.row[x]! - b.row[x]!);
    if (pd / (2 * THUMB) > PROFILE_TOLERANCE) return;
    if (copyDistance(a, b, thumbOf(i), thumbOf(j)) <= opts.maxDifference) out.push(i < j ? [i, j] : [j, i]);
  };
  let done = 0;
  for (const [k, { cell, items }] of cells) {
    for (const off of offsets) {
      const nk = keyOf(cell.map((v, d) => v + off[d]!));
      if (nk < k) continue; // each pair of cells once
      const other = cells.get(nk);
      if (!other) continue;
      if (nk === k) {
        for (let x = 0; x < items.length; x++) for (let y = x + 1; y < items.length; y++) consider(items[x]!, items[y]!);
      } else for (const i of items) for (const j of other.items) consider(i, j);
    }
    done += items.length;
    opts.onProgress?.(done, sigs.length);
  }
  out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return out;
}
