/**
 * Sampling a rectified flow (the same schedule as trainer/flow.py): integrate
 * dx/dt = v from t = 1 (noise) to t = 0 (image) with Euler or Heun steps, or
 * DPM-Solver++(2M) (Lu et al. 2022): one evaluation per step like Euler, but
 * second order, from the image estimates of this step and the one before.
 * Classifier-free guidance runs the conditional and unconditional inputs in
 * one batch, so each step is one call to the denoiser.
 */
import * as ort from 'onnxruntime-node';
import type { LoadedModel } from './model.ts';

export type SamplerMethod = 'euler' | 'heun' | 'dpm2m';
export const SAMPLER_METHODS: readonly SamplerMethod[] = ['euler', 'heun', 'dpm2m'];

export interface SampleOptions {
  steps: number;
  guidance: number;
  method: SamplerMethod;
  shift: number;
  /**
   * Guidance only for steps starting at t in [lo, hi]; the other steps run the captioned half
   * alone, at half the cost. Kynkäänniemi et al. 2024 found guidance at the highest noise
   * levels costs diversity and at the lowest does little. Absent: every step.
   */
  guidanceInterval?: readonly [number, number];
  /** Called after each denoiser evaluation with (done, total) and the current estimate of the images. */
  onStep?: (done: number, total: number) => void;
  /** Called after each step with the current estimate of the finished images (x − t·v), for previews that sharpen. */
  onEstimate?: (x0: Float32Array, step: number, steps: number) => void;
  /** Checked before every denoiser evaluation: cancelling stops the work within one evaluation. */
  signal?: AbortSignal;
}

/** Times from 1 to 0; shift > 1 spends more steps at high noise. Mirrors flow.timesteps. */
export function timesteps(steps: number, shift = 1): number[] {
  const out: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = 1 - i / steps;
    out.push((shift * t) / (1 + (shift - 1) * t));
  }
  return out;
}

/**
 * DPM-Solver++(2M)'s time variable for x_t = (1 − t) x0 + t ε: λ = log((1 − t) / t), the log of
 * the signal-to-noise ratio (−∞ at pure noise, +∞ at the image).
 */
const lambda = (t: number) => Math.log((1 - t) / t);

/**
 * The weight of the previous image estimate in a DPM-Solver++(2M) step from t0 to t1 (the step
 * before started at tPrev): D = x0 + w · (x0 − x0_prev). 0 (first order) where the previous step
 * started at pure noise or this one ends at the image: lower order at both ends, as the paper does.
 */
export function dpm2mWeight(tPrev: number, t0: number, t1: number): number {
  if (!(tPrev < 1) || !(t1 > 0)) return 0;
  const r = (lambda(t0) - lambda(tPrev)) / (lambda(t1) - lambda(t0));
  return 1 / (2 * r);
}

/** Evaluations of the denoiser a sampler needs for `steps` steps. */
export function evaluations(steps: number, method: SamplerMethod): number {
  return method === 'heun' ? 2 * steps - 1 : steps;
}

export interface Conditioning {
  /** Token features and pooled vectors for [prompt, empty prompt]. */
  tokens: ort.Tensor;
  pooled: ort.Tensor;
  ids: ort.Tensor;
}

/** Encodes the prompt and the empty prompt (the unconditional input) in one call. */
export async function encode(model: LoadedModel, prompt: string): Promise<Conditioning> {
  const t = model.tokenizer;
  const rows = [t.encode(prompt), t.encode('')];
  const T = rows[0]?.length ?? 0;
  const ids = new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [2, T]);
  const out = await model.encoder.run({ ids });
  const cond = { tokens: out.tokens as ort.Tensor, pooled: out.pooled as ort.Tensor, ids };
  return model.trimsPadding ? trimPadding(cond) : cond;
}

/**
 * The conditioning without the padding columns after the longest caption. Padding is masked
 * in every attention (its weight is exactly zero), so the denoiser's output is the same; the
 * cross-attention just does less work (a prompt is ~5 tokens of the 40 the encoder takes).
 */
export function trimPadding(c: Conditioning): Conditioning {
  const [rows = 0, T = 0] = c.ids.dims;
  const ids = c.ids.data as BigInt64Array;
  let used = 1;
  for (let r = 0; r < rows; r++) for (let j = T - 1; j >= used; j--) if (ids[r * T + j] !== 0n) { used = j + 1; break; }
  if (used === T) return c;
  const D = c.tokens.dims[2] ?? 0;
  const src = c.tokens.data as Float32Array;
  const tokens = new Float32Array(rows * used * D);
  const cut = new BigInt64Array(rows * used);
  for (let r = 0; r < rows; r++) {
    tokens.set(src.subarray(r * T * D, (r * T + used) * D), r * used * D);
    cut.set(ids.subarray(r * T, r * T + used), r * used);
  }
  return {
    tokens: new ort.Tensor('float32', tokens, [rows, used, D]),
    pooled: c.pooled,
    ids: new ort.Tensor('int64', cut, [rows, used]),
  };
}

/** Repeats row 0 `n` times then row 1 `m` times of a [2, ...] tensor. */
function tile(t: ort.Tensor, n: number, m: number): ort.Tensor {
  const [, ...rest] = t.dims;
  const row = rest.reduce((a, b) => a * b, 1);
  const src = t.data as Float32Array | BigInt64Array;
  const out = new (src.constructor as Float32ArrayConstructor | BigInt64ArrayConstructor)(row * (n + m)) as Float32Array | BigInt64Array;
  for (let i = 0; i < n + m; i++) {
    const from = i < n ? 0 : 1;
    (out as Float32Array).set((src as Float32Array).subarray(from * row, (from + 1) * row), i * row);
  }
  return new ort.Tensor(t.type as 'float32', out as Float32Array, [n + m, ...rest]);
}

/**
 * Runs the sampler from `noise` (n × 3 × S × S, values of a standard normal)
 * and returns the images in the network's range [-1, 1].
 */
export async function sample(model: LoadedModel, cond: Conditioning, noise: Float32Array, n: number, o: SampleOptions): Promise<Float32Array> {
  const S = model.card.imageSize;
  const per = 3 * S * S;
  if (noise.length !== n * per) throw new RangeError(`noise has ${noise.length} values, expected ${n * per}`);
  const guided = o.guidance !== 1;
  const both = {
    tokens: tile(cond.tokens, n, guided ? n : 0),
    pooled: tile(cond.pooled, n, guided ? n : 0),
    ids: tile(cond.ids, n, guided ? n : 0),
  };
  // The captioned half alone, for the steps outside the guidance interval (only an interval has such steps).
  const captioned = guided && o.guidanceInterval ? { tokens: tile(cond.tokens, n, 0), pooled: tile(cond.pooled, n, 0), ids: tile(cond.ids, n, 0) } : both;
  const [lo, hi] = o.guidanceInterval ?? [0, 1];
  const total = evaluations(o.steps, o.method);
  let done = 0;
  const velocity = async (x: Float32Array, t: number): Promise<Float32Array> => {
    o.signal?.throwIfAborted();
    const pair = guided && t >= lo && t <= hi;
    const rows = pair ? 2 * n : n;
    const xin = pair ? new Float32Array(rows * per) : x;
    if (pair) {
      xin.set(x, 0);
      xin.set(x, n * per);
    }
    const out = await model.denoiser.run({
      ...(pair ? both : captioned),
      x: new ort.Tensor('float32', xin, [rows, 3, S, S]),
      t: new ort.Tensor('float32', new Float32Array(rows).fill(t), [rows]),
    });
    const v = (out.velocity as ort.Tensor).data as Float32Array;
    o.onStep?.(++done, total);
    if (!pair) return v.slice(0, n * per);
    const g = o.guidance;
    const res = new Float32Array(n * per);
    for (let i = 0; i < n * per; i++) {
      const vu = v[n * per + i] as number;
      res[i] = vu + g * ((v[i] as number) - vu);
    }
    return res;
  };
  const ts = timesteps(o.steps, o.shift);
  let x = Float32Array.from(noise);
  let prev: Float32Array | null = null; // DPM-Solver++(2M): the image estimate of the step before
  for (let i = 0; i < o.steps; i++) {
    const t0 = ts[i] as number;
    const t1 = ts[i + 1] as number;
    const dt = t1 - t0;
    const v = await velocity(x, t0);
    const x0 = o.onEstimate || o.method === 'dpm2m' ? new Float32Array(x.length) : null;
    if (x0) {
      for (let j = 0; j < x.length; j++) x0[j] = (x[j] as number) - t0 * (v[j] as number);
      o.onEstimate?.(x0, i + 1, o.steps);
    }
    if (o.method === 'dpm2m') {
      // x_t1 = (t1/t0) x_t0 + (1 − t1/t0) D, with D = x0 (that is an Euler step) plus the correction.
      const w = prev ? dpm2mWeight(ts[i - 1] as number, t0, t1) : 0;
      const a = t1 / t0;
      for (let j = 0; j < x.length; j++) {
        const d = (x0![j] as number) + (w ? w * ((x0![j] as number) - (prev![j] as number)) : 0);
        x[j] = a * (x[j] as number) + (1 - a) * d;
      }
      prev = x0;
    } else if (o.method === 'heun' && t1 > 0) {
      const x1 = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) x1[j] = (x[j] as number) + dt * (v[j] as number);
      const v1 = await velocity(x1, t1);
      for (let j = 0; j < x.length; j++) x[j] = (x[j] as number) + dt * 0.5 * ((v[j] as number) + (v1[j] as number));
    } else {
      for (let j = 0; j < x.length; j++) x[j] = (x[j] as number) + dt * (v[j] as number);
    }
  }
  return x;
}
