/**
 * bench/imagine: latency of `imagine` (four images, the model's default steps
 * and guidance) in ONNX Runtime from Node, against PyTorch eager on the same
 * network and sampling work, measured in the same run. The denoiser runs at the
 * precision `imagine` uses (int8 where the model has it) and, for comparison,
 * at fp32.
 *
 *     node --import tsx bench/imagine/run.ts [--model DIR] [--runs 20] [--steps N] [--sampler NAME] [--reward DIR --candidates 8]
 *
 * With --reward, also best-of-n: n candidates imagined and scored by the reward
 * model, the best four kept (what `vitrine serve` does), as a ratio to four images.
 *
 * Prints p50/p95 for each and the ratios; writes bench/imagine/results/<time>.json.
 * Target: p50 ≤ 500 ms on 2 cores, and ≥ 2× faster than PyTorch eager.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { imagine } from '../../src/imagine/index.ts';
import { DEFAULT_MODEL_DIR, loadModel, type LoadedModel } from '../../src/imagine/model.ts';
import type { SamplerMethod } from '../../src/imagine/sampler.ts';
import { pythonPath } from '../../src/train/python.ts';
import { rewardScorer } from '../../src/feedback/loop.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' }, runs: { type: 'string', default: '20' }, steps: { type: 'string' }, 'torch-runs': { type: 'string', default: '5' },
    reward: { type: 'string' }, candidates: { type: 'string', default: '8' }, sampler: { type: 'string' },
  },
});
const dir = values.model ?? DEFAULT_MODEL_DIR;
const runs = Number(values.runs);
const steps = values.steps ? Number(values.steps) : undefined;
sharp.concurrency(1);

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

const load0 = loadavg()[0]!;
const model = await loadModel(dir);
const usedSteps = steps ?? model.card.sampling.steps;
const method = (values.sampler ?? model.card.sampling.method) as SamplerMethod;

/** p50/p95 of `runs` four-image imagines, after a warm-up (first-run allocations). */
async function latencies(m: LoadedModel): Promise<number[]> {
  await imagine(m, 'imagine a red apple', { seed: 0, steps, method });
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await imagine(m, i % 2 ? 'imagine a red apple' : 'une pomme rouge sur fond bleu', { seed: i + 1, steps, method });
    ms.push(performance.now() - t0);
  }
  return ms;
}
const ort = await latencies(model);
const fp32 = model.precision === 'fp32' ? ort : await latencies(await loadModel(dir, undefined, 'fp32'));
// Where this CPU runs fp32 by default (no int8 dot products: src/imagine/cpu.ts), the int8 graph too, to show why.
const int8 = model.precision === 'fp32' && model.card.int8 ? await latencies(await loadModel(dir, undefined, 'int8')) : null;
// The same at one session with every core as intra-op threads, for what the pool of threads brings.
const oneSession = model.pool ? await latencies(await loadModel(dir, undefined, model.precision, 1)) : ort;

// Best-of-n: n candidates, scored by the reward model, the best four kept.
let bestOfN: { candidates: number; reward: string; p50: number; p95: number; ratioToFour: number } | null = null;
if (values.reward) {
  const n = Number(values.candidates);
  const scorer = await rewardScorer(values.reward, n);
  const S = model.card.imageSize;
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const prompt = i % 2 ? 'imagine a red apple' : 'une pomme rouge sur fond bleu';
    const r = await imagine(model, prompt, { seed: i + 1, steps, method, count: n });
    const sc = await scorer.score(prompt, r.pixels, S);
    sc.map((_, k) => k).sort((a, b) => sc[b]! - sc[a]!).slice(0, 4);
    ms.push(performance.now() - t0);
  }
  bestOfN = { candidates: n, reward: scorer.id, p50: q(ms, 0.5), p95: q(ms, 0.95), ratioToFour: q(ms, 0.5) / q(ort, 0.5) };
}

const torchRun = (bf16: boolean) => {
  const args = [path.join(import.meta.dirname, 'torch_baseline.py'), '--card', path.join(dir, 'model.json'), '--runs', String(values['torch-runs']), '--steps', String(usedSteps), '--sampler', method];
  if (bf16) args.push('--bf16');
  const p = spawnSync(pythonPath(), args, { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`torch baseline failed: ${p.stderr.slice(-2000)}`);
  const line = p.stdout.trim().split('\n').find((l) => l.startsWith('{"event": "latency"') || l.startsWith('{"event": "skipped"'))!;
  const e = JSON.parse(line) as { event: string; ms: number[] };
  return e.event === 'skipped' ? null : e.ms;
};
const torch32 = torchRun(false)!;
const torch16 = torchRun(true); // null where the CPU has no bf16 instructions (torch_baseline.py skips it)

const res = {
  model: model.card.id,
  steps: usedSteps,
  method,
  guidance: model.card.sampling.guidance,
  images: 4,
  cores: availableParallelism(),
  cpu: cpus()[0]?.model,
  loadAverageAtStart: load0,
  precision: model.precision,
  denoiserThreads: model.pool ? `${model.pool.workers} threads, a single-threaded session each` : 'one session',
  onnxRuntime: { p50: q(ort, 0.5), p95: q(ort, 0.95), runs },
  onnxRuntimeOneSession: { p50: q(oneSession, 0.5), p95: q(oneSession, 0.95), runs },
  onnxRuntimeFp32: { p50: q(fp32, 0.5), p95: q(fp32, 0.95), runs },
  onnxRuntimeInt8NotDefault: int8 ? { p50: q(int8, 0.5), p95: q(int8, 0.95), runs } : null,
  torchEagerFp32: { p50: q(torch32, 0.5), p95: q(torch32, 0.95), runs: torch32.length },
  torchEagerBf16: torch16 ? { p50: q(torch16, 0.5), p95: q(torch16, 0.95), runs: torch16.length } : null,
  bestOfN,
};
const ratio32 = res.torchEagerFp32.p50 / res.onnxRuntime.p50;
const ratio16 = res.torchEagerBf16 ? res.torchEagerBf16.p50 / res.onnxRuntime.p50 : null;
console.log(`imagine, 4 images, ${usedSteps} ${method} steps, guidance ${res.guidance}, model ${res.model}, ${res.cores} cores (load ${load0.toFixed(2)} at start)`);
console.log(`  ONNX Runtime (Node) ${res.precision.padEnd(4)}  p50 ${res.onnxRuntime.p50.toFixed(0)} ms   p95 ${res.onnxRuntime.p95.toFixed(0)} ms   (target p50 ≤ 500 ms: ${res.onnxRuntime.p50 <= 500 ? 'met' : 'NOT met'})`);
if (model.pool) console.log(`  … one session, ${res.cores} threads   p50 ${res.onnxRuntimeOneSession.p50.toFixed(0)} ms   p95 ${res.onnxRuntimeOneSession.p95.toFixed(0)} ms   (the default runs the denoiser on ${res.denoiserThreads})`);
if (model.precision !== 'fp32') console.log(`  ONNX Runtime (Node) fp32  p50 ${res.onnxRuntimeFp32.p50.toFixed(0)} ms   p95 ${res.onnxRuntimeFp32.p95.toFixed(0)} ms   → ${res.precision} is ${(res.onnxRuntimeFp32.p50 / res.onnxRuntime.p50).toFixed(2)}× faster`);
if (res.onnxRuntimeInt8NotDefault) console.log(`  ONNX Runtime (Node) int8  p50 ${res.onnxRuntimeInt8NotDefault.p50.toFixed(0)} ms   p95 ${res.onnxRuntimeInt8NotDefault.p95.toFixed(0)} ms   (not the default on this CPU: no int8 dot products; fp32 is ${(res.onnxRuntimeInt8NotDefault.p50 / res.onnxRuntime.p50).toFixed(2)}× faster)`);
console.log(`  PyTorch eager fp32     p50 ${res.torchEagerFp32.p50.toFixed(0)} ms   p95 ${res.torchEagerFp32.p95.toFixed(0)} ms   → ONNX Runtime is ${ratio32.toFixed(2)}× faster (target ≥ 2×: ${ratio32 >= 2 ? 'met' : 'NOT met'})`);
if (model.precision !== 'fp32') console.log(`  (ONNX Runtime fp32 against PyTorch eager fp32: ${(res.torchEagerFp32.p50 / res.onnxRuntimeFp32.p50).toFixed(2)}×)`);
if (res.torchEagerBf16 && ratio16 !== null) console.log(`  PyTorch eager bf16     p50 ${res.torchEagerBf16.p50.toFixed(0)} ms   p95 ${res.torchEagerBf16.p95.toFixed(0)} ms   → ratio ${ratio16.toFixed(2)}×`);
else console.log('  PyTorch eager bf16     not run: this CPU has no bf16 instructions');
if (bestOfN) console.log(`  best-of-${bestOfN.candidates} (${bestOfN.reward})  p50 ${bestOfN.p50.toFixed(0)} ms   p95 ${bestOfN.p95.toFixed(0)} ms   → ${bestOfN.ratioToFour.toFixed(2)}× the time of four images`);
if (load0 > 0.5) console.log('  note: the machine was busy at the start; figures are not comparable to an idle run');
const outDir = path.join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ ...res, ratioFp32: ratio32, ratioBf16: ratio16, ortMs: ort, ortOneSessionMs: oneSession, ortFp32Ms: fp32, ortInt8Ms: int8, torch32, torch16 }, null, 2));
