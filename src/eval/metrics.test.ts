import { describe, expect, it } from 'vitest';
import {
  covariance,
  diversity,
  frechetDistance,
  frechetFromStats,
  jacobiEigen,
  kid,
  matmul,
  mean,
  pixelDiversity,
  sqrtPsd,
  topK,
  type Matrix,
} from './metrics.ts';

/** Seeded uniform generator (mulberry32) and standard normals (Box–Muller). */
function rng(seed: number): { u: () => number; normal: () => number } {
  let s = seed >>> 0;
  const u = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return { u, normal };
}

function gaussianRows(n: number, mu: number[], sd: number[], seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => mu.map((m, i) => m + sd[i]! * r.normal()));
}

function randomSymmetric(n: number, seed: number): Matrix {
  const r = rng(seed);
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = r.u() * 2 - 1;
      data[i * n + j] = v;
      data[j * n + i] = v;
    }
  }
  return { n, data };
}

/** A random rotation (orthonormal columns, by Gram–Schmidt). */
function randomOrthogonal(n: number, seed: number): Matrix {
  const r = rng(seed);
  const cols: number[][] = [];
  for (let k = 0; k < n; k++) {
    let v = Array.from({ length: n }, () => r.normal());
    for (const c of cols) {
      const dot = v.reduce((a, x, i) => a + x * c[i]!, 0);
      v = v.map((x, i) => x - dot * c[i]!);
    }
    const norm = Math.hypot(...v);
    cols.push(v.map((x) => x / norm));
  }
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) data[i * n + k] = cols[k]![i]!;
  return { n, data };
}

function transpose(m: Matrix): Matrix {
  const data = new Float64Array(m.n * m.n);
  for (let i = 0; i < m.n; i++) for (let j = 0; j < m.n; j++) data[j * m.n + i] = m.data[i * m.n + j]!;
  return { n: m.n, data };
}

function diag(values: number[]): Matrix {
  const n = values.length;
  const data = new Float64Array(n * n);
  values.forEach((v, i) => (data[i * n + i] = v));
  return { n, data };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Closed form for commuting (here: diagonal in a shared basis) covariances. */
function closedForm(mu1: number[], s1: number[], mu2: number[], s2: number[]): number {
  let fd = 0;
  for (let i = 0; i < mu1.length; i++) {
    fd += (mu1[i]! - mu2[i]!) ** 2 + s1[i]! + s2[i]! - 2 * Math.sqrt(s1[i]! * s2[i]!);
  }
  return fd;
}

describe('mean and covariance', () => {
  it('match hand-computed values (covariance divides by n − 1)', () => {
    const rows = [
      [1, 2],
      [3, 6],
      [5, 10],
    ];
    expect(Array.from(mean(rows))).toEqual([3, 6]);
    const c = covariance(rows);
    expect(Array.from(c.data)).toEqual([4, 8, 8, 16]);
  });

  it('accepts Float64Array rows and refuses ragged ones', () => {
    expect(Array.from(mean([Float64Array.from([1, 1]), Float64Array.from([3, 5])]))).toEqual([2, 3]);
    expect(() => mean([[1, 2], [3]])).toThrow(/lengths/);
  });
});

describe('jacobiEigen', () => {
  it('reconstructs a random symmetric matrix as V diag(λ) Vᵀ with orthonormal V', () => {
    for (const n of [1, 2, 5, 24]) {
      const a = randomSymmetric(n, 7 + n);
      const { values, vectors } = jacobiEigen(a);
      const back = matmul(matmul(vectors, diag(Array.from(values))), transpose(vectors));
      expect(maxAbsDiff(back.data, a.data)).toBeLessThan(1e-10);
      const vtv = matmul(transpose(vectors), vectors);
      expect(maxAbsDiff(vtv.data, diag(Array(n).fill(1)).data)).toBeLessThan(1e-10);
    }
  });

  it('finds known eigenvalues of a rotated diagonal matrix', () => {
    const q = randomOrthogonal(6, 3);
    const lambda = [5, 3, 1, 0.5, 0.01, -2];
    const a = matmul(matmul(q, diag(lambda)), transpose(q));
    const got = Array.from(jacobiEigen(a).values).sort((x, y) => x - y);
    expect(maxAbsDiff(got, [...lambda].sort((x, y) => x - y))).toBeLessThan(1e-10);
  });

  it('sqrtPsd squares back to the matrix', () => {
    const q = randomOrthogonal(8, 11);
    const a = matmul(matmul(q, diag([4, 2, 1, 0.5, 0.25, 0.1, 1e-4, 0])), transpose(q));
    const r = sqrtPsd(a);
    expect(maxAbsDiff(matmul(r, r).data, a.data)).toBeLessThan(1e-10);
  });
});

describe('frechetDistance', () => {
  it('is ~0 for identical sets', () => {
    const rows = gaussianRows(200, [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 0.5, 1, 1, 3, 0.1, 1], 1);
    expect(frechetDistance(rows, rows)).toBeLessThan(1e-8);
    // Rank-deficient covariance (fewer rows than dimensions) still works.
    const few = gaussianRows(5, Array(16).fill(0), Array(16).fill(1), 2);
    expect(frechetDistance(few, few)).toBeLessThan(1e-8);
  });

  it('matches the closed form for diagonal covariances (exact statistics)', () => {
    const mu1 = [0, 1, -2, 0.5];
    const mu2 = [1, 1, 0, -0.5];
    const s1 = [1, 4, 0.25, 2];
    const s2 = [2, 1, 0.25, 0.5];
    const fd = frechetFromStats({ mean: Float64Array.from(mu1), cov: diag(s1) }, { mean: Float64Array.from(mu2), cov: diag(s2) });
    expect(fd).toBeCloseTo(closedForm(mu1, s1, mu2, s2), 10);
  });

  it('matches the closed form when both covariances are rotated by the same basis', () => {
    const q = randomOrthogonal(5, 5);
    const s1 = [3, 1, 0.5, 2, 0.1];
    const s2 = [1, 1, 2, 0.2, 0.4];
    const rot = (s: number[]): Matrix => matmul(matmul(q, diag(s)), transpose(q));
    const mu1 = [0, 0, 0, 0, 0];
    const mu2 = [1, 0, -1, 0, 2];
    const fd = frechetFromStats({ mean: Float64Array.from(mu1), cov: rot(s1) }, { mean: Float64Array.from(mu2), cov: rot(s2) });
    expect(fd).toBeCloseTo(closedForm(mu1, s1, mu2, s2), 9);
  });

  it('matches tr √(S₁S₂) from the 2×2 eigenvalue formula for non-commuting covariances', () => {
    const s1 = { n: 2, data: Float64Array.from([2, 0.7, 0.7, 1]) };
    const s2 = { n: 2, data: Float64Array.from([1, -0.4, -0.4, 3]) };
    const p = matmul(s1, s2).data; // not symmetric; its eigenvalues are real and positive
    const tr = p[0]! + p[3]!;
    const det = p[0]! * p[3]! - p[1]! * p[2]!;
    const disc = Math.sqrt(tr * tr - 4 * det);
    const trSqrt = Math.sqrt((tr + disc) / 2) + Math.sqrt((tr - disc) / 2);
    const expected = 3 + 4 - 2 * trSqrt; // |Δμ|² = 0, tr S₁ = 3, tr S₂ = 4
    const fd = frechetFromStats({ mean: new Float64Array(2), cov: s1 }, { mean: new Float64Array(2), cov: s2 });
    expect(fd).toBeCloseTo(expected, 10);
  });

  it('estimates the closed form from samples of two Gaussians, and is symmetric', () => {
    const mu1 = [0, 0, 0, 0];
    const mu2 = [1, -0.5, 0, 0.5];
    const sd1 = [1, 2, 0.5, 1];
    const sd2 = [1.5, 1, 0.5, 0.5];
    const a = gaussianRows(20000, mu1, sd1, 3);
    const b = gaussianRows(20000, mu2, sd2, 4);
    const expected = closedForm(mu1, sd1.map((s) => s * s), mu2, sd2.map((s) => s * s));
    const fd = frechetDistance(a, b);
    expect(Math.abs(fd - expected)).toBeLessThan(0.05 * expected);
    expect(frechetDistance(b, a)).toBeCloseTo(fd, 8);
  });
});

describe('kid', () => {
  it('is ~0 for two samples of one distribution and clearly positive for a shifted one', () => {
    const d = 8;
    const a = gaussianRows(400, Array(d).fill(0), Array(d).fill(1), 10);
    const b = gaussianRows(400, Array(d).fill(0), Array(d).fill(1), 11);
    const c = gaussianRows(400, Array(d).fill(1), Array(d).fill(1), 12);
    const same = kid(a, b, { subsets: 20, subsetSize: 200, seed: 1 });
    const shifted = kid(a, c, { subsets: 20, subsetSize: 200, seed: 1 });
    expect(Math.abs(same.mean)).toBeLessThan(0.05);
    expect(shifted.mean).toBeGreaterThan(1);
    expect(shifted.mean).toBeGreaterThan(10 * (Math.abs(same.mean) + same.std));
    expect(same.std).toBeGreaterThanOrEqual(0);
  });

  it('is reproducible for a seed and refuses sets too small or of different widths', () => {
    const a = gaussianRows(50, [0, 0], [1, 1], 1);
    const b = gaussianRows(50, [0, 1], [1, 1], 2);
    expect(kid(a, b, { subsets: 5, seed: 9 })).toEqual(kid(a, b, { subsets: 5, seed: 9 }));
    expect(() => kid([[1, 2]], b)).toThrow(/two rows/);
    expect(() => kid(a, [[1, 2, 3], [4, 5, 6]])).toThrow(/dimensions/);
  });
});

describe('topK', () => {
  it('returns the indices of the largest logits, largest first', () => {
    expect(topK([0.1, 3, -1, 2, 5], 3)).toEqual([4, 1, 3]);
    expect(topK([1, 1, 0], 2)).toEqual([0, 1]);
    expect(topK([NaN, 0, -5], 2)).toEqual([1, 2]);
    expect(topK(Float32Array.from([2, 1]), 5)).toEqual([0, 1]);
    expect(topK([1, 2], 0)).toEqual([]);
  });
});

describe('diversity', () => {
  it('is 0 for four identical feature vectors and grows with difference', () => {
    const f = [0.3, -1, 2, 0.5];
    expect(diversity([f, f, f, f])).toBeCloseTo(0, 12);
    // Pairs at 90° (distance 1) four times, opposite (distance 2) twice: 8/6.
    expect(diversity([[1, 0], [0, 1], [-1, 0], [0, -1]])).toBeCloseTo(4 / 3, 12);
    expect(diversity([[1, 0], [1, 0.1], [1, 0], [1, 0]])).toBeGreaterThan(0);
    expect(diversity([[1, 2]])).toBe(0);
  });

  it('pixelDiversity is the mean pairwise mean-absolute difference over 255', () => {
    const a = new Uint8Array([0, 0, 0, 0]);
    const b = new Uint8Array([255, 255, 255, 255]);
    expect(pixelDiversity([a, a, a, a])).toBe(0);
    expect(pixelDiversity([a, b])).toBe(1);
    // pairs (a,a)=0, (a,b)=1, (a,b)=1 → 2/3
    expect(pixelDiversity([a, a, b])).toBeCloseTo(2 / 3, 12);
    expect(() => pixelDiversity([a, new Uint8Array(3)])).toThrow(/bytes/);
  });
});
