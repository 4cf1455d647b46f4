/**
 * Imagine: a prompt gives four images. The leading word "imagine" (as typed in
 * Meta AI, the same in French) is optional. The same prompt, seed, model and
 * settings give the same images byte for byte: the noise comes from a seeded
 * generator, ONNX Runtime runs with a fixed thread count, and the PNGs carry no
 * time stamp.
 */
import sharp from 'sharp';
import { Rng } from '../core/prng.ts';
import { VitrineError } from '../core/errors.ts';
import { validInterval, type LoadedModel, type Precision } from './model.ts';
import { encode, sample, type SamplerMethod } from './sampler.ts';
import { aiLabelXmp } from './label.ts';

export interface ImagineOptions {
  seed: number;
  steps?: number;
  guidance?: number;
  method?: SamplerMethod;
  shift?: number;
  /** Guided steps (sampler.SampleOptions.guidanceInterval); default the model's, null: every step. */
  guidanceInterval?: [number, number] | null;
  /** Side of the delivered PNGs in pixels (the model's own size upscaled). */
  size?: number;
  /** How many images (4 for a prompt). */
  count?: number;
  /** Whether the prompt travels inside the files' metadata (the AI label always does). */
  promptInMetadata?: boolean;
  onStep?: (done: number, total: number) => void;
  /** The current estimate of the images after each step, at the model's size, RGB bytes (previews). */
  onPreview?: (pixels: Uint8Array[], step: number, steps: number) => void;
  /** The starting noise (count × 3 × S × S) instead of the seed's: variations mix an image's noise with new noise. */
  noise?: Float32Array;
  signal?: AbortSignal;
}

export interface ImagineRecord {
  prompt: string;
  /** The prompt as the model saw it ("imagine" removed). */
  text: string;
  seed: number;
  steps: number;
  guidance: number;
  method: SamplerMethod;
  shift: number;
  /** Present when only some steps were guided. */
  guidanceInterval?: [number, number];
  size: number;
  model: string;
  /** The denoiser that ran (the same seed gives other images at the other precision). */
  precision: Precision;
  label: string;
}

export interface ImagineResult {
  record: ImagineRecord;
  /** One PNG per image. */
  images: Buffer[];
  /** The same images at the model's own size, RGB bytes (for evaluation). */
  pixels: Uint8Array[];
  milliseconds: number;
}

export const AI_LABEL = 'AI-generated image (vitrine)';
export const MAX_PROMPT_CHARS = 500;
export const DEFAULT_SIZE = 256;
export const DEFAULT_COUNT = 4;

/** The prompt without its leading "imagine" (and the punctuation after it). */
export function promptText(prompt: string): string {
  return prompt.trim().replace(/^imagine\b[\s:,.!-]*/iu, '').trim();
}

export function validatePrompt(prompt: string): string {
  if (typeof prompt !== 'string') throw new VitrineError('The prompt must be text');
  if (prompt.length > MAX_PROMPT_CHARS) throw new VitrineError(`The prompt is ${prompt.length} characters long; the limit is ${MAX_PROMPT_CHARS}`);
  const text = promptText(prompt);
  if (!text) throw new VitrineError('Say what to imagine, for example: imagine a red apple on a blue background');
  return text;
}

/** Standard-normal noise for `count` images, from the seed alone. */
export function noiseFor(seed: number, count: number, size: number): Float32Array {
  const rng = new Rng(seed, 'imagine-noise');
  const out = new Float32Array(count * 3 * size * size);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/** [-1, 1] planar (n, 3, S, S) -> n interleaved RGB byte images. */
export function toRgb(x: Float32Array, count: number, size: number): Uint8Array[] {
  const per = size * size;
  const out: Uint8Array[] = [];
  for (let n = 0; n < count; n++) {
    const img = new Uint8Array(per * 3);
    for (let c = 0; c < 3; c++) {
      const base = (n * 3 + c) * per;
      for (let i = 0; i < per; i++) {
        const v = Math.round(((x[base + i] as number) + 1) * 127.5);
        img[i * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    out.push(img);
  }
  return out;
}

export async function imagine(model: LoadedModel, prompt: string, o: ImagineOptions): Promise<ImagineResult> {
  const started = performance.now();
  const { record, pixels } = await imaginePixels(model, prompt, o);
  const S = model.card.imageSize;
  const images = await Promise.all(pixels.map((p, i) => encodeImage(p, S, record, i, o.promptInMetadata ?? true)));
  return { record, images, pixels, milliseconds: performance.now() - started };
}

/**
 * The sampling half of imagine(): the images at the model's own size and their
 * record, no PNGs. The service runs this in its worker thread and encodes the
 * PNGs (encodeImage) on its own, so both halves give imagine()'s bytes.
 */
export async function imaginePixels(model: LoadedModel, prompt: string, o: ImagineOptions): Promise<{ record: ImagineRecord; pixels: Uint8Array[] }> {
  const text = validatePrompt(prompt);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new VitrineError(`The seed must be a whole number from 0 to 4294967295, got ${o.seed}`);
  const d = model.card.sampling;
  const steps = o.steps ?? d.steps;
  const guidance = o.guidance ?? d.guidance;
  const method = o.method ?? d.method;
  const shift = o.shift ?? d.shift ?? 1;
  const interval = o.guidanceInterval === undefined ? d.guidanceInterval : (o.guidanceInterval ?? undefined);
  if (interval !== undefined && !validInterval(interval)) throw new VitrineError(`The guidance interval must be [lo, hi] with 0 ≤ lo ≤ hi ≤ 1, got ${JSON.stringify(interval)}`);
  const count = o.count ?? DEFAULT_COUNT;
  const S = model.card.imageSize;
  const size = o.size ?? DEFAULT_SIZE;
  if (!Number.isInteger(steps) || steps < 1 || steps > 200) throw new VitrineError(`Steps must be from 1 to 200, got ${steps}`);
  if (!Number.isFinite(guidance) || guidance < 0 || guidance > 30) throw new VitrineError(`Guidance must be from 0 to 30, got ${guidance}`);
  if (!Number.isInteger(size) || size < S || size > 2048) throw new VitrineError(`Size must be from ${S} to 2048 pixels, got ${size}`);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new VitrineError(`Count must be from 1 to 64, got ${count}`);
  const cond = await encode(model, text);
  const onEstimate = o.onPreview ? (x0: Float32Array, step: number, n: number) => o.onPreview!(toRgb(x0, count, S), step, n) : undefined;
  const x = await sample(model, cond, o.noise ?? noiseFor(o.seed, count, S), count, { steps, guidance, method, shift, guidanceInterval: interval, onStep: o.onStep, onEstimate, signal: o.signal });
  const record: ImagineRecord = {
    prompt, text, seed: o.seed, steps, guidance, method, shift, ...(interval ? { guidanceInterval: interval } : {}), size,
    model: model.card.id, precision: model.precision, label: AI_LABEL,
  };
  return { record, pixels: toRgb(x, count, S) };
}

/** One delivered PNG: image `index` (model-size RGB bytes) upscaled to the record's size, labelled as AI-made. */
export function encodeImage(pixels: Uint8Array, S: number, record: ImagineRecord, index: number, promptInMetadata = true): Promise<Buffer> {
  return sharp(Buffer.from(pixels), { raw: { width: S, height: S, channels: 3 } })
    .resize(record.size, record.size, { kernel: record.size === S ? 'nearest' : 'lanczos3' })
    .withXmp(aiLabelXmp(record, promptInMetadata).replace('__INDEX__', String(index)))
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
}
