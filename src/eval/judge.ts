/**
 * The evaluation judge (trainer/judge.py): a classifier of the demo's emoji
 * trained on a snapshot's real images. It answers "which emoji is this?" for a
 * generated image (prompt faithfulness) and gives the feature space in which
 * generated and real images are compared (Fréchet distance, KID, diversity).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { VitrineError } from '../core/errors.ts';
import { COMMITTED_MODELS } from '../imagine/model.ts';

export const DEFAULT_JUDGE_DIR = path.join(COMMITTED_MODELS, 'judge');

export interface JudgeCard {
  format: 'vitrine-judge';
  version: 1;
  imageSize: number;
  classes: string[];
  featureDim: number;
  trainedOn?: string;
  [k: string]: unknown;
}

export interface Judge {
  id: string;
  card: JudgeCard;
  session: ort.InferenceSession;
  classIndex: Map<string, number>;
}

export interface JudgeOutput {
  logits: Float32Array[];
  features: Float32Array[];
}

export async function loadJudge(dir = DEFAULT_JUDGE_DIR, threads = availableParallelism()): Promise<Judge> {
  const cardFile = path.join(dir, 'judge.json');
  if (!existsSync(cardFile) || !existsSync(path.join(dir, 'judge.onnx'))) throw new VitrineError(`No judge in ${dir} (judge.json and judge.onnx)`);
  // Each file is read once: the bytes give both the session and the judge's id.
  const cardBytes = readFileSync(cardFile);
  const onnx = readFileSync(path.join(dir, 'judge.onnx'));
  const card = JSON.parse(cardBytes.toString('utf8')) as JudgeCard;
  if (card.format !== 'vitrine-judge' || !Array.isArray(card.classes)) throw new VitrineError(`${cardFile}: not a vitrine-judge card`);
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const id = `judge-${createHash('sha256').update(onnx).update(cardBytes).digest('hex').slice(0, 12)}`;
  return { id, card, session, classIndex: new Map(card.classes.map((c, i) => [c, i])) };
}

/**
 * RGB bytes (side × side × 3, interleaved) -> planar floats in [-1, 1] at the judge's size:
 * box-averaged when larger (the trainer's box_resize), pixel-repeated when smaller.
 */
export function toJudgeInput(rgb: Uint8Array, side: number, judgeSize: number): Float32Array {
  if (side % judgeSize && judgeSize % side) throw new VitrineError(`An image of ${side}px cannot be resized to the judge's ${judgeSize}px by a whole factor`);
  const f = Math.max(1, side / judgeSize);
  const up = Math.max(1, judgeSize / side);
  const out = new Float32Array(3 * judgeSize * judgeSize);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < judgeSize; y++) {
      for (let x = 0; x < judgeSize; x++) {
        const sy = Math.floor(y / up) * f;
        const sx = Math.floor(x / up) * f;
        let s = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += rgb[((sy + dy) * side + (sx + dx)) * 3 + c] as number;
        out[(c * judgeSize + y) * judgeSize + x] = s / (f * f) / 127.5 - 1;
      }
    }
  }
  return out;
}

/**
 * For each image (side × side RGB bytes), whether `emoji` is in the judge's top 5 (fewer than five
 * classes score above it): a faithful image, for the feedback loop's checks.
 */
export async function inTopFive(j: Judge, images: Uint8Array[], side: number, emoji: string): Promise<boolean[]> {
  const k = j.classIndex.get(emoji);
  if (k === undefined) throw new VitrineError(`The judge does not know emoji ${emoji}`);
  const out = await judge(j, images.map((im) => toJudgeInput(im, side, j.card.imageSize)));
  return out.logits.map((l) => l.filter((v) => v > l[k]!).length < 5);
}

/** Runs the judge over planar [-1, 1] images of its size, in batches. */
export async function judge(j: Judge, images: Float32Array[], batch = 64): Promise<JudgeOutput> {
  const S = j.card.imageSize;
  const per = 3 * S * S;
  const logits: Float32Array[] = [];
  const features: Float32Array[] = [];
  for (let i = 0; i < images.length; i += batch) {
    const chunk = images.slice(i, i + batch);
    const x = new Float32Array(chunk.length * per);
    chunk.forEach((im, k) => x.set(im, k * per));
    const out = await j.session.run({ image: new ort.Tensor('float32', x, [chunk.length, 3, S, S]) });
    const lg = out.logits!.data as Float32Array;
    const ft = out.features!.data as Float32Array;
    const K = lg.length / chunk.length;
    const F = ft.length / chunk.length;
    for (let k = 0; k < chunk.length; k++) {
      logits.push(lg.slice(k * K, (k + 1) * K));
      features.push(ft.slice(k * F, (k + 1) * F));
    }
  }
  return { logits, features };
}
