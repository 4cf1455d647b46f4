/**
 * The samplers against an exact solution. For Gaussian data x0 ~ N(mu, s²) the rectified flow's
 * velocity is known in closed form, and the ODE carries noise z to mu + s·z along
 * x(t) = (1 − t)·mu + sqrt((1 − t)²s² + t²)·z. A fake denoiser gives that velocity, so each
 * sampler's error, and how fast it falls with more steps (its order), can be measured.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import type { LoadedModel } from './model.ts';
import { dpm2mWeight, evaluations, sample, timesteps, type Conditioning, type SamplerMethod } from './sampler.ts';

const MU = 0.3;
const S2 = 0.25; // the data's variance

/** E[noise − x0 | x_t] for Gaussian data, per value. */
function velocity(x: number, t: number): number {
  const varT = (1 - t) ** 2 * S2 + t * t;
  const centred = x - (1 - t) * MU;
  return ((t - (1 - t) * S2) / varT) * centred - MU;
}

const SIDE = 2;
const fake = (calls: number[]): LoadedModel =>
  ({
    card: { imageSize: SIDE },
    denoiser: {
      run: async (feeds: Record<string, ort.Tensor>) => {
        const x = feeds.x!.data as Float32Array;
        const t = (feeds.t!.data as Float32Array)[0]!;
        calls.push(t);
        return { velocity: new ort.Tensor('float32', x.map((v) => velocity(v, t)), feeds.x!.dims) };
      },
    },
  }) as unknown as LoadedModel;

const cond: Conditioning = {
  tokens: new ort.Tensor('float32', new Float32Array(2 * 2), [2, 1, 2]),
  pooled: new ort.Tensor('float32', new Float32Array(2 * 2), [2, 2]),
  ids: new ort.Tensor('int64', new BigInt64Array(2), [2, 1]),
};
const noise = Float32Array.from({ length: 3 * SIDE * SIDE }, (_, i) => -1.5 + 0.27 * i);

async function error(method: SamplerMethod, steps: number, shift = 1): Promise<number> {
  const calls: number[] = [];
  const x = await sample(fake(calls), cond, noise, 1, { steps, guidance: 1, method, shift });
  expect(calls).toHaveLength(evaluations(steps, method));
  let worst = 0;
  noise.forEach((z, i) => (worst = Math.max(worst, Math.abs(x[i]! - (MU + Math.sqrt(S2) * z)))));
  return worst;
}

describe('samplers', () => {
  it('Euler is first order: twice the steps, half the error', async () => {
    const ratio = (await error('euler', 10)) / (await error('euler', 20));
    expect(ratio).toBeGreaterThan(1.7);
    expect(ratio).toBeLessThan(2.4);
  });

  it('DPM-Solver++(2M) at one evaluation per step beats Euler with two and a half times the steps', async () => {
    // Measured: Euler 8 / 16 / 20 steps 0.128 / 0.066 / 0.053; 2M 8 / 16 / 32 steps 0.026 / 0.0085 / 0.0051.
    // Not a clean order 2: the last step, into t = 0 where log-SNR is infinite, is first order, as in the paper.
    const e8 = await error('dpm2m', 8);
    expect(e8).toBeLessThan((await error('euler', 8)) / 4);
    expect(e8).toBeLessThan((await error('euler', 20)) / 2);
    expect(await error('dpm2m', 16)).toBeLessThan(e8 / 2.5);
  });

  it('the 2M weight is 1/(2r) in log-SNR steps, and 0 at both ends', () => {
    const ts = timesteps(4);
    expect(dpm2mWeight(1, ts[1]!, ts[2]!)).toBe(0); // the step before began at pure noise
    expect(dpm2mWeight(ts[2]!, ts[3]!, 0)).toBe(0); // this one ends at the image
    const lam = (t: number) => Math.log((1 - t) / t);
    const [a, b, c] = [0.75, 0.5, 0.25];
    expect(dpm2mWeight(a, b, c)).toBeCloseTo((lam(c) - lam(b)) / (2 * (lam(b) - lam(a))), 12);
  });
});
