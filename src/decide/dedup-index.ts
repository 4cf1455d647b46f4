/**
 * All pairs of 256-bit hashes within a Hamming distance, by multi-index
 * hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming Space with
 * Multi-Index Hashing", CVPR 2012).
 *
 * The 256 bits are cut into M = 16 substrings of 16 bits. If two hashes are
 * within distance t, their 16 substring distances sum to ≤ t, so (pigeonhole)
 * at least one substring is within r = ⌊t/16⌋ (r = 1 for PDQ's t = 31).
 * For each substring we bucket the hashes by its 16-bit value (a counting
 * sort into flat arrays, no maps), and enumerate every pair of buckets whose
 * keys are within r — each unordered pair of keys once — and verify each
 * candidate pair with the full 256-bit distance.
 *
 * A pair can collide in several tables; it is emitted only by the first table
 * in which its substrings are within r, so no set of seen pairs is needed.
 *
 * 16-bit substrings suit up to a few hundred thousand hashes (log2 200k ≈ 17.6,
 * the substring length the paper recommends): buckets hold N/65536 hashes on
 * average. Giant buckets (many images with the same low-frequency content)
 * cost bucket² verifications, so:
 * - identical hashes (the same image many times) are collapsed before indexing
 *   and expanded afterwards;
 * - callers should drop low-quality hashes (quality ≤ 49: flat images, whose
 *   hashes are noise and would pile into buckets) before calling;
 * - the rest is measured: on the 3,786 Google emoji (centred round shapes, the
 *   worst case we have for similar low-frequency content) the largest bucket
 *   held 31 hashes against 0.06 expected, and candidates were ~6× the uniform
 *   figure. Shuffling bits between substrings cut that by only ~25%, so the
 *   substrings stay contiguous. nearPairsWithStats reports maxBucket and
 *   candidates for every run.
 * At 200k random hashes with 10% perturbed copies and t = 31: ~2 s on 2 cores.
 */
import { HASH_WORDS as PHASH_WORDS, hexToWords } from './phash.js';

/** 32-bit words per hash (a local constant for the same reason as popcount32 below). */
const HASH_WORDS = 8;
if (PHASH_WORDS !== HASH_WORDS) throw new Error('hash width mismatch');

/**
 * Local copy of phash's popcount: the hot loops call it ~10⁸ times, and an
 * imported binding can reach them as a module-namespace property access (as
 * under vitest's transform), which V8 does not inline: 3× slower.
 */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export type Pair = [number, number, number];

export interface NearPairsOptions {
  /** 'auto' picks brute force below 1200 distinct hashes or for thresholds ≥ 64 (substring radius > 3). */
  strategy?: 'auto' | 'mih' | 'brute';
}

export interface NearPairsStats {
  hashes: number;
  /** Distinct hash values actually indexed. */
  unique: number;
  strategy: 'mih' | 'brute';
  /** Substring search radius r (MIH only). */
  radius: number;
  /** Largest bucket seen in any table (MIH only). */
  maxBucket: number;
  /** Candidate pairs verified with the full distance. */
  candidates: number;
  pairs: number;
  ms: number;
}

const M = 16; // substrings
const SUB_BITS = 16;
const KEYS = 1 << SUB_BITS;
/** Below this many distinct hashes, brute force (n²/2 × 8 popcounts) beats building 16 tables. */
const BRUTE_BELOW = 1200;

/** The 16-bit substring k of hash i. Substring k is hex chars 4k..4k+3. */
function sub(words: Uint32Array, i: number, k: number): number {
  const w = words[i * HASH_WORDS + (k >>> 1)]!;
  return k & 1 ? w & 0xffff : w >>> 16;
}

/** All 16-bit XOR masks of weight 1..r. */
function masksUpTo(r: number): Int32Array {
  const out: number[] = [];
  for (let m = 1; m < KEYS; m++) if (popcount32(m) <= r) out.push(m);
  return Int32Array.from(out);
}

/** Index pairs (i < j) with Hamming distance ≤ threshold, and the distance, sorted by (i, j). */
export function nearPairs(
  hashes: readonly string[],
  threshold: number,
  onProgress?: (done: number, total: number) => void,
  options: NearPairsOptions = {},
): Pair[] {
  return nearPairsWithStats(hashes, threshold, onProgress, options).pairs;
}

export function nearPairsWithStats(
  hashes: readonly string[],
  threshold: number,
  onProgress?: (done: number, total: number) => void,
  options: NearPairsOptions = {},
): { pairs: Pair[]; stats: NearPairsStats } {
  const t0 = performance.now();
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 256) {
    throw new RangeError(`Hamming threshold must be an integer from 0 to 256, got ${threshold}`);
  }

  // Collapse identical hashes: index distinct values, expand afterwards.
  const uniqueOf = new Map<string, number>();
  const memberOf: number[] = new Array(hashes.length);
  const uniqueHex: string[] = [];
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i]!.toLowerCase();
    let u = uniqueOf.get(h);
    if (u === undefined) {
      u = uniqueHex.length;
      uniqueOf.set(h, u);
      uniqueHex.push(h);
    }
    memberOf[i] = u;
  }
  const n = uniqueHex.length;
  const words = new Uint32Array(n * HASH_WORDS);
  for (let u = 0; u < n; u++) {
    try {
      hexToWords(uniqueHex[u]!, words, u * HASH_WORDS);
    } catch {
      const i = memberOf.indexOf(u);
      throw new TypeError(`hash ${i} is not 64 hex characters: ${JSON.stringify(hashes[i]!.slice(0, 80))}`);
    }
  }

  const r = Math.floor(threshold / M);
  const requested = options.strategy ?? 'auto';
  const strategy: 'mih' | 'brute' =
    requested === 'auto' ? (n < BRUTE_BELOW || r > 3 ? 'brute' : 'mih') : requested;
  const found =
    strategy === 'mih' ? mihPairs(words, n, threshold, onProgress) : { ...brutePairs(words, n, threshold, onProgress), maxBucket: 0 };

  // Expand distinct-value pairs to index pairs.
  const members: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < hashes.length; i++) members[memberOf[i]!]!.push(i);
  const pairs: Pair[] = [];
  for (const group of members) {
    for (let a = 0; a < group.length; a++) for (let b = a + 1; b < group.length; b++) pairs.push([group[a]!, group[b]!, 0]);
  }
  const fu = found.pairs;
  for (let p = 0; p < fu.length; p += 3) {
    const ga = members[fu[p]!]!;
    const gb = members[fu[p + 1]!]!;
    const d = fu[p + 2]!;
    for (const i of ga) for (const j of gb) pairs.push(i < j ? [i, j, d] : [j, i, d]);
  }
  pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);

  return {
    pairs,
    stats: {
      hashes: hashes.length,
      unique: n,
      strategy,
      radius: strategy === 'mih' ? r : 0,
      maxBucket: found.maxBucket,
      candidates: found.candidates,
      pairs: pairs.length,
      ms: performance.now() - t0,
    },
  };
}

function distance(words: Uint32Array, a: number, b: number): number {
  let d = 0;
  for (let w = 0; w < HASH_WORDS; w++) d += popcount32(words[a + w]! ^ words[b + w]!);
  return d;
}

/** Growable flat list of (i, j, d) triples. */
class Triples {
  buf = new Int32Array(3 * 1024);
  length = 0;
  push(i: number, j: number, d: number): void {
    if (this.length + 3 > this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = i;
    this.buf[this.length++] = j;
    this.buf[this.length++] = d;
  }
  toArray(): Int32Array {
    return this.buf.subarray(0, this.length);
  }
}

function brutePairs(
  words: Uint32Array,
  n: number,
  t: number,
  onProgress?: (done: number, total: number) => void,
): { pairs: Int32Array; candidates: number } {
  const out = new Triples();
  for (let i = 0; i < n; i++) {
    const a = i * HASH_WORDS;
    for (let j = i + 1; j < n; j++) {
      const d = distance(words, a, j * HASH_WORDS);
      if (d <= t) out.push(i, j, d);
    }
    if (onProgress && (i & 1023) === 1023) onProgress(i + 1, n);
  }
  onProgress?.(n, n);
  return { pairs: out.toArray(), candidates: (n * (n - 1)) / 2 };
}

function mihPairs(
  words: Uint32Array,
  n: number,
  t: number,
  onProgress?: (done: number, total: number) => void,
): { pairs: Int32Array; candidates: number; maxBucket: number } {
  const r = Math.floor(t / M);
  const masks = masksUpTo(r);
  const out = new Triples();
  const start = new Int32Array(KEYS + 1); // bucket v holds order[start[v] .. start[v+1])
  const order = new Int32Array(n);
  const keys = new Uint16Array(n);
  let candidates = 0;
  let maxBucket = 0;

  // Emit (i, j) only from the first table where their substrings are within r.
  const firstTable = (i: number, j: number, k: number): boolean => {
    for (let k2 = 0; k2 < k; k2++) if (popcount32(sub(words, i, k2) ^ sub(words, j, k2)) <= r) return false;
    return true;
  };
  // Verify with early exit: random pairs are ~128 apart, so half the words
  // usually suffice to reject.
  const check = (i: number, j: number, k: number) => {
    const a = i * HASH_WORDS;
    const b = j * HASH_WORDS;
    let d =
      popcount32(words[a]! ^ words[b]!) +
      popcount32(words[a + 1]! ^ words[b + 1]!) +
      popcount32(words[a + 2]! ^ words[b + 2]!) +
      popcount32(words[a + 3]! ^ words[b + 3]!);
    if (d > t) return;
    d +=
      popcount32(words[a + 4]! ^ words[b + 4]!) +
      popcount32(words[a + 5]! ^ words[b + 5]!) +
      popcount32(words[a + 6]! ^ words[b + 6]!) +
      popcount32(words[a + 7]! ^ words[b + 7]!);
    if (d <= t && firstTable(i, j, k)) out.push(i < j ? i : j, i < j ? j : i, d);
  };

  for (let k = 0; k < M; k++) {
    // Counting sort of the hashes by substring k.
    start.fill(0);
    for (let i = 0; i < n; i++) {
      const v = sub(words, i, k);
      keys[i] = v;
      start[v + 1]!++;
    }
    for (let v = 0; v < KEYS; v++) {
      const size = start[v + 1]!;
      if (size > maxBucket) maxBucket = size;
      start[v + 1]! += start[v]!;
    }
    const fill = start.slice(0, KEYS);
    for (let i = 0; i < n; i++) order[fill[keys[i]!]!++] = i;

    for (let v = 0; v < KEYS; v++) {
      const a0 = start[v]!;
      const a1 = start[v + 1]!;
      if (a0 === a1) continue;
      // Pairs inside the bucket (substring distance 0).
      for (let a = a0; a < a1; a++) {
        const i = order[a]!;
        for (let b = a + 1; b < a1; b++) check(i, order[b]!, k);
      }
      candidates += ((a1 - a0) * (a1 - a0 - 1)) / 2;
      // Pairs with buckets whose key is within r and larger (each key pair once).
      for (let mi = 0; mi < masks.length; mi++) {
        const w = v ^ masks[mi]!;
        if (w < v) continue;
        const b0 = start[w]!;
        const b1 = start[w + 1]!;
        if (b0 === b1) continue;
        candidates += (a1 - a0) * (b1 - b0);
        for (let a = a0; a < a1; a++) {
          const i = order[a]!;
          for (let b = b0; b < b1; b++) check(i, order[b]!, k);
        }
      }
    }
    onProgress?.(k + 1, M);
  }
  return { pairs: out.toArray(), candidates, maxBucket };
}

/** Disjoint sets over 0..n−1 (union by size, path halving), to turn near pairs into groups. */
export class UnionFind {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;

  constructor(readonly n: number) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }

  find(x: number): number {
    if (!Number.isInteger(x) || x < 0 || x >= this.n) throw new RangeError(`UnionFind index out of range: ${x}`);
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]!]!;
      x = p[x]!;
    }
    return x;
  }

  /** Merge the sets of a and b; false if they were already one set. */
  union(a: number, b: number): boolean {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return false;
    if (this.size[ra]! < this.size[rb]! || (this.size[ra] === this.size[rb] && rb < ra)) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra]! += this.size[rb]!;
    return true;
  }

  connected(a: number, b: number): boolean {
    return this.find(a) === this.find(b);
  }

  /** Size of the set holding x. */
  setSize(x: number): number {
    return this.size[this.find(x)]!;
  }

  /** Sets with at least `minSize` members, each sorted ascending, ordered by their smallest member. */
  groups(minSize = 2): number[][] {
    const byRoot = new Map<number, number[]>();
    for (let i = 0; i < this.n; i++) {
      const r = this.find(i);
      let g = byRoot.get(r);
      if (!g) byRoot.set(r, (g = []));
      g.push(i);
    }
    return [...byRoot.values()].filter((g) => g.length >= minSize);
  }
}
