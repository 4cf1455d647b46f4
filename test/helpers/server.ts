/**
 * The real imagine service and HTTP API on an ephemeral loopback port, on a
 * fresh data folder, as `vitrine serve` runs them: the committed default
 * model, the demo accounts (demo / demo-password, admin / admin-password), and
 * optionally a tiny demo platform ingested, decided and snapshotted so the
 * admin overview has something to show.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openContext } from '../../src/cli/common.ts';
import { ensureDemoUsers } from '../../src/cli/serve.ts';
import { decide } from '../../src/decide/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { DEFAULT_MODEL_DIR } from '../../src/imagine/model.ts';
import { generateDemo } from '../../src/ingest/demo/index.ts';
import { ingest } from '../../src/ingest/index.ts';
import { ImagineService } from '../../src/service/imagine-service.ts';
import { createSnapshot } from '../../src/snapshot/index.ts';
import type { Store } from '../../src/store/index.ts';
import { registerFromCard } from '../../src/train/index.ts';

export interface TestServer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  dataDir: string;
  store: Store;
  service: ImagineService;
  app: FastifyInstance;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** The built page (web/dist or a build of it); none: the API's placeholder page. */
  webDir?: string;
  /** A demo platform to ingest, decide and snapshot first (e.g. { accounts: 30, posts: 200 }). */
  demo?: { accounts: number; posts: number; seed?: number };
  /** ONNX Runtime threads (default: its own choice). */
  threads?: number;
}

export async function startServer(o: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vitrine-server-'));
  const ctx = openContext({ data: dataDir, quiet: true });
  try {
    if (o.demo) {
      const demo = join(dataDir, 'demo');
      await generateDemo({ accounts: o.demo.accounts, posts: o.demo.posts, seed: o.demo.seed ?? 1, out: demo });
      await ingest(ctx.store, ctx.media, demo, { trainingSize: ctx.policy.snapshot.imageSize });
      decide(ctx.store, ctx.policy);
      await createSnapshot(ctx.store, ctx.media, dataDir, ctx.policy);
      await registerFromCard(ctx.store, DEFAULT_MODEL_DIR);
    }
    await ensureDemoUsers(ctx.store);
    const service = new ImagineService({ store: ctx.store, dataDir, threads: o.threads });
    await service.warm();
    const app = await buildApp({ service, webDir: o.webDir });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      dataDir,
      store: ctx.store,
      service,
      app,
      async close() {
        await service.stop(2000);
        await app.close();
        ctx.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    ctx.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}
