/**
 * The samplers against an exact solution. For Gaussian data x0 ~ N(mu, s²) the rectified flow's
 * velocity is known in closed form, and the ODE carries noise z to mu + s·z along
 * x(t) = (1 − t)·mu + sqrt((1 − t)²s² + t²)·z. A fake denoiser gives that velocity, so each
 * sampler's error, and how fast it falls with more steps (its order), can be measured.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import type { LoadedModel } from './model.ts';
import { dpm2mWeight, evaluations, sample, timesteps, trimPadding, type Conditioning, type SamplerMethod } from './sampler.ts';

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

  it('a guidance interval guides only the steps starting inside it, the others run the captioned half alone', async () => {
    // A denoiser whose captioned rows say velocity + 1 and whose empty-caption rows say velocity: a guided
    // step then moves by velocity + g, an unguided one by velocity + 1.
    const g = 3;
    const rows: [number, number][] = [];
    const model = {
      card: { imageSize: SIDE },
      denoiser: {
        run: async (feeds: Record<string, ort.Tensor>) => {
          const n = feeds.x!.dims[0]!;
          expect(feeds.tokens!.dims[0]).toBe(n);
          expect(feeds.ids!.dims[0]).toBe(n);
          const t = (feeds.t!.data as Float32Array)[0]!;
          rows.push([t, n]);
          const x = feeds.x!.data as Float32Array;
          const per = x.length / n;
          return { velocity: new ort.Tensor('float32', x.map((v, i) => velocity(v, t) + (n === 2 && i >= per ? 0 : 1)), feeds.x!.dims) };
        },
      },
    } as unknown as LoadedModel;
    const x = await sample(model, cond, noise, 1, { steps: 8, guidance: g, method: 'euler', shift: 1, guidanceInterval: [0.2, 0.9] });
    expect(rows.map(([t, n]) => [Number(t.toFixed(3)), n])).toEqual([[1, 1], [0.875, 2], [0.75, 2], [0.625, 2], [0.5, 2], [0.375, 2], [0.25, 2], [0.125, 1]]);
    // The same path from a denoiser that adds g inside the interval and 1 outside, unguided.
    const shifted = {
      card: { imageSize: SIDE },
      denoiser: {
        run: async (feeds: Record<string, ort.Tensor>) => {
          const t = (feeds.t!.data as Float32Array)[0]!;
          const off = t >= 0.2 && t <= 0.9 ? g : 1;
          return { velocity: new ort.Tensor('float32', (feeds.x!.data as Float32Array).map((v) => velocity(v, t) + off), feeds.x!.dims) };
        },
      },
    } as unknown as LoadedModel;
    const want = await sample(shifted, cond, noise, 1, { steps: 8, guidance: 1, method: 'euler', shift: 1 });
    want.forEach((v, i) => expect(x[i]).toBeCloseTo(v, 5));
    // Without an interval every step is guided.
    rows.length = 0;
    await sample(model, cond, noise, 1, { steps: 8, guidance: g, method: 'euler', shift: 1 });
    expect(rows.every(([, n]) => n === 2)).toBe(true);
  });

  it('trimPadding keeps the columns up to the longest caption, the same values in each row', () => {
    const T = 6;
    const D = 2;
    const ids = BigInt64Array.from([1n, 5n, 7n, 0n, 0n, 0n, 1n, 0n, 0n, 0n, 0n, 0n]);
    const tokens = Float32Array.from({ length: 2 * T * D }, (_, i) => i);
    const c = trimPadding({ tokens: new ort.Tensor('float32', tokens, [2, T, D]), pooled: cond.pooled, ids: new ort.Tensor('int64', ids, [2, T]) });
    expect(c.ids.dims).toEqual([2, 3]);
    expect([...(c.ids.data as BigInt64Array)]).toEqual([1n, 5n, 7n, 1n, 0n, 0n]);
    expect(c.tokens.dims).toEqual([2, 3, D]);
    expect([...(c.tokens.data as Float32Array)]).toEqual([0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17]);
    // A full row leaves everything as it was.
    const full = { tokens: new ort.Tensor('float32', tokens, [2, T, D]), pooled: cond.pooled, ids: new ort.Tensor('int64', BigInt64Array.from(ids, (v, i) => (i === 5 ? 9n : v)), [2, T]) };
    expect(trimPadding(full)).toBe(full);
  });
});
