/**
 * The committed default model (models/default): a fresh clone imagines with
 * it, with no data folder at all; its card says where it came from and how it
 * scored; it stays within the repository's size limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { int8IsFast, type CpuFeatures } from '../src/imagine/cpu.ts';
import { DEFAULT_MODEL_DIR, defaultPrecision, loadModel, unloadModels, type ModelCard } from '../src/imagine/model.ts';
import { imaginePixels } from '../src/imagine/index.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'vitrine.js');
let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'vitrine-default-'));
});
afterAll(async () => {
  await unloadModels();
  rmSync(cwd, { recursive: true, force: true });
});

describe('the committed default model', () => {
  const card = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));

  it('is small enough to commit, and its card gives its lineage and evaluation', () => {
    for (const f of readdirSync(DEFAULT_MODEL_DIR)) expect(statSync(join(DEFAULT_MODEL_DIR, f)).size, f).toBeLessThan(30 * 1024 * 1024);
    expect(card.lineage.snapshot).toMatch(/^snap-[0-9a-f]{20}$/);
    expect(card.lineage.policyVersion).toMatch(/^default@/);
    // The default config on 2 CPU cores, or the same architecture trained on a GPU (trainer/configs/default-gpu.json).
    expect(['default', 'default-gpu']).toContain(card.lineage.config);
    expect(card.training.trainSeconds).toBeGreaterThan(0);
    expect(card.eval.byLang.en.faithfulness).toBeGreaterThanOrEqual(0);
    expect(card.eval.byLang.fr.faithfulness).toBeGreaterThanOrEqual(0);
  });

  it('vitrine imagine works with no data folder, and the same seed gives the same bytes', () => {
    const env = { ...process.env };
    delete env.VITRINE_DATA;
    const run = (out: string) => {
      const r = spawnSync(process.execPath, [BIN, 'imagine', 'imagine a red apple', '--seed', '11', '--out', out, '--json'], { cwd, env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { images: string[]; model: string; seed: number };
    };
    const a = run('a');
    const b = run('b');
    expect(a.model).toBe(card.id);
    expect(a.seed).toBe(11);
    expect(a.images).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(readFileSync(a.images[i]!).equals(readFileSync(b.images[i]!))).toBe(true);
    expect(existsSync(join(cwd, 'data'))).toBe(false); // nothing but what was asked for
  }, 60_000);

  it('runs its int8 denoiser where the CPU has int8 dot products unless fp32 is asked for, and gives the same images on a pool of threads as on one session', async () => {
    expect(card.int8.denoiser).toBe('denoiser-int8.onnx');
    const vnni: CpuFeatures = { arch: 'x64', flags: new Set(['avx2', 'avx512f', 'avx512_vnni']) };
    const avx2: CpuFeatures = { arch: 'x64', flags: new Set(['avx', 'avx2', 'fma']) };
    const saved = process.env.VITRINE_PRECISION;
    try {
      delete process.env.VITRINE_PRECISION;
      expect(defaultPrecision(card as ModelCard, vnni)).toBe('int8');
      expect(defaultPrecision(card as ModelCard, avx2)).toBe('fp32');
      expect(defaultPrecision(card as ModelCard, { arch: 'arm64', flags: new Set(['asimddp']) })).toBe('int8');
      expect(defaultPrecision(card as ModelCard)).toBe(int8IsFast() ? 'int8' : 'fp32');
      process.env.VITRINE_PRECISION = 'int8';
      expect(defaultPrecision(card as ModelCard, avx2)).toBe('int8');
      const { int8: _int8, ...fp32Only } = card as ModelCard;
      expect(defaultPrecision(fp32Only, vnni)).toBe('fp32'); // no int8 file
      process.env.VITRINE_PRECISION = 'fp32';
      expect(defaultPrecision(card as ModelCard, vnni)).toBe('fp32');
      process.env.VITRINE_PRECISION = 'fp16';
      expect(() => defaultPrecision(card as ModelCard)).toThrow(/VITRINE_PRECISION must be one of fp32, int8, got "fp16"/);
    } finally {
      if (saved === undefined) delete process.env.VITRINE_PRECISION;
      else process.env.VITRINE_PRECISION = saved;
    }
    const pooled = await loadModel(DEFAULT_MODEL_DIR, 2, 'int8', 2);
    const single = await loadModel(DEFAULT_MODEL_DIR, 1, 'int8');
    const fp32 = await loadModel(DEFAULT_MODEL_DIR, 1, 'fp32');
    expect(pooled.pool?.workers).toBe(2);
    expect(single.pool).toBeNull();
    // A pooled model runs every call on its threads and holds no denoiser session of its own;
    // its threads say what a session here would have said of the graph's caption input.
    expect(pooled.denoiser).toBe(pooled.pool);
    expect(single.trimsPadding).toBe(true);
    expect(pooled.trimsPadding).toBe(single.trimsPadding);
    const a = await imaginePixels(pooled, 'imagine a red apple', { seed: 5 });
    const b = await imaginePixels(single, 'imagine a red apple', { seed: 5 });
    const c = await imaginePixels(fp32, 'imagine a red apple', { seed: 5 });
    expect(a.record.precision).toBe('int8');
    expect(c.record.precision).toBe('fp32');
    expect(a.record.guidanceInterval).toEqual(card.sampling.guidanceInterval);
    for (let i = 0; i < 4; i++) expect(Buffer.from(a.pixels[i]!).equals(Buffer.from(b.pixels[i]!)), `image ${i}`).toBe(true);
    // int8 is another computation of the same model: near the fp32 images, not equal to them.
    let diff = 0;
    let n = 0;
    a.pixels.forEach((p, i) => p.forEach((v, j) => ((diff += Math.abs(v - c.pixels[i]![j]!)), n++)));
    expect(diff / n).toBeGreaterThan(0);
    expect(diff / n).toBeLessThan(8); // mean absolute difference, of 255
  }, 60_000);

  it('an int8 graph that does not match the card is refused, naming it', async () => {
    const dir = join(cwd, 'tampered');
    cpSync(DEFAULT_MODEL_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'denoiser-int8.onnx'), readFileSync(join(dir, 'denoiser-int8.onnx')).subarray(0, 1000));
    await expect(loadModel(dir, 1, 'int8')).rejects.toThrow(/denoiser-int8\.onnx does not match the card's sha256/);
    // fp32 still loads: the model id covers those files, and they did not change.
    expect((await loadModel(dir, 1, 'fp32')).card.id).toBe(card.id);
  }, 60_000);

  it('a pool whose thread died fails the call in flight with a reason, and the next load makes a new pool', async () => {
    const m = await loadModel(DEFAULT_MODEL_DIR, 2, 'int8', 2);
    const before = await imaginePixels(m, 'imagine a cat', { seed: 9 });
    // Only a test reaches into the pool to end a thread, as a crash would.
    await (m.pool as unknown as { lanes: { worker: { terminate(): Promise<number> } }[] }).lanes[0]!.worker.terminate();
    await expect(imaginePixels(m, 'imagine a cat', { seed: 9 })).rejects.toThrow(/denoiser thread ended/);
    const again = await loadModel(DEFAULT_MODEL_DIR, 2, 'int8', 2);
    expect(again).not.toBe(m);
    const after = await imaginePixels(again, 'imagine a cat', { seed: 9 });
    for (let i = 0; i < 4; i++) expect(Buffer.from(after.pixels[i]!).equals(Buffer.from(before.pixels[i]!))).toBe(true);
  }, 60_000);
});
