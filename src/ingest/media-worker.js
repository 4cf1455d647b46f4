// A media-inspection worker. Plain JavaScript so that it starts the same way
// under the CLI, vitest and plain node: it registers tsx, then loads the
// TypeScript inspector. See media-pool.ts.
import { register } from 'tsx/esm/api';
import { parentPort } from 'node:worker_threads';

register();
const sharp = (await import('sharp')).default;
sharp.concurrency(1);
const { inspectMedia, MediaError } = await import('./media.ts');

parentPort.on('message', async ({ id, bytes, item, limits, opts }) => {
  try {
    const r = await inspectMedia(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), item, limits, opts);
    parentPort.postMessage({ id, result: r });
  } catch (e) {
    if (e instanceof MediaError) parentPort.postMessage({ id, problem: e.problem, item: e.item, detail: e.detail });
    else parentPort.postMessage({ id, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
