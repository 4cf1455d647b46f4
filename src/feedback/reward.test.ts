/**
 * The reward model across the language boundary: trainer/reward.py trains a tiny one on the
 * synthetic feedback set (trainer/tests/feedback_fixtures.py: the image in the prompted colour
 * wins), ONNX Runtime in Node must give PyTorch's scores, and reranking held-out generations
 * must put the prompted colour first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { VitrineError } from '../core/errors.ts';
import { promptText } from '../imagine/index.ts';
import { pythonPath, TRAINER_DIR } from '../train/python.ts';
import { boxResize, loadReward, planarFromPixels, rerank, scoreImages, unloadRewards } from './reward.ts';

interface Pair {
  prompt: string;
  chosen: string;
  rejected: string;
  generation: string;
  split: string;
}
interface Reference {
  prompts: string[];
  /** Whose taste each row was scored for (null: anyone). */
  accounts: (string | null)[];
  ids: number[][];
  nativeSize: number;
  images: number[][];
  scores: number[];
}

let dir: string;
let setDir: string;
let modelDir: string;
let ref: Reference;

const execFileAsync = promisify(execFile);
const env = { ...process.env, OMP_NUM_THREADS: '1' };

/** Runs Python without blocking the event loop (a blocked worker misses vitest's heartbeats). */
async function python(args: string[], cwd?: string): Promise<void> {
  try {
    await execFileAsync(pythonPath(), args, { encoding: 'utf8', env, cwd, maxBuffer: 1 << 26 });
  } catch (e) {
    const err = e as Error & { code?: number; stderr?: string };
    throw new Error(`${pythonPath()} ${args.slice(0, 2).join(' ')} exited ${err.code}: ${err.stderr ?? err.message}`);
  }
}

/** Planar (3, S, S) floats in [-1, 1] from u8 values, as the generator's output is. */
const fromU8 = (planar: ArrayLike<number>) => Float32Array.from(planar, (v) => v / 127.5 - 1);

async function readPng(file: string): Promise<Float32Array> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return planarFromPixels(data, info.width, info.channels);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vitrine-reward-'));
  // The same fixture and settings as trainer/tests/test_reward.py (held-out accuracy 1.0 there).
  await python(['-c', 'import sys; from test_reward import write_fixture; write_fixture(sys.argv[1])', dir], join(TRAINER_DIR, 'tests'));
  setDir = join(dir, 'set');
  modelDir = join(dir, 'reward');
  const refPath = join(dir, 'reference.json');
  await python([join(TRAINER_DIR, 'reward.py'), '--pairs', setDir, '--tokenizer', join(dir, 'tokenizer.json'), '--out', modelDir,
    '--threads', '1', '--seed', '1', '--epochs', '30', '--members', '2', '--reference', refPath]);
  ref = JSON.parse(readFileSync(refPath, 'utf8')) as Reference;
}, 180_000);

afterAll(async () => {
  await unloadRewards();
  rmSync(dir, { recursive: true, force: true });
});

describe('reward model', () => {
  it('loads the card once and shares the session', async () => {
    const a = await loadReward(modelDir, 1);
    const b = await loadReward(modelDir, 1);
    expect(b).toBe(a);
    expect(a.card.id).toMatch(/^reward-[0-9a-f]{20}$/);
    expect(a.card.imageSize).toBe(16);
    expect(a.card.metrics?.heldOutAccuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('ONNX Runtime in Node gives the scores PyTorch gives (parity), also from a larger image', async () => {
    const r = await loadReward(modelDir, 1);
    // The TypeScript tokenizer gives the ids PyTorch scored with.
    expect(ref.prompts.map((p) => r.tokenizer.encode(promptText(p)))).toEqual(ref.ids);
    const S = ref.nativeSize;
    let worst = 0;
    let worstBig = 0;
    expect(ref.accounts.some((a) => a === null) && ref.accounts.some((a) => a !== null)).toBe(true);
    for (const key of new Set(ref.prompts.map((p, i) => `${p}\0${ref.accounts[i] ?? ''}`))) {
      const [prompt, account] = key.split('\0') as [string, string];
      const idx = ref.prompts.flatMap((p, i) => (`${p}\0${ref.accounts[i] ?? ''}` === key ? [i] : []));
      const images = idx.map((i) => fromU8(ref.images[i]!));
      const got = await scoreImages(r, prompt, images, account || undefined);
      // Each pixel repeated 2x2 is a 32px image whose box average is the original: same scores.
      const big = images.map((im) => {
        const out = new Float32Array(3 * 4 * S * S);
        for (let c = 0; c < 3; c++) for (let y = 0; y < 2 * S; y++) for (let x = 0; x < 2 * S; x++) {
          out[(c * 2 * S + y) * 2 * S + x] = im[(c * S + (y >> 1)) * S + (x >> 1)] as number;
        }
        return out;
      });
      const gotBig = await scoreImages(r, prompt, big, account || undefined);
      idx.forEach((i, k) => {
        worst = Math.max(worst, Math.abs((got[k] as number) - (ref.scores[i] as number)));
        worstBig = Math.max(worstBig, Math.abs((gotBig[k] as number) - (ref.scores[i] as number)));
      });
    }
    expect(worst).toBeLessThan(1e-4);
    expect(worstBig).toBeLessThan(1e-4);
  });

  it('reranking held-out generations puts the image in the prompted colour first', async () => {
    const r = await loadReward(modelDir, 1);
    const pairs = readFileSync(join(setDir, 'pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Pair);
    const gens = new Map<string, { prompt: string; winner: string; others: string[] }>();
    for (const p of pairs.filter((q) => q.split === 'heldout')) {
      const g = gens.get(p.generation) ?? { prompt: p.prompt, winner: p.chosen, others: [] };
      if (!g.others.includes(p.rejected)) g.others.push(p.rejected);
      gens.set(p.generation, g);
    }
    expect(gens.size).toBeGreaterThanOrEqual(10);
    let hits = 0;
    let n = 0;
    for (const g of gens.values()) {
      // The winner moves through the four places, so keeping the original order scores 1 in 4.
      const files = [...g.others];
      const at = n % (files.length + 1);
      files.splice(at, 0, g.winner);
      const images = await Promise.all(files.map((f) => readPng(join(setDir, f))));
      const order = await rerank(r, g.prompt, images);
      expect([...order].sort()).toEqual(files.map((_, i) => i));
      const scores = await scoreImages(r, g.prompt, images);
      for (let k = 1; k < order.length; k++) expect(scores[order[k - 1]!]!).toBeGreaterThanOrEqual(scores[order[k]!]!);
      if (order[0] === at) hits++;
      n++;
    }
    // Chance is 1 in 4; the model reaches held-out pairwise accuracy 1.0 on this set.
    expect(hits / n).toBeGreaterThanOrEqual(0.8);
  });

  it("scores for the account's own taste; an account it never learnt from gets the shared score", async () => {
    const r = await loadReward(modelDir, 1);
    expect(r.personal).toBe(true);
    expect(r.card.accounts).toHaveLength(4);
    const images = ref.images.map(fromU8);
    const prompt = ref.prompts[0]!;
    const anyone = await scoreImages(r, prompt, images);
    expect(await scoreImages(r, prompt, images, 'acct-0123456789ab')).toEqual(anyone);
    const own = await scoreImages(r, prompt, images, r.card.accounts![1]);
    expect(own).not.toEqual(anyone);
  });

  it('breaks ties by the original order and keeps at most what it has', async () => {
    const r = await loadReward(modelDir, 1);
    const a = fromU8(ref.images[0]!);
    const b = fromU8(ref.images[ref.images.length / 2]!); // the image rejected for a's prompt
    const prompt = ref.prompts[0]!;
    const [sa, sb] = await scoreImages(r, prompt, [a, b]);
    expect(sa).toBeGreaterThan(sb!);
    expect(await rerank(r, prompt, [b, a, b, a, b], 4)).toEqual([1, 3, 0, 2]);
    expect(await rerank(r, prompt, [b, a], 10)).toEqual([1, 0]);
    expect(await rerank(r, prompt, [a, a, a], 2)).toEqual([0, 1]);
    await expect(rerank(r, prompt, [a], -1)).rejects.toThrow(/keep must be a whole number/);
  });

  it('box-averages like the trainer and refuses sizes it cannot average to', async () => {
    const img = new Float32Array(3 * 4 * 4).map((_, i) => (i % 16) / 8 - 1);
    const small = boxResize(img, 4, 2);
    // Channel 0, top-left block: values 0, 1, 4, 5 (/8 - 1) -> mean 2.5/8 - 1.
    expect(small[0]).toBeCloseTo(2.5 / 8 - 1, 6);
    expect(small.length).toBe(12);
    const r = await loadReward(modelDir, 1);
    await expect(scoreImages(r, 'a red disc', [new Float32Array(3 * 24 * 24)])).rejects.toThrow(/24px cannot be box-averaged to the reward model's 16px/);
    await expect(scoreImages(r, 'a red disc', [new Float32Array(3 * 8 * 8)])).rejects.toThrow(VitrineError);
    await expect(scoreImages(r, 'a red disc', [new Float32Array(10)])).rejects.toThrow(/not 3 × side × side/);
  });

  it('refuses a folder without a model, a card of another kind, or files the id does not name', async () => {
    await expect(loadReward(join(dir, 'set'), 1)).rejects.toThrow(/not a reward model folder/);
    const bad = join(dir, 'bad-card');
    cpSync(modelDir, bad, { recursive: true });
    const card = JSON.parse(readFileSync(join(modelDir, 'reward.json'), 'utf8'));
    writeFileSync(join(bad, 'reward.json'), JSON.stringify({ ...card, format: 'vitrine-judge' }));
    await expect(loadReward(bad, 1)).rejects.toThrow(/reward\.json is not a vitrine-reward-model v1 card/);
    writeFileSync(join(bad, 'reward.json'), '{"format": ');
    await expect(loadReward(bad, 1)).rejects.toThrow(/reward\.json is not valid JSON/);
    const swapped = join(dir, 'swapped');
    cpSync(modelDir, swapped, { recursive: true });
    const tok = JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8'));
    writeFileSync(join(swapped, 'tokenizer.json'), JSON.stringify({ ...tok, vocab: [...tok.vocab].reverse() }));
    await expect(loadReward(swapped, 1)).rejects.toThrow(/are not what its id reward-[0-9a-f]{20} names/);
    // The accounts are part of what it scores: another order is another model.
    const reordered = join(dir, 'reordered');
    cpSync(modelDir, reordered, { recursive: true });
    writeFileSync(join(reordered, 'reward.json'), JSON.stringify({ ...card, accounts: [...card.accounts].reverse() }));
    await expect(loadReward(reordered, 1)).rejects.toThrow(/are not what its id reward-[0-9a-f]{20} names/);
    writeFileSync(join(reordered, 'reward.json'), JSON.stringify({ ...card, accounts: ['alice'] }));
    await expect(loadReward(reordered, 1)).rejects.toThrow(/accounts must be a list of account pseudonyms/);
    rmSync(join(swapped, 'reward.onnx'));
    await expect(loadReward(swapped, 1)).rejects.toThrow(/missing reward\.onnx/);
    await expect(loadReward(swapped, 1)).rejects.toBeInstanceOf(VitrineError);
  });
});
