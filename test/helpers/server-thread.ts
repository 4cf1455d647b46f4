/**
 * The test server (test/helpers/server.ts) in a worker thread of this process.
 * Inference holds the event loop of the thread it runs on for each denoising
 * step, so a test that drives a browser (whose client lives on this thread)
 * keeps the server on another: the browser's commands are not held up.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openStore, type Store } from '../../src/store/index.ts';
import type { TestServerOptions } from './server.ts';

export interface ThreadServer {
  url: string;
  dataDir: string;
  /** This thread's own connection to the server's store (SQLite in WAL mode: both may read and write). */
  store: Store;
  close(): Promise<void>;
}

/** startServer in a worker thread; resolves when it listens. */
export async function startServerThread(o: TestServerOptions = {}): Promise<ThreadServer> {
  const worker = new Worker(new URL('./tsx-worker.mjs', import.meta.url), {
    workerData: { entry: new URL('./server-worker.ts', import.meta.url).href, options: o },
  });
  const ready = await new Promise<{ url: string; dataDir: string }>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the server thread exited (${code}) before it was ready`)));
    worker.once('message', (m: { type: string; url: string; dataDir: string; message?: string }) =>
      m.type === 'ready' ? resolve(m) : reject(new Error(`the server thread failed: ${m.message}`)),
    );
  });
  const store = openStore(join(ready.dataDir, 'vitrine.db'));
  return {
    ...ready,
    store,
    async close() {
      store.close();
      const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage({ type: 'close' });
      await Promise.race([closed, new Promise((r) => setTimeout(r, 15_000))]);
      await worker.terminate();
    },
  };
}
