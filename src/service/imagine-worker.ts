/**
 * The imagine service's worker thread: it loads the models and runs the
 * sampler and the reward model, so that the server's own thread, which answers
 * HTTP requests and sends progress events, is never held up by a denoising step
 * (each one holds the thread that runs it: ~30 ms idle, seconds under load).
 *
 * The service (imagine-service.ts) starts it, sends it one job at a time and
 * encodes the PNGs itself; this thread returns pixels only. Sessions are cached
 * per model folder (loadModel, loadReward), so a model an admin promotes is
 * loaded here on its first job and reused after.
 *
 * It runs TypeScript: the service starts it through tsx's loader (see BOOT in
 * imagine-service.ts), under the CLI and under vitest alike.
 */
import { parentPort } from 'node:worker_threads';
import { imaginePixels, type ImagineRecord } from '../imagine/index.ts';
import { loadModel, type Precision } from '../imagine/model.ts';
import type { SamplerMethod } from '../imagine/sampler.ts';
import type { Scorer } from './imagine-service.ts';

/** A reward model the worker loads itself (by folder), checked against the id the service recorded. */
export interface RewardRef {
  id: string;
  dir: string;
}

export type ToWorker =
  /** Load a model (and a reward model) now, so the first request does not wait for it. */
  | { type: 'load'; id: string; modelDir: string; threads?: number; precision: Precision; reward: RewardRef | null }
  | {
      type: 'run';
      id: string;
      modelDir: string;
      threads?: number;
      /** The model the job was accepted for: a different one in the folder now fails the job. */
      modelId: string;
      prompt: string;
      options: {
        seed: number; steps: number; guidance: number; method: SamplerMethod; shift: number; size: number; count: number;
        guidanceInterval: [number, number] | null;
      };
      precision: Precision;
      /** The starting noise (the service rebuilds a variation's from its store). */
      noise: Float32Array;
      /** Preview images to send after each step (0: none). */
      previews: number;
      /** Score the candidates with this reward model before answering (best-of-n). */
      reward: RewardRef | null;
      /** The asker's pseudonym, for their own taste (absent: the shared score). */
      account?: string;
    }
  /** Stop the job before its next denoiser evaluation. */
  | { type: 'cancel'; id: string };

export type FromWorker =
  | { type: 'progress'; id: string; step: number; steps: number; pixels: Uint8Array[] }
  | { type: 'loaded'; id: string }
  | { type: 'done'; id: string; record: ImagineRecord; pixels: Uint8Array[]; scores: number[] | null }
  | { type: 'failed'; id: string; error: string };

const scorers = new Map<string, Promise<{ id: string; score: Scorer }>>();

/** The reward model's scorer, loaded once per folder; loop.ts is imported only when one is used. */
function scorer(ref: RewardRef): Promise<{ id: string; score: Scorer }> {
  let p = scorers.get(ref.dir);
  if (!p) {
    p = import('../feedback/loop.ts').then(async ({ rewardScorer }) => {
      const s = await rewardScorer(ref.dir, 0);
      if (s.id !== ref.id) throw new Error(`Reward model ${ref.dir} is ${s.id}, not the ${ref.id} the service was given`);
      return s;
    });
    p.catch(() => scorers.delete(ref.dir)); // a folder that failed is tried again next time
    scorers.set(ref.dir, p);
  }
  return p;
}

const port = parentPort!;
const running = new Map<string, AbortController>();
const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function handle(m: Exclude<ToWorker, { type: 'cancel' }>): Promise<void> {
  if (m.type === 'load') {
    await Promise.all([loadModel(m.modelDir, m.threads, m.precision), m.reward ? scorer(m.reward) : null]);
    send({ type: 'loaded', id: m.id });
    return;
  }
  const abort = new AbortController();
  running.set(m.id, abort);
  try {
    const model = await loadModel(m.modelDir, m.threads, m.precision);
    if (model.card.id !== m.modelId) throw new Error(`The model changed to ${model.card.id} while this request waited; ask again`);
    // The cancel message is handled while ONNX Runtime runs a step (run() is asynchronous), and the sampler
    // checks the signal before every denoiser evaluation: a cancel stops the job within one evaluation.
    const { record, pixels } = await imaginePixels(model, m.prompt, {
      ...m.options,
      noise: m.noise,
      signal: abort.signal,
      onPreview: m.previews
        ? (px, step, steps) => {
            const shown = px.slice(0, m.previews);
            send({ type: 'progress', id: m.id, step, steps, pixels: shown }, shown.map((p) => p.buffer as ArrayBuffer));
          }
        : undefined,
    });
    const scores = m.reward ? await (await scorer(m.reward)).score(m.prompt, pixels, model.card.imageSize, m.account) : null;
    send({ type: 'done', id: m.id, record, pixels, scores }, pixels.map((p) => p.buffer as ArrayBuffer));
  } finally {
    running.delete(m.id);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') running.get(m.id)?.abort();
  // Every failure is an answer, never an uncaught error: the service turns it into a failed job.
  else handle(m).catch((e: unknown) => send({ type: 'failed', id: m.id, error: e instanceof Error ? e.message : String(e) }));
});
