/**
 * Media inspection on worker threads. Ingest's time is decoding and hashing
 * images, most of it JavaScript (pixels.ts, phash.ts) that runs on one thread
 * per process; a pool of workers puts every core to work.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { DEFAULT_MEDIA_LIMITS, MediaError, inspectMedia, type MediaLimits, type MediaSignals } from './media.ts';

export type Inspection = MediaSignals & { training?: Buffer };

export interface MediaInspector {
  inspect(bytes: Buffer, item: string, limits?: MediaLimits, opts?: { trainingSize?: number }): Promise<Inspection>;
  close(): Promise<void>;
}

/** In this thread: for one core, and where workers are not wanted. */
export const inlineInspector: MediaInspector = {
  inspect: (bytes, item, limits = DEFAULT_MEDIA_LIMITS, opts = {}) => inspectMedia(bytes, item, limits, opts),
  close: async () => {},
};

type Pending = { resolve: (r: Inspection) => void; reject: (e: unknown) => void };

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function workerInspector(threads = availableParallelism()): MediaInspector {
  if (threads <= 1) return inlineInspector;
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./media-worker.js', import.meta.url)));
  const pending = new Map<number, Pending>();
  const load = new Map<Worker, number>(workers.map((w) => [w, 0]));
  let nextId = 0;
  let failure: Error | null = null;
  for (const w of workers) {
    w.on('message', (m: { id: number; result?: Inspection; problem?: MediaError['problem']; item?: string; detail?: string; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      load.set(w, load.get(w)! - 1);
      if (!p) return;
      if (m.result) {
        const r = m.result;
        p.resolve({ ...r, thumb: asBuffer(r.thumb), ...(r.training ? { training: asBuffer(r.training) } : {}) });
      } else if (m.problem) p.reject(new MediaError(m.problem, m.item!, m.detail!));
      else p.reject(new Error(`media worker: ${m.error}`));
    });
    w.on('error', (e) => {
      failure = e;
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  }
  return {
    inspect(bytes, item, limits = DEFAULT_MEDIA_LIMITS, opts = {}) {
      if (failure) return Promise.reject(failure);
      // The least busy worker takes it.
      const w = workers.reduce((a, b) => (load.get(b)! < load.get(a)! ? b : a));
      const id = nextId++;
      load.set(w, load.get(w)! + 1);
      return new Promise<Inspection>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.postMessage({ id, bytes, item, limits, opts });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
