// One ONNX Runtime session of the denoiser on its own thread (src/imagine/denoiser-pool.ts).
// Plain JavaScript: it needs nothing but onnxruntime-node, so it runs without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const { file, threads } = workerData;
const ready = ort.InferenceSession.create(file, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});

parentPort.on('message', async (m) => {
  try {
    const session = await ready;
    if (m.type === 'ready') {
      // The caption input's metadata, which loadModel would otherwise read from a session of its own.
      const ids = session.inputMetadata.find((i) => i.name === 'ids');
      parentPort.postMessage({ id: m.id, ids: ids && { name: ids.name, isTensor: ids.isTensor, type: ids.type, shape: ids.shape } });
      return;
    }
    const feeds = {};
    for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    const out = (await session.run(feeds)).velocity;
    const data = out.data;
    parentPort.postMessage({ id: m.id, data, dims: out.dims }, [data.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
