/**
 * A text-to-image model as the trainer exports it (trainer/export.py): a model
 * card (model.json), the tokenizer, and two ONNX graphs run by onnxruntime-node.
 * Sessions are created once per model folder and reused by every request.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { VitrineError } from '../core/errors.ts';
import { SAMPLER_METHODS, type SamplerMethod } from './sampler.ts';
import { Tokenizer } from './tokenizer.ts';

export interface SamplingDefaults {
  steps: number;
  guidance: number;
  method: SamplerMethod;
  shift: number;
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
  params?: number;
  training?: Record<string, unknown>;
  lineage?: Record<string, unknown>;
  eval?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface LoadedModel {
  card: ModelCard;
  dir: string;
  tokenizer: Tokenizer;
  encoder: ort.InferenceSession;
  denoiser: ort.InferenceSession;
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
  return c as ModelCard;
}

const loaded = new Map<string, Promise<LoadedModel>>();

/** Loads (once) the model in `dir`; later calls share the same sessions. */
export function loadModel(dir: string, threads = availableParallelism()): Promise<LoadedModel> {
  const key = `${path.resolve(dir)}#${threads}`;
  let p = loaded.get(key);
  if (!p) {
    p = (async () => {
      const card = await readCard(dir);
      const opts: ort.InferenceSession.SessionOptions = {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      };
      const [tokenizer, encoder, denoiser] = await Promise.all([
        Tokenizer.load(path.join(dir, card.files.tokenizer)),
        ort.InferenceSession.create(path.join(dir, card.files.encoder), opts),
        ort.InferenceSession.create(path.join(dir, card.files.denoiser), opts),
      ]);
      return { card, dir, tokenizer, encoder, denoiser };
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
      await m.denoiser.release();
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
