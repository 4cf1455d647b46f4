/** The worker side of startServerThread: starts the server, says where, and closes it when told. */
import { parentPort, workerData } from 'node:worker_threads';
import { startServer, type TestServerOptions } from './server.ts';

const port = parentPort!;
try {
  const server = await startServer((workerData as { options: TestServerOptions }).options);
  port.on('message', async (m: { type: string }) => {
    if (m.type !== 'close') return;
    await server.close();
    port.postMessage({ type: 'closed' });
    port.close();
  });
  port.postMessage({ type: 'ready', url: server.url, dataDir: server.dataDir });
} catch (e) {
  port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  port.close();
}
