// Starts the imagine worker thread (imagine-worker.ts). The worker runs the TypeScript sources, and tsx's
// loader registered on the main thread (bin/vitrine.js, or vitest's own) does not reach a worker thread:
// this file, plain JavaScript, registers it there first. The same as test/helpers/tsx-worker.mjs.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
