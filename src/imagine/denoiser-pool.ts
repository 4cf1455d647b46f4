/**
 * The denoiser on several threads at once: a batch is cut into contiguous row ranges, one per
 * worker thread, each running its own single-threaded ONNX Runtime session, and the velocities
 * are put back in order.
 *
 * Why: ONNX Runtime spreads one call over its intra-op threads well for the convolutions but
 * badly for the many small element-wise operations of this network (group norm, FiLM, the
 * int8 (de)quantization): measured on 2 cores, one session with 2 threads took 58.6 ms for
 * the guided batch of 8 where two 1-thread sessions, 4 rows each, side by side took 43.0 ms.
 * onnxruntime-node runs a session's calls one at a time on the calling thread, so the side by
 * side needs threads of our own. Every row is computed on its own (no operation of the
 * network mixes rows), so cutting the batch changes no result but the order of work.
 */
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const WORKER = new URL('./denoiser-pool-worker.mjs', import.meta.url);

interface Reply {
  data: Float32Array;
  dims: number[];
  /** The 'ready' reply: the metadata of the graph's caption input. */
  ids?: ort.InferenceSession.ValueMetadata;
}

interface Pending {
  resolve: (v: Reply) => void;
  reject: (e: Error) => void;
}

interface Lane {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class DenoiserPool {
  private lanes: Lane[];
  private next = 0;
  /** Calls not answered yet, settled either way: close() waits for them. */
  private inflight = new Set<Promise<void>>();
  private closed = false;

  /** `workers` threads, each with a session of `file` using `threadsEach` intra-op threads. */
  private constructor(file: string, workers: number, threadsEach: number) {
    this.lanes = Array.from({ length: workers }, () => {
      const worker = new Worker(WORKER, { workerData: { file, threads: threadsEach } });
      worker.unref(); // an idle pool does not keep the process alive; a call in flight does (ref below)
      const lane: Lane = { worker, pending: new Map() };
      worker.on('message', (m: { id: number; data?: Float32Array; dims?: number[]; ids?: ort.InferenceSession.ValueMetadata; error?: string }) => {
        const p = lane.pending.get(m.id);
        if (!p) return;
        lane.pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(`denoiser thread: ${m.error}`));
        else p.resolve({ data: m.data!, dims: m.dims!, ids: m.ids });
      });
      worker.on('error', (e) => this.fail(lane, e));
      worker.on('exit', (code) => this.fail(lane, new Error(`a denoiser thread ended (exit code ${code})`)));
      return lane;
    });
  }

  /** Starts the threads and waits until every session is loaded (a bad file fails here, not at the first image). */
  static async open(file: string, workers: number, threadsEach: number): Promise<DenoiserPool> {
    const pool = new DenoiserPool(file, workers, threadsEach);
    try {
      const ready = await Promise.all(pool.lanes.map((l) => pool.call(l, { type: 'ready' }, [])));
      pool.idsInput = ready[0]?.ids;
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** The graph's caption input, as its sessions describe it (loadModel reads whether it takes any length). */
  idsInput: ort.InferenceSession.ValueMetadata | undefined;

  get workers(): number {
    return this.lanes.length;
  }

  /** Why the pool cannot run any more (a thread died), or null. loadModel makes a new one then. */
  broken: Error | null = null;

  private fail(lane: Lane, e: Error): void {
    if (!this.closed) this.broken ??= e;
    for (const p of lane.pending.values()) p.reject(e);
    lane.pending.clear();
  }

  private call(lane: Lane, msg: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('the denoiser pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    const id = ++this.next;
    if (this.inflight.size === 0) for (const l of this.lanes) l.worker.ref();
    const p = new Promise<Reply>((resolve, reject) => {
      lane.pending.set(id, { resolve, reject });
      lane.worker.postMessage({ ...msg, id }, transfer);
    });
    const settled = p.then(
      () => {},
      () => {},
    );
    this.inflight.add(settled);
    void settled.then(() => {
      this.inflight.delete(settled);
      if (this.inflight.size === 0) for (const l of this.lanes) l.worker.unref();
    });
    return p;
  }

  /** The denoiser's output for `feeds` (every input has the batch first), as one session would give it. */
  async run(feeds: Record<string, ort.Tensor>): Promise<{ velocity: ort.Tensor }> {
    const rows = feeds.x!.dims[0]!;
    const parts = Math.min(this.lanes.length, rows);
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * rows) / parts));
    const results = await Promise.all(
      Array.from({ length: parts }, (_, i) => {
        const [from, to] = [bounds[i]!, bounds[i + 1]!];
        const part: Record<string, { type: string; data: ArrayLike<unknown>; dims: number[] }> = {};
        const transfer: ArrayBuffer[] = [];
        for (const [name, t] of Object.entries(feeds)) {
          const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
          const data = (t.data as Float32Array | BigInt64Array).slice(from * per, to * per); // a copy: its buffer can move
          part[name] = { type: t.type, data, dims: [to - from, ...t.dims.slice(1)] };
          transfer.push(data.buffer as ArrayBuffer);
        }
        return this.call(this.lanes[i]!, { type: 'run', feeds: part }, transfer);
      }),
    );
    const per = results[0]!.dims.slice(1).reduce((a, b) => a * b, 1);
    const out = new Float32Array(rows * per);
    results.forEach((r, i) => out.set(r.data, bounds[i]! * per));
    return { velocity: new ort.Tensor('float32', out, [rows, ...results[0]!.dims.slice(1)]) };
  }

  /** Refuses new calls, waits for those in flight (ending a thread while ONNX Runtime runs aborts the process), ends the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.inflight);
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
  }
}
