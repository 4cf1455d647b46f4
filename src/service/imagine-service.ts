/**
 * The imagine service: a bounded queue of generation jobs run one at a time
 * (ONNX Runtime already uses every core, so two jobs at once would only both be
 * slower), with progress events, cancellation, back-pressure and a graceful
 * stop. Every generation is recorded before it is queued, so nothing a person
 * asked for or said about an image is lost when the process stops: unfinished
 * ones are marked failed on the next start.
 *
 * The models run in a worker thread the service owns (imagine-worker.ts): a
 * denoising step holds the thread that runs it, and on this one it would hold
 * up every other request and every progress event. This thread queues, keeps
 * the store, rebuilds the starting noise and encodes and saves the PNGs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { ServiceError, VitrineError } from '../core/errors.ts';
import { AI_LABEL, DEFAULT_SIZE, encodeImage, noiseFor, promptText, validatePrompt, type ImagineRecord } from '../imagine/index.ts';
import { aiLabelXmp } from '../imagine/label.ts';
import { DEFAULT_MODEL_DIR, defaultPrecision, readCard, type ModelCard, type Precision } from '../imagine/model.ts';
import { pseudonym } from '../feedback/pairs.ts';
import { FileMediaStore } from '../store/media-files.ts';
import type { Generation, GenerationImage, GenerationSettings, Store, User } from '../store/index.ts';
import type { FromWorker, RewardRef, ToWorker } from './imagine-worker.ts';
import { RateLimiter } from './rate-limit.ts';

export const IMAGES_PER_PROMPT = 4;
export const DEFAULT_STRENGTH = 0.35;

export interface ImagineRequest {
  prompt: string;
  seed?: number;
  steps?: number;
  guidance?: number;
  size?: number;
  /** Best-of-n: make this many candidates and show the reward model's best four (needs a reward model). */
  candidates?: number;
  variationOf?: { generation: string; index: number; strength?: number };
}

export type JobEvent =
  | { type: 'queued'; position: number }
  | { type: 'started' }
  | { type: 'progress'; step: number; steps: number; preview?: string[] }
  | { type: 'done'; generation: Generation }
  | { type: 'failed'; error: string }
  | { type: 'cancelled' };

/**
 * Scores candidate images (model-size RGB bytes) for a prompt; higher is better. `account` (a
 * pseudonym) picks the account's own taste where the reward model learnt it.
 */
export type Scorer = (prompt: string, pixels: Uint8Array[], size: number, account?: string) => Promise<number[]>;

export interface ServiceOptions {
  store: Store;
  dataDir: string;
  /** Jobs that may wait behind the running one; more get a 429. */
  queueLimit?: number;
  /** Unfinished jobs one user may have at once. */
  perUserJobs?: number;
  /** Imagine requests per user per minute (and the burst allowed). */
  perMinute?: number;
  burst?: number;
  /** The model when no admin has promoted one (default: the committed default model). */
  defaultModelDir?: string;
  /** Always this model, whatever an admin promoted (the simulated-users harness runs a given parent). */
  fixedModelDir?: string;
  threads?: number;
  /** How the denoiser runs (default: model.defaultPrecision, int8 where the model in use has it and the CPU runs it fast). */
  precision?: Precision;
  /**
   * A reward model for best-of-n reranking, and n when the request does not say: a reward model folder
   * (`dir`, loaded and run in the worker thread, as the CLI's serve does), or a `score` function, run on
   * this thread (functions cannot cross to the worker; the tests' scorer is a gate they hold).
   */
  scorer?: { id: string; candidates: number } & ({ dir: string } | { score: Scorer });
  now?: () => Date;
}

interface Job {
  generation: Generation;
  abort: AbortController;
  listeners: Set<(e: JobEvent) => void>;
  last: JobEvent;
}

/** A message sent to the worker and waiting for its answer. */
interface Call {
  worker: Worker;
  resolve: (m: FromWorker) => void;
  reject: (e: Error) => void;
  progress?: (m: Extract<FromWorker, { type: 'progress' }>) => void;
}

const WORKER_BOOT = new URL('./imagine-worker-boot.mjs', import.meta.url);
const WORKER_ENTRY = new URL('./imagine-worker.ts', import.meta.url).href;

export class ImagineService {
  readonly images: FileMediaStore;
  private queue: Job[] = [];
  private running: Job | null = null;
  private jobs = new Map<string, Job>();
  private limiter: RateLimiter;
  private stopping = false;
  private idle: Promise<void> = Promise.resolve();
  private durations: number[] = [];
  private now: () => Date;
  readonly queueLimit: number;
  readonly perUserJobs: number;
  private worker: Worker | null = null;
  private calls = new Map<string, Call>();
  /** Calls not answered yet, settled either way: stop() waits for them before it ends the worker. */
  private inflight = new Set<Promise<void>>();
  private loads = 0;

  constructor(private o: ServiceOptions) {
    this.images = new FileMediaStore(path.join(o.dataDir, 'generated'));
    this.limiter = new RateLimiter(o.perMinute ?? 20, o.burst ?? 8);
    this.queueLimit = o.queueLimit ?? 16;
    this.perUserJobs = o.perUserJobs ?? 3;
    this.now = o.now ?? (() => new Date());
    o.store.generations.failUnfinished(this.now().toISOString());
  }

  get store(): Store {
    return this.o.store;
  }

  /** The folder of the model in use: the one an admin promoted, else the default. */
  modelDir(): string {
    if (this.o.fixedModelDir) return this.o.fixedModelDir;
    const active = this.o.store.models.active();
    if (active) {
      const m = this.o.store.models.get(active);
      if (m && existsSync(path.join(m.path, 'model.json'))) return m.path;
    }
    return this.o.defaultModelDir ?? DEFAULT_MODEL_DIR;
  }

  /** The card of the model in use (read from its folder; the sessions live in the worker). */
  card(): Promise<ModelCard> {
    return readCard(this.modelDir());
  }

  /** Loads the model in use (and the reward model) in the worker now, so that the first request does not wait; rejects when one cannot load. */
  async warm(): Promise<void> {
    const precision = this.precisionFor(await this.card());
    await this.call({ type: 'load', id: `load-${++this.loads}`, modelDir: this.modelDir(), threads: this.o.threads, precision, reward: this.rewardRef() });
  }

  private precisionFor(card: ModelCard): Precision {
    return this.o.precision ?? defaultPrecision(card);
  }

  private rewardRef(): RewardRef | null {
    const s = this.o.scorer;
    return s && 'dir' in s ? { id: s.id, dir: s.dir } : null;
  }

  /**
   * The worker thread, started on first use and again after one died (its jobs failed, the service goes on).
   * It does not keep the process alive while no call waits on it.
   */
  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_BOOT, { workerData: { entry: WORKER_ENTRY } });
    w.unref();
    w.on('message', (m: FromWorker) => {
      const c = this.calls.get(m.id);
      if (!c) return;
      if (m.type === 'progress') return c.progress?.(m);
      this.settled(m.id);
      if (m.type === 'failed') c.reject(new VitrineError(m.error));
      else c.resolve(m);
    });
    const gone = (why: string) => {
      if (this.worker === w) this.worker = null;
      for (const [id, c] of this.calls) {
        if (c.worker !== w) continue;
        this.settled(id);
        c.reject(new VitrineError(`The image worker stopped (${why}); ask again`));
      }
    };
    w.on('error', (e) => gone(e.message));
    w.on('exit', (code) => gone(`exit code ${code}`));
    this.worker = w;
    return w;
  }

  private settled(id: string): void {
    const c = this.calls.get(id);
    this.calls.delete(id);
    if (c && ![...this.calls.values()].some((o) => o.worker === c.worker)) c.worker.unref();
  }

  /** Sends a message to the worker; resolves with its answer ("done", "loaded"), rejects when it failed or the worker died. */
  private call(m: Exclude<ToWorker, { type: 'cancel' }>, transfer: ArrayBuffer[] = [], progress?: Call['progress'], signal?: AbortSignal): Promise<FromWorker> {
    const worker = this.thread();
    // An abort crosses to the worker as a message: it stops before its next denoiser evaluation.
    const cancel = () => worker.postMessage({ type: 'cancel', id: m.id } satisfies ToWorker);
    signal?.addEventListener('abort', cancel, { once: true });
    const answer = new Promise<FromWorker>((resolve, reject) => {
      this.calls.set(m.id, { worker, resolve, reject, progress });
      worker.ref();
      worker.postMessage(m, transfer);
    }).finally(() => signal?.removeEventListener('abort', cancel));
    const settled = answer.then(() => {}, () => {}).finally(() => this.inflight.delete(settled));
    this.inflight.add(settled);
    return answer;
  }

  get rerankerId(): string | null {
    return this.o.scorer?.id ?? null;
  }

  queueLength(): number {
    return this.queue.length;
  }

  /** Seconds a new job would wait, from recent durations. */
  estimatedWait(position: number): number {
    const d = this.durations.length ? this.durations.reduce((a, b) => a + b, 0) / this.durations.length : 2000;
    return Math.ceil(((position + (this.running ? 1 : 0)) * d) / 1000);
  }

  /** Validates, records and queues a generation; refuses with 429 when the user or the queue is full. */
  async submit(user: User, req: ImagineRequest): Promise<{ generation: Generation; position: number }> {
    if (this.stopping) throw new ServiceError('The service is stopping; try again in a moment', 503);
    try {
      validatePrompt(req.prompt);
    } catch (e) {
      // Named, like every other refusal of a field: "Say what to imagine" alone did not say which field was wrong.
      throw new ServiceError(`prompt: ${(e as Error).message}`, 400, { field: 'prompt' });
    }
    const card = await this.card();
    // stop() may have run while the card was read: a job queued now would start after stop() stopped waiting,
    // and run against a store that is about to close (its generation left "running").
    if (this.stopping) throw new ServiceError('The service is stopping; try again in a moment', 503);
    let parent: Generation | null = null;
    if (req.variationOf) {
      parent = this.o.store.generations.get(req.variationOf.generation);
      if (!parent || parent.userId !== user.id) throw new ServiceError(`No generation ${req.variationOf.generation} of yours to vary`, 404);
      if (parent.status !== 'done') throw new ServiceError(`Generation ${parent.id} has no images yet (${parent.status})`, 409);
      if (!parent.images.some((i) => i.index === req.variationOf!.index)) throw new ServiceError(`Generation ${parent.id} has no image ${req.variationOf.index}`, 400);
      if (parent.modelId !== card.id) throw new ServiceError(`Image ${req.variationOf.index} of ${parent.id} was made by ${parent.modelId}, not the model in use (${card.id}): variations need the same model`, 409);
    }
    const scorer = this.o.scorer;
    const candidates = req.candidates ?? (scorer ? scorer.candidates : IMAGES_PER_PROMPT);
    if (!Number.isInteger(candidates) || candidates < IMAGES_PER_PROMPT || candidates > 32)
      throw new ServiceError(`candidates must be a whole number from ${IMAGES_PER_PROMPT} to 32, got ${candidates}`, 400);
    if (candidates > IMAGES_PER_PROMPT && !scorer) throw new ServiceError('Best-of-n needs a reward model, and none is loaded', 400);
    const settings: GenerationSettings = {
      seed: req.seed ?? randomBytes(4).readUInt32BE(0),
      steps: req.steps ?? card.sampling.steps,
      guidance: req.guidance ?? card.sampling.guidance,
      method: card.sampling.method,
      shift: card.sampling.shift ?? 1,
      precision: this.precisionFor(card),
      ...(card.sampling.guidanceInterval ? { guidanceInterval: card.sampling.guidanceInterval } : {}),
      size: req.size ?? DEFAULT_SIZE,
      count: IMAGES_PER_PROMPT,
      candidates,
      reward: candidates > IMAGES_PER_PROMPT ? (scorer?.id ?? null) : null,
      strength: parent ? (req.variationOf!.strength ?? DEFAULT_STRENGTH) : null,
    };
    const s = settings;
    if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 0xffffffff) throw new ServiceError(`seed must be a whole number from 0 to 4294967295, got ${s.seed}`, 400);
    if (!Number.isInteger(s.steps) || s.steps < 1 || s.steps > 100) throw new ServiceError(`steps must be a whole number from 1 to 100, got ${s.steps}`, 400);
    if (!Number.isFinite(s.guidance) || s.guidance < 0 || s.guidance > 20) throw new ServiceError(`guidance must be from 0 to 20, got ${s.guidance}`, 400);
    if (!Number.isInteger(s.size) || s.size < card.imageSize || s.size > 1024) throw new ServiceError(`size must be a whole number from ${card.imageSize} to 1024, got ${s.size}`, 400);
    if (s.strength !== null && !(s.strength > 0 && s.strength <= 1)) throw new ServiceError(`strength must be above 0 and at most 1, got ${s.strength}`, 400);

    const wait = this.limiter.take(user.id);
    if (wait) throw new ServiceError(`Too many requests: you may ask again in ${wait} s`, 429, { retryAfter: wait });
    const mine = [...this.jobs.values()].filter((j) => j.generation.userId === user.id);
    if (mine.length >= this.perUserJobs) {
      const positions = mine.map((j) => ({ id: j.generation.id, position: this.positionOf(j) }));
      throw new ServiceError(`You already have ${mine.length} requests waiting or running; wait for one to finish`, 429, {
        retryAfter: this.estimatedWait(1),
        yours: positions,
      });
    }
    if (this.queue.length >= this.queueLimit) {
      throw new ServiceError(`The queue is full (${this.queue.length} waiting); try again shortly`, 429, {
        retryAfter: this.estimatedWait(this.queue.length),
        queueLength: this.queue.length,
      });
    }
    const generation: Generation = {
      id: `gen-${this.now().getTime().toString(36)}-${randomBytes(5).toString('hex')}`,
      userId: user.id,
      prompt: req.prompt,
      settings,
      modelId: card.id,
      variationOf: parent ? { generation: parent.id, index: req.variationOf!.index } : null,
      status: 'queued',
      error: null,
      createdAt: this.now().toISOString(),
      finishedAt: null,
      milliseconds: null,
      images: [],
    };
    this.o.store.generations.create(generation);
    const job: Job = { generation, abort: new AbortController(), listeners: new Set(), last: { type: 'queued', position: 0 } };
    this.jobs.set(generation.id, job);
    this.queue.push(job);
    const position = this.queue.length;
    job.last = { type: 'queued', position };
    this.pump();
    return { generation, position: this.running === job ? 0 : this.positionOf(job) };
  }

  private positionOf(job: Job): number {
    if (this.running === job) return 0;
    return this.queue.indexOf(job) + 1;
  }

  /** Follows a job: the last event now, then every new one; returns the unsubscribe function. */
  subscribe(id: string, fn: (e: JobEvent) => void): (() => void) | null {
    const job = this.jobs.get(id);
    if (!job) return null;
    fn(job.last);
    job.listeners.add(fn);
    return () => job.listeners.delete(fn);
  }

  private emit(job: Job, e: JobEvent): void {
    if (e.type !== 'progress') job.last = e;
    for (const l of job.listeners) l(e);
  }

  /** Cancels a queued or running job of this user; false when it is not (or no longer) running. */
  cancel(user: User, id: string): boolean {
    const job = this.jobs.get(id);
    if (!job || job.generation.userId !== user.id) return false;
    const i = this.queue.indexOf(job);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.finishJob(job, 'cancelled', null);
      this.announcePositions();
    } else {
      job.abort.abort(); // the worker stops within one denoiser evaluation
    }
    return true;
  }

  private finishJob(job: Job, status: 'failed' | 'cancelled', error: string | null): void {
    this.o.store.generations.setStatus(job.generation.id, status, this.now().toISOString(), error);
    this.emit(job, status === 'failed' ? { type: 'failed', error: error ?? 'failed' } : { type: 'cancelled' });
    this.jobs.delete(job.generation.id);
  }

  private announcePositions(): void {
    this.queue.forEach((j, i) => this.emit(j, { type: 'queued', position: i + 1 }));
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.running = job;
    this.announcePositions();
    this.idle = this.run(job).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async run(job: Job): Promise<void> {
    const g = job.generation;
    const started = performance.now();
    try {
      this.o.store.generations.setStatus(g.id, 'running', null);
      this.emit(job, { type: 'started' });
      const dir = this.modelDir();
      const card = await readCard(dir);
      if (card.id !== g.modelId) throw new VitrineError(`The model changed to ${card.id} while this request waited; ask again`);
      const s = g.settings;
      const S = card.imageSize;
      const noise = await this.noiseFor(g, S);
      job.abort.signal.throwIfAborted();
      const bestOfN = s.candidates > s.count && this.o.scorer;
      // Reranked for the asker's own taste only while they accept the feedback terms: the taste was learnt
      // from their feedback, and a revocation is honoured like an objection.
      const account = bestOfN && this.o.store.users.feedbackTerms(g.userId)?.accepted ? pseudonym(g.userId) : undefined;
      // Previews go to whoever follows the job at each step, not only to those who did before it started: a page
      // opens its event stream after the POST answers, by which time an idle service has already started the job.
      // They are encoded one after another and all sent before "done", so a preview never arrives out of order
      // or after the final images; a preview that cannot be encoded is skipped, never an unhandled rejection.
      let previews = Promise.resolve();
      const answer = await this.call(
        {
          type: 'run', id: g.id, modelDir: dir, threads: this.o.threads, modelId: g.modelId, prompt: g.prompt,
          options: {
            seed: s.seed, steps: s.steps, guidance: s.guidance, method: s.method, shift: s.shift, size: s.size, count: s.candidates,
            guidanceInterval: s.guidanceInterval ?? null,
          },
          precision: s.precision ?? 'fp32',
          noise, previews: s.count, reward: bestOfN ? this.rewardRef() : null, account,
        },
        [noise.buffer as ArrayBuffer],
        (p) => {
          if (job.listeners.size) previews = previews.then(() => this.preview(job, p.pixels, S, p.step, p.steps)).catch(() => {});
        },
        job.abort.signal,
      );
      await previews;
      if (answer.type !== 'done') throw new VitrineError(`The image worker answered ${answer.type}`);
      const r = answer;
      // Best-of-n: the reward model's best `count`, best first; otherwise the candidates in order. A reward
      // model given by folder scored them in the worker; a scoring function runs here.
      let order = r.pixels.map((_, i) => i);
      let scores: (number | null)[] = r.pixels.map(() => null);
      if (bestOfN) {
        const sc = r.scores ?? ('score' in bestOfN ? await bestOfN.score(g.prompt, r.pixels, S, account) : null);
        if (!sc || sc.length !== r.pixels.length) throw new VitrineError(`The reward model gave ${sc?.length ?? 'no'} scores for ${r.pixels.length} candidates`);
        scores = sc;
        order = order.sort((a, b) => (sc[b] as number) - (sc[a] as number) || a - b);
      }
      const images: GenerationImage[] = [];
      for (const [index, cand] of order.slice(0, s.count).entries()) {
        const display = await encodeImage(r.pixels[cand]!, S, r.record, cand);
        const native = await sharp(Buffer.from(r.pixels[cand]!), { raw: { width: S, height: S, channels: 3 } })
          .withXmp(aiLabelXmp(r.record, true).replace('__INDEX__', String(cand)))
          .png({ compressionLevel: 9, adaptiveFiltering: false })
          .toBuffer();
        const sha = sha256(display);
        const nativeSha = sha256(native);
        await this.images.put(sha, display);
        await this.images.put(nativeSha, native);
        images.push({ index, sha256: sha, nativeSha256: nativeSha, candidate: cand, score: scores[cand] ?? null });
      }
      // A cancellation that came while the reward model scored (or the files were written) is honoured too: the
      // person was told it was cancelled, so it must not turn up as done.
      job.abort.signal.throwIfAborted();
      const ms = performance.now() - started;
      this.durations = [...this.durations.slice(-19), ms];
      this.o.store.generations.finish(g.id, images, this.now().toISOString(), ms);
      this.emit(job, { type: 'done', generation: this.o.store.generations.get(g.id)! });
      this.jobs.delete(g.id);
    } catch (e) {
      if (job.abort.signal.aborted) this.finishJob(job, 'cancelled', null);
      else this.finishJob(job, 'failed', (e as Error).message);
    }
  }

  private async preview(job: Job, pixels: Uint8Array[], S: number, step: number, steps: number): Promise<void> {
    const n = Math.min(pixels.length, job.generation.settings.count);
    const urls = await Promise.all(
      pixels.slice(0, n).map(async (p) => `data:image/png;base64,${(await sharp(Buffer.from(p), { raw: { width: S, height: S, channels: 3 } }).png().toBuffer()).toString('base64')}`),
    );
    this.emit(job, { type: 'progress', step, steps, preview: urls });
  }

  /**
   * The starting noise of every candidate. A variation starts from the chosen
   * image's own noise, turned by `strength` towards new noise (cos/sin keep it
   * a standard normal), recursively for variations of variations.
   */
  private async noiseFor(g: Generation, S: number): Promise<Float32Array> {
    const s = g.settings;
    const fresh = noiseFor(s.seed, s.candidates, S);
    if (!g.variationOf || s.strength === null) return fresh;
    const base = await this.imageNoise(g.variationOf.generation, g.variationOf.index, S, 0);
    const theta = (s.strength * Math.PI) / 2;
    const c = Math.cos(theta);
    const sn = Math.sin(theta);
    const per = base.length;
    for (let k = 0; k < s.candidates; k++) for (let i = 0; i < per; i++) fresh[k * per + i] = c * base[i]! + sn * fresh[k * per + i]!;
    return fresh;
  }

  private async imageNoise(generationId: string, index: number, S: number, depth: number): Promise<Float32Array> {
    const g = this.o.store.generations.get(generationId);
    const img = g?.images.find((i) => i.index === index);
    if (!g || !img || depth > 100) throw new VitrineError(`Cannot rebuild the noise of image ${index} of ${generationId}`);
    const all = await this.noiseFor(g, S);
    const per = 3 * S * S;
    return all.slice(img.candidate * per, (img.candidate + 1) * per);
  }

  /** The display PNG; without the prompt in its metadata when asked (the AI label always stays). */
  async imageFile(g: Generation, index: number, withPrompt: boolean): Promise<Buffer> {
    const img = g.images.find((i) => i.index === index);
    if (!img) throw new ServiceError(`Generation ${g.id} has no image ${index}`, 404);
    const png = await this.images.get(img.sha256);
    if (withPrompt) return png;
    const record = recordOf(g);
    return sharp(png).withXmp(aiLabelXmp(record, false).replace('__INDEX__', String(img.candidate))).png({ compressionLevel: 9, adaptiveFiltering: false }).toBuffer();
  }

  /** Stops taking jobs, cancels the waiting ones, lets the running one finish (or cancels it after `graceMs`), then ends the worker. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const job of this.queue.splice(0)) this.finishJob(job, 'cancelled', null);
    const timer = setTimeout(() => this.running?.abort.abort(), graceMs);
    await this.idle.catch(() => {});
    clearTimeout(timer);
    // Only a worker with nothing in flight is ended: terminating it while ONNX Runtime runs or loads a session
    // aborts the whole process (onnxruntime-node throws from a native thread as the worker is torn down).
    await Promise.all(this.inflight);
    await this.worker?.terminate();
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function recordOf(g: Generation): ImagineRecord {
  const s = g.settings;
  return {
    prompt: g.prompt, text: promptText(g.prompt), seed: s.seed, steps: s.steps, guidance: s.guidance,
    method: s.method, shift: s.shift, ...(s.guidanceInterval ? { guidanceInterval: s.guidanceInterval } : {}), size: s.size,
    model: g.modelId, precision: s.precision ?? 'fp32', label: AI_LABEL,
  };
}
