/**
 * A text-to-image model as the trainer exports it (trainer/export.py): a model
 * card (model.json), the tokenizer, and two ONNX graphs run by onnxruntime-node.
 * Sessions are created once per model folder and reused by every request.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { VitrineError } from '../core/errors.ts';
import { SAMPLER_METHODS, type SamplerMethod } from './sampler.ts';
import { Tokenizer } from './tokenizer.ts';
import { DenoiserPool } from './denoiser-pool.ts';
import { cpuFeatures, int8IsFast, type CpuFeatures } from './cpu.ts';

export interface SamplingDefaults {
  steps: number;
  guidance: number;
  method: SamplerMethod;
  shift: number;
  /** Steps starting at t in [lo, hi] are guided (sampler.SampleOptions.guidanceInterval); absent: all. */
  guidanceInterval?: [number, number];
}

/**
 * How the denoiser runs: `fp32` is the trained network as exported; `int8` its convolutions
 * quantized by trainer/quantize.py (about 1.4x faster per call on AVX-512 VNNI / AMX CPUs,
 * not faster without them: see cpu.ts; images slightly different: each image's record says which ran).
 */
export type Precision = 'fp32' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8'];

/** The card's entry for the int8 denoiser (trainer/quantize.py). */
export interface Int8Entry {
  denoiser: string;
  sha256: string;
  [key: string]: unknown;
}

/** The model card: what the product needs to run the model, and where it came from. */
export interface ModelCard {
  format: 'vitrine-model';
  version: 1;
  id: string;
  kind: 'text-to-image';
  imageSize: number;
  textDim: number;
  maxTokens: number;
  files: { tokenizer: string; encoder: string; denoiser: string };
  sampling: SamplingDefaults;
  int8?: Int8Entry;
  params?: number;
  training?: Record<string, unknown>;
  lineage?: Record<string, unknown>;
  eval?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One call of the denoiser network: an ONNX Runtime session, or a DenoiserPool (the same outputs). */
export interface Denoiser {
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
}

export interface LoadedModel {
  card: ModelCard;
  dir: string;
  tokenizer: Tokenizer;
  encoder: ort.InferenceSession;
  /** What runs the denoiser: the pool of threads where there is one (then no session of its own here), else one session. */
  denoiser: Denoiser;
  /** Which denoiser runs. */
  precision: Precision;
  /** Whether the denoiser takes any number of caption tokens: then the padding after the longest caption is not fed. */
  trimsPadding: boolean;
  /** The denoiser on several threads (denoiser-pool.ts; the same object as `denoiser`), or null. */
  pool: DenoiserPool | null;
}

/** The repository's committed models (models/ at the project root). */
export const COMMITTED_MODELS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models');
export const DEFAULT_MODEL_DIR = path.join(COMMITTED_MODELS, 'default');

function fail(dir: string, why: string): never {
  throw new VitrineError(`Model ${dir}: ${why}`);
}

export async function readCard(dir: string): Promise<ModelCard> {
  const file = path.join(dir, 'model.json');
  if (!existsSync(file)) fail(dir, 'no model.json (not a vitrine model folder)');
  let card: unknown;
  try {
    card = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    fail(dir, `model.json is not valid JSON (${(e as Error).message})`);
  }
  const c = card as Partial<ModelCard>;
  if (c.format !== 'vitrine-model' || c.version !== 1) fail(dir, 'model.json is not a vitrine-model v1 card');
  if (typeof c.id !== 'string' || !/^model-[0-9a-f]+$/.test(c.id)) fail(dir, 'model.json has no valid id');
  if (!Number.isInteger(c.imageSize) || (c.imageSize as number) < 8) fail(dir, 'model.json imageSize must be an integer ≥ 8');
  for (const k of ['tokenizer', 'encoder', 'denoiser'] as const) {
    const f = c.files?.[k];
    if (typeof f !== 'string' || f.includes('/') || f.includes('\\')) fail(dir, `model.json files.${k} must be a file name`);
    if (!existsSync(path.join(dir, f))) fail(dir, `missing ${f}`);
  }
  const s = c.sampling;
  if (!s || !Number.isInteger(s.steps) || typeof s.guidance !== 'number' || !(SAMPLER_METHODS as readonly string[]).includes(s.method)) {
    fail(dir, `model.json sampling must give steps, guidance and method (${SAMPLER_METHODS.join(', ')})`);
  }
  if (s.guidanceInterval !== undefined && !validInterval(s.guidanceInterval)) fail(dir, 'model.json sampling.guidanceInterval must be [lo, hi] with 0 ≤ lo ≤ hi ≤ 1');
  if (c.int8 !== undefined) {
    const f = c.int8?.denoiser;
    if (typeof f !== 'string' || f.includes('/') || f.includes('\\') || typeof c.int8.sha256 !== 'string') fail(dir, 'model.json int8 must give a denoiser file name and its sha256');
    if (!existsSync(path.join(dir, f))) fail(dir, `missing ${f}`);
  }
  return c as ModelCard;
}

/**
 * The precision a model runs at when none is asked for: int8 where the card has an int8
 * denoiser and the CPU has int8 dot products (cpu.ts int8IsFast), fp32 otherwise.
 * VITRINE_PRECISION=fp32 or int8 overrides the CPU check (int8 still needs the card's file).
 */
export function defaultPrecision(card: ModelCard, cpu: CpuFeatures = cpuFeatures()): Precision {
  const env = process.env.VITRINE_PRECISION;
  if (env !== undefined && env !== '' && !(PRECISIONS as readonly string[]).includes(env)) {
    throw new VitrineError(`VITRINE_PRECISION must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(env)}`);
  }
  if (env === 'fp32' || !card.int8) return 'fp32';
  if (env === 'int8') return 'int8';
  return int8IsFast(cpu) ? 'int8' : 'fp32';
}

/** The denoiser file for a precision, checked against the card's digest for int8 (the model id covers only the fp32 files). */
async function denoiserFile(dir: string, card: ModelCard, precision: Precision): Promise<string> {
  if (precision === 'fp32') return path.join(dir, card.files.denoiser);
  if (!card.int8) fail(dir, 'has no int8 denoiser (make one with trainer/quantize.py --model DIR)');
  const file = path.join(dir, card.int8.denoiser);
  const digest = createHash('sha256').update(await readFile(file)).digest('hex');
  if (digest !== card.int8.sha256) fail(dir, `${card.int8.denoiser} does not match the card's sha256 (changed after quantization?)`);
  return file;
}

export function validInterval(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && x >= 0 && x <= 1) && v[0] <= v[1];
}

const loaded = new Map<string, Promise<LoadedModel>>();

/**
 * Loads (once) the model in `dir` at `precision` (by default defaultPrecision's); later calls
 * share the same sessions. With `threads` ≥ 2 the denoiser runs on `lanes` threads of its own
 * (default: one per core, up to 4), each session with threads / lanes intra-op threads; lanes 1
 * runs it on one session with `threads` threads.
 */
export async function loadModel(dir: string, threads = availableParallelism(), precision?: Precision, lanes?: number): Promise<LoadedModel> {
  const useLanes = Math.max(1, Math.min(lanes ?? Math.min(threads, 4), threads));
  const key = `${path.resolve(dir)}#${threads}#${precision ?? 'default'}#${useLanes}`;
  let p = loaded.get(key);
  const had = p ? await p.catch(() => null) : null;
  if (had?.pool?.broken) {
    // A denoiser thread died: this model cannot run any more; load it again.
    loaded.delete(key);
    void had.pool.close().catch(() => {});
    p = undefined;
  }
  if (!p) {
    p = (async () => {
      const card = await readCard(dir);
      const used = precision ?? defaultPrecision(card);
      const opts: ort.InferenceSession.SessionOptions = {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      };
      const file = await denoiserFile(dir, card, used);
      // With a pool, the denoiser's weights live in its threads only: a session here as well
      // would hold a third copy of them for nothing.
      const [tokenizer, encoder, denoiser] = await Promise.all([
        Tokenizer.load(path.join(dir, card.files.tokenizer)),
        ort.InferenceSession.create(path.join(dir, card.files.encoder), opts),
        useLanes > 1 ? DenoiserPool.open(file, useLanes, Math.max(1, Math.floor(threads / useLanes))) : ort.InferenceSession.create(file, opts),
      ]);
      const pool = denoiser instanceof DenoiserPool ? denoiser : null;
      const ids = pool ? pool.idsInput : (denoiser as ort.InferenceSession).inputMetadata.find((m) => m.name === 'ids');
      const trimsPadding = !!ids && ids.isTensor && typeof ids.shape[1] === 'string';
      return { card, dir, tokenizer, encoder, denoiser, precision: used, trimsPadding, pool };
    })();
    p.catch(() => loaded.delete(key));
    loaded.set(key, p);
  }
  return p;
}

/** Releases every loaded session (tests, shutdown). */
export async function unloadModels(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  for (const p of all) {
    try {
      const m = await p;
      await m.encoder.release();
      if (m.pool) await m.pool.close();
      else await (m.denoiser as ort.InferenceSession).release();
    } catch {
      // a model that failed to load has nothing to release
    }
  }
}

/**
 * Where a model named on the command line lives: a folder path, a trained model
 * in DATA/models/<id>, or a committed one (by folder name or card id).
 */
export async function resolveModelDir(dataDir: string | null, ref: string | undefined): Promise<string> {
  if (!ref) return DEFAULT_MODEL_DIR;
  if (existsSync(path.join(ref, 'model.json'))) return ref;
  if (dataDir && existsSync(path.join(dataDir, 'models', ref, 'model.json'))) return path.join(dataDir, 'models', ref);
  if (existsSync(path.join(COMMITTED_MODELS, ref, 'model.json'))) return path.join(COMMITTED_MODELS, ref);
  for (const name of existsSync(COMMITTED_MODELS) ? await readdir(COMMITTED_MODELS) : []) {
    const f = path.join(COMMITTED_MODELS, name, 'model.json');
    if (existsSync(f) && (JSON.parse(await readFile(f, 'utf8')) as { id?: string }).id === ref) return path.dirname(f);
  }
  throw new VitrineError(`Unknown model ${JSON.stringify(ref)}: not a model folder, not in ${dataDir ? path.join(dataDir, 'models') : 'the data folder'}, not in models/`);
}
