/**
 * Evaluation metrics over the judge's outputs (trainer/judge.py: `logits` and
 * `features` of each 32×32 picture). Pure TypeScript, no dependencies: the
 * feature dimension is ~128, so a 128×128 symmetric eigenproblem solved by
 * cyclic Jacobi takes milliseconds and needs no linear-algebra package.
 *
 * - Fréchet distance (FID's formula in the judge's feature space): how far the
 *   Gaussian fitted to generated features is from the one fitted to real ones.
 * - KID: an unbiased kernel MMD², which, unlike FD, has no bias that depends on
 *   the sample size, so small generated sets can be compared fairly.
 * - topK: the prompted emoji should be among the judge's first k guesses.
 * - diversity / pixelDiversity: whether a set of four pictures for one prompt
 *   differ (in meaning, and in pixels), i.e. whether the sampler collapsed.
 */

/** Feature rows: one vector per picture, all of the same length. */
export type Rows = ReadonlyArray<ArrayLike<number>>;

/** A symmetric (or any square) matrix, row-major in a Float64Array of n×n. */
export interface Matrix {
  n: number;
  data: Float64Array;
}

/** Mean and covariance of a feature set, kept so the real set's are computed once. */
export interface FeatureStats {
  n: number;
  mean: Float64Array;
  cov: Matrix;
}

function dimOf(rows: Rows, what: string): number {
  const first = rows[0];
  if (!first) throw new Error(`${what}: no feature rows`);
  const d = first.length;
  for (const r of rows) {
    if (r.length !== d) throw new Error(`${what}: rows of lengths ${d} and ${r.length}`);
  }
  return d;
}

/** Column means of the rows. */
export function mean(rows: Rows): Float64Array {
  const d = dimOf(rows, 'mean');
  const mu = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mu[j]! += r[j]!;
  for (let j = 0; j < d; j++) mu[j]! /= rows.length;
  return mu;
}

/**
 * Sample covariance (divides by n − 1, as numpy's `cov` and every FID
 * implementation do), centred on `mu` when given.
 */
export function covariance(rows: Rows, mu: Float64Array = mean(rows)): Matrix {
  const d = dimOf(rows, 'covariance');
  if (rows.length < 2) throw new Error('covariance: needs at least two rows');
  const data = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (const r of rows) {
    for (let j = 0; j < d; j++) c[j] = r[j]! - mu[j]!;
    for (let i = 0; i < d; i++) {
      const ci = c[i]!;
      if (ci === 0) continue;
      const off = i * d;
      for (let j = i; j < d; j++) data[off + j]! += ci * c[j]!;
    }
  }
  const k = 1 / (rows.length - 1);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = data[i * d + j]! * k;
      data[i * d + j] = v;
      data[j * d + i] = v;
    }
  }
  return { n: d, data };
}

export function featureStats(rows: Rows): FeatureStats {
  const mu = mean(rows);
  return { n: rows.length, mean: mu, cov: covariance(rows, mu) };
}

/** Product of two n×n matrices. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  const n = a.n;
  if (b.n !== n) throw new Error('matmul: sizes differ');
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a.data[i * n + k]!;
      if (aik === 0) continue;
      const bo = k * n;
      const oo = i * n;
      for (let j = 0; j < n; j++) out[oo + j]! += aik * b.data[bo + j]!;
    }
  }
  return { n, data: out };
}

export interface Eigen {
  /** Eigenvalues, in no particular order. */
  values: Float64Array;
  /** Eigenvectors as columns: vectors.data[i*n + k] is component i of vector k. */
  vectors: Matrix;
  sweeps: number;
}

/**
 * Eigen decomposition of a symmetric matrix by the cyclic Jacobi method.
 *
 * Each rotation zeroes one off-diagonal pair; sweeping over every pair again
 * and again converges quadratically once the matrix is nearly diagonal
 * (typically 6–10 sweeps). Jacobi is slower than QR on large matrices but is
 * short, unconditionally stable, and accurate for the small eigenvalues that
 * a covariance's square root depends on. The input is symmetrised first
 * ((A + Aᵀ)/2), so rounding asymmetry in a product like √S₁ S₂ √S₁ is harmless.
 */
export function jacobiEigen(m: Matrix, maxSweeps = 100): Eigen {
  const n = m.n;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (m.data[i * n + j]! + m.data[j * n + i]!);
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;

  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i]! * a[i]!;
  const tiny = total * 1e-30;

  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    if (off <= tiny || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        // Skip what is already negligible next to both diagonal entries (Numerical Recipes' test).
        if (sweeps > 3 && Math.abs(apq) * 1e18 < Math.abs(app) && Math.abs(apq) * 1e18 < Math.abs(aqq)) {
          a[p * n + q] = 0;
          a[q * n + p] = 0;
          continue;
        }
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Pᵀ A P with P the rotation in the (p, q) plane: columns, then rows.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: { n, data: v }, sweeps };
}

/**
 * Square root of a symmetric positive semi-definite matrix: V diag(√λ) Vᵀ.
 * Eigenvalues below zero (rounding, or a rank-deficient covariance of fewer
 * samples than dimensions) are taken as zero.
 */
export function sqrtPsd(m: Matrix): Matrix {
  const n = m.n;
  const { values, vectors } = jacobiEigen(m);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(0, values[k]!));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors.data[i * n + k]! * r;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += vik * vectors.data[j * n + k]!;
    }
  }
  return { n, data: out };
}

function trace(m: Matrix): number {
  let t = 0;
  for (let i = 0; i < m.n; i++) t += m.data[i * m.n + i]!;
  return t;
}

/**
 * Fréchet distance between two Gaussians:
 *   |μ₁ − μ₂|² + tr S₁ + tr S₂ − 2 tr (√S₁ S₂ √S₁)^½.
 * tr (S₁S₂)^½ is computed through the symmetric √S₁ S₂ √S₁ (same eigenvalues
 * as S₁S₂) so that only symmetric eigenproblems are needed. Rounding can make
 * the result a hair below zero for identical sets; it is clamped at 0.
 */
export function frechetFromStats(a: Pick<FeatureStats, 'mean' | 'cov'>, b: Pick<FeatureStats, 'mean' | 'cov'>): number {
  const n = a.cov.n;
  if (b.cov.n !== n || a.mean.length !== n || b.mean.length !== n) throw new Error('frechet: feature dimensions differ');
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (a.mean[i]! - b.mean[i]!) ** 2;
  const r1 = sqrtPsd(a.cov);
  const inner = matmul(matmul(r1, b.cov), r1);
  const { values } = jacobiEigen(inner);
  let trSqrt = 0;
  for (const l of values) trSqrt += Math.sqrt(Math.max(0, l));
  return Math.max(0, d2 + trace(a.cov) + trace(b.cov) - 2 * trSqrt);
}

/** Fréchet distance between the Gaussians fitted to two feature sets (FID's formula). */
export function frechetDistance(featsA: Rows, featsB: Rows): number {
  return frechetFromStats(featureStats(featsA), featureStats(featsB));
}

/** mulberry32: a small seeded generator, so KID's subsets are reproducible. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** m distinct indices of 0..n−1 (partial Fisher–Yates). */
function sample(n: number, m: number, rnd: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rnd() * (n - i));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, m);
}

export interface KidOptions {
  /** Number of random subsets averaged over (default 100). */
  subsets?: number;
  /** Rows drawn from each set per subset (default 1000, capped at the smaller set's size). */
  subsetSize?: number;
  seed?: number;
}

/**
 * Kernel Inception Distance (Bińkowski et al., 2018) in the judge's feature
 * space: the unbiased estimate of MMD² with the cubic polynomial kernel
 * k(x, y) = (x·y/d + 1)³, averaged over random equal-size subsets of the two
 * sets. Unbiased means the expected value is 0 when both sets come from the
 * same distribution, whatever the subset size, so a mean slightly below 0 is
 * possible and meaningful. Returns the mean and the (population) standard
 * deviation over subsets.
 */
export function kid(featsA: Rows, featsB: Rows, opts: KidOptions = {}): { mean: number; std: number } {
  const d = dimOf(featsA, 'kid');
  if (dimOf(featsB, 'kid') !== d) throw new Error('kid: feature dimensions differ');
  const subsets = opts.subsets ?? 100;
  const m = Math.min(opts.subsetSize ?? 1000, featsA.length, featsB.length);
  if (m < 2) throw new Error('kid: needs at least two rows in each set');
  const rnd = mulberry32(opts.seed ?? 0);
  const k = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += x[i]! * y[i]!;
    return (dot / d + 1) ** 3;
  };
  const est: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const x = sample(featsA.length, m, rnd).map((i) => featsA[i]!);
    const y = sample(featsB.length, m, rnd).map((i) => featsB[i]!);
    let kxx = 0;
    let kyy = 0;
    let kxy = 0;
    for (let i = 0; i < m; i++) {
      for (let j = i + 1; j < m; j++) {
        kxx += k(x[i]!, x[j]!);
        kyy += k(y[i]!, y[j]!);
      }
      for (let j = 0; j < m; j++) kxy += k(x[i]!, y[j]!);
    }
    // Off-diagonal sums counted once above; each appears twice in the full matrix.
    est.push((2 * (kxx + kyy)) / (m * (m - 1)) - (2 * kxy) / (m * m));
  }
  const mu = est.reduce((a, b) => a + b, 0) / est.length;
  const variance = est.reduce((a, b) => a + (b - mu) ** 2, 0) / est.length;
  return { mean: mu, std: Math.sqrt(variance) };
}

/**
 * Indices of the k largest logits, largest first (ties: lower index first;
 * NaN ranks last). Faithfulness asks whether the prompted emoji's index is
 * among them.
 */
export function topK(logits: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: logits.length }, (_, i) => i);
  const key = (i: number): number => {
    const v = logits[i]!;
    return Number.isNaN(v) ? -Infinity : v;
  };
  idx.sort((a, b) => key(b) - key(a) || a - b);
  return idx.slice(0, Math.max(0, Math.min(k, idx.length)));
}

/** 1 − cosine similarity; 0 for two zero vectors (identical), 1 when only one is zero. */
export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error('cosineDistance: lengths differ');
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 && nb === 0) return 0;
  if (na === 0 || nb === 0) return 1;
  return 1 - dot / Math.sqrt(na * nb);
}

/**
 * Mean pairwise cosine distance of the judge's features of a set (four
 * pictures for one prompt): 0 when the sampler gives the same picture four
 * times. Features rather than pixels, so that the same emoji shifted by a
 * pixel does not count as diverse. 0 for fewer than two rows.
 */
export function diversity(features: Rows): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < features.length; i++) {
    for (let j = i + 1; j < features.length; j++) {
      sum += cosineDistance(features[i]!, features[j]!);
      pairs++;
    }
  }
  return pairs ? sum / pairs : 0;
}

/**
 * Mean pairwise mean-absolute pixel difference, divided by 255 (so 0..1), of
 * same-size 8-bit images (any layout, e.g. RGB bytes). A check on `diversity`
 * that does not depend on the judge: different backgrounds or placements show
 * here even when the judge sees the same emoji. 0 for fewer than two images.
 */
export function pixelDiversity(images: ReadonlyArray<Uint8Array>): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      const a = images[i]!;
      const b = images[j]!;
      if (a.length !== b.length) throw new Error(`pixelDiversity: images of ${a.length} and ${b.length} bytes`);
      if (a.length === 0) continue;
      let d = 0;
      for (let p = 0; p < a.length; p++) d += Math.abs(a[p]! - b[p]!);
      sum += d / a.length / 255;
      pairs++;
    }
  }
  return pairs ? sum / pairs : 0;
}
