import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { UnionFind, nearPairs, nearPairsWithStats, type Pair } from './dedup-index.js';
import { flipBits, hammingHex, phashOfImage } from './phash.js';
import { Rng } from '../core/prng.ts';

/** Reference: every pair, full distance. */
function bruteForce(hashes: string[], t: number): Pair[] {
  const out: Pair[] = [];
  for (let i = 0; i < hashes.length; i++) {
    for (let j = i + 1; j < hashes.length; j++) {
      const d = hammingHex(hashes[i]!, hashes[j]!);
      if (d <= t) out.push([i, j, d]);
    }
  }
  return out;
}

/** The project's seeded generator (src/ingest/demo/prng.ts) as a plain function. */
function prng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}
function randomHex(rnd: () => number): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(rnd() * 2 ** 32).toString(16).padStart(8, '0');
  return s;
}
function perturb(hex: string, flips: number, rnd: () => number): string {
  const bits = new Set<number>();
  while (bits.size < flips) bits.add(Math.floor(rnd() * 256));
  return flipBits(hex, bits);
}

/** Random hashes, perturbed copies (chains too: copies of copies) and exact duplicates. */
function clustered(seed: number, n: number, maxFlips: number): string[] {
  const rnd = prng(seed);
  const hs: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (hs.length === 0 || r < 0.4) hs.push(randomHex(rnd));
    else if (r < 0.95) hs.push(perturb(hs[Math.floor(rnd() * hs.length)]!, Math.floor(rnd() * (maxFlips + 1)), rnd));
    else hs.push(hs[Math.floor(rnd() * hs.length)]!);
  }
  return hs;
}

/**
 * Hashes concentrated in a few substring values: every hash shares most of its
 * 16-bit substrings with one of a few prototypes, so MIH buckets are giant.
 */
function skewed(seed: number, n: number): string[] {
  const rnd = prng(seed);
  const protos = [randomHex(rnd), randomHex(rnd)];
  return Array.from({ length: n }, () => {
    const p = protos[Math.floor(rnd() * protos.length)]!;
    // Randomise whole 16-bit substrings (4 hex chars) in a few places.
    const chars = p.split('');
    const k = 1 + Math.floor(rnd() * 6);
    for (let s = 0; s < k; s++) {
      const at = Math.floor(rnd() * 16) * 4;
      const v = randomHex(rnd).slice(0, 4);
      chars.splice(at, 4, ...v);
    }
    return perturb(chars.join(''), Math.floor(rnd() * 4), rnd);
  });
}

const THRESHOLDS = [0, 1, 7, 15, 16, 17, 24, 31, 32, 40, 47, 48, 55];

describe('nearPairs (multi-index hashing) agrees with brute force', () => {
  it('on random and clustered data, for thresholds giving r = 0, 1, 2, 3', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 400 }),
        fc.constantFrom(...THRESHOLDS),
        fc.integer({ min: 0, max: 60 }),
        (seed, n, t, maxFlips) => {
          const hs = clustered(seed, n, maxFlips);
          const expected = bruteForce(hs, t);
          expect(nearPairs(hs, t, undefined, { strategy: 'mih' })).toEqual(expected);
          expect(nearPairs(hs, t, undefined, { strategy: 'brute' })).toEqual(expected);
          expect(nearPairs(hs, t)).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('on skewed data with giant buckets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.constantFrom(15, 31, 40), (seed, t) => {
        const hs = skewed(seed, 300);
        const { pairs, stats } = nearPairsWithStats(hs, t, undefined, { strategy: 'mih' });
        expect(pairs).toEqual(bruteForce(hs, t));
        expect(stats.maxBucket).toBeGreaterThan(50); // the guard is measured, not assumed
      }),
      { numRuns: 15 },
    );
  });

  it('finds pairs exactly at the threshold and not one bit beyond', () => {
    const rnd = prng(7);
    const a = randomHex(rnd);
    for (const t of [0, 15, 16, 31, 32, 47]) {
      const hs = [a, perturb(a, t, rnd), perturb(a, t + 1, rnd)];
      const got = nearPairs(hs, t, undefined, { strategy: 'mih' });
      expect(got.some(([i, j, d]) => i === 0 && j === 1 && d === t)).toBe(true);
      expect(got.some(([i, j]) => i === 0 && j === 2)).toBe(false);
    }
  });

  it('expands identical hashes into all their pairs at distance 0', () => {
    const rnd = prng(3);
    const a = randomHex(rnd);
    const b = perturb(a, 5, rnd);
    const hs = [a, b, a.toUpperCase(), randomHex(rnd), a];
    expect(nearPairs(hs, 10, undefined, { strategy: 'mih' })).toEqual([
      [0, 1, 5],
      [0, 2, 0],
      [0, 4, 0],
      [1, 2, 5],
      [1, 4, 5],
      [2, 4, 0],
    ]);
  });

  it('reports progress and refuses bad input', () => {
    const hs = clustered(11, 50, 10);
    const seen: Array<[number, number]> = [];
    nearPairs(hs, 31, (done, total) => seen.push([done, total]), { strategy: 'mih' });
    expect(seen.at(-1)).toEqual([16, 16]);
    expect(seen.every(([d], i) => i === 0 || d > seen[i - 1]![0])).toBe(true);
    expect(() => nearPairs(['abc'], 31)).toThrow(/hash 0 is not 64 hex characters/);
    expect(() => nearPairs(hs, 31.5)).toThrow(/integer from 0 to 256/);
    expect(() => nearPairs(hs, -1)).toThrow(RangeError);
    expect(nearPairs([], 31)).toEqual([]);
  });
});

describe('nearPairs on real perceptual hashes', () => {
  it('agrees with brute force on emoji artwork and measures bucket skew', async () => {
    // Emoji are the worst case for low-frequency similarity: centred round
    // shapes on transparent backgrounds, skin-tone variants with equal luma.
    const require = createRequire(import.meta.url);
    const dir = path.join(path.dirname(require.resolve('emoji-datasource-google/package.json')), 'img/google/64');
    const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort().filter((_, i) => i % 6 === 0);
    const hs: string[] = [];
    for (const f of files) hs.push((await phashOfImage(await sharp(path.join(dir, f)).toBuffer())).hash);
    for (const t of [31, 47]) {
      const { pairs, stats } = nearPairsWithStats(hs, t, undefined, { strategy: 'mih' });
      expect(pairs).toEqual(bruteForce(hs, t));
      // Expected candidates if substrings were uniform: 16 tables × (keys within r) × n² / (2 · 65536).
      const keysWithin = [1, 17, 137, 697][stats.radius]!;
      const uniform = (16 * keysWithin * stats.unique ** 2) / 2 / 65536;
      console.log(
        `emoji phashes n=${hs.length} t=${t}: max bucket ${stats.maxBucket} (uniform ≈ ${(stats.unique / 65536).toFixed(2)}), ` +
          `candidates ${stats.candidates} (uniform, r=${stats.radius}: ≈ ${Math.round(uniform)}), pairs ${stats.pairs}`,
      );
    }
  });
});

describe('nearPairs benchmark (not timed-asserted)', () => {
  const N = Number(process.env.VITRINE_DEDUP_BENCH_N ?? 200_000);
  it(`${N} hashes with ~10% perturbed copies`, () => {
    const rnd = prng(20260101);
    const base = Math.floor(N * 0.9);
    const hs: string[] = [];
    for (let i = 0; i < base; i++) hs.push(randomHex(rnd));
    const planted: Array<[number, number]> = [];
    for (let i = base; i < N; i++) {
      const src = Math.floor(rnd() * base);
      const flips = Math.floor(rnd() * 41); // 0..40: about three quarters within 31
      hs.push(perturb(hs[src]!, flips, rnd));
      if (flips <= 31) planted.push([src, i]);
    }
    let lastProgress = 0;
    const { pairs, stats } = nearPairsWithStats(hs, 31, (done) => (lastProgress = done));
    console.log(
      `nearPairs: ${N} hashes, t=31: ${stats.ms.toFixed(0)} ms, strategy ${stats.strategy}, ` +
        `max bucket ${stats.maxBucket}, candidates ${stats.candidates}, pairs ${stats.pairs}`,
    );
    expect(stats.strategy).toBe('mih');
    expect(lastProgress).toBe(16);
    const found = new Set(pairs.map(([i, j]) => `${i},${j}`));
    for (const [i, j] of planted) expect(found.has(`${i},${j}`)).toBe(true);
    for (const [i, j, d] of pairs.slice(0, 2000)) expect(hammingHex(hs[i]!, hs[j]!)).toBe(d);
  });
});

describe('UnionFind', () => {
  it('groups near pairs into connected components', () => {
    const uf = new UnionFind(7);
    for (const [i, j] of [[0, 3], [3, 5], [1, 2], [6, 6]] as const) uf.union(i, j);
    expect(uf.groups()).toEqual([[0, 3, 5], [1, 2]]);
    expect(uf.groups(1)).toEqual([[0, 3, 5], [1, 2], [4], [6]]);
    expect(uf.connected(0, 5)).toBe(true);
    expect(uf.connected(0, 1)).toBe(false);
    expect(uf.union(5, 0)).toBe(false);
    expect(uf.setSize(3)).toBe(3);
    expect(() => uf.find(7)).toThrow(RangeError);
  });

  it('matches a naive labelling (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((n) =>
          fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 80 })),
        ),
        ([n, edges]) => {
          const uf = new UnionFind(n);
          const label = Array.from({ length: n }, (_, i) => i);
          for (const [a, b] of edges) {
            uf.union(a, b);
            const la = label[a]!, lb = label[b]!;
            for (let i = 0; i < n; i++) if (label[i] === lb) label[i] = la;
          }
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(uf.connected(i, j)).toBe(label[i] === label[j]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
