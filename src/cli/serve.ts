import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.ts';
import { buildApp } from '../http/app.ts';
import { createUser } from '../service/auth.ts';
import { ImagineService } from '../service/imagine-service.ts';
import { resolveReward, rewardFor } from '../feedback/loop.ts';
import { readRewardCard } from '../feedback/reward.ts';

/** Best-of-n's n when a reward model is loaded (a request may ask for 4 to 32). */
export const DEFAULT_CANDIDATES = 8;
import type { Store } from '../store/index.ts';
import { COMMON_HELP, intOption, openContext, parse, type Context } from './common.ts';
import type { Command } from './command.ts';

export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/** Accounts to try the page with, made on a store that has no users, on a loopback address only. */
export const DEMO_USERS = [
  { name: 'demo', password: 'demo-password', role: 'user' as const },
  { name: 'admin', password: 'admin-password', role: 'admin' as const },
];

export async function ensureDemoUsers(store: Store): Promise<boolean> {
  if (store.users.list().length) return false;
  for (const u of DEMO_USERS) await createUser(store, u.name, u.password, u.role);
  return true;
}

export interface ServeOptions {
  port: number;
  host: string;
  queueLimit?: number;
  /** A reward model (id, folder or "latest") for best-of-n; default: the newest one trained for the model in use, if any. "none": no reranking. */
  reward?: string;
  /** Candidates made per request when a reward model reranks (best four shown). */
  candidates?: number;
}

/** Runs the service until SIGINT or SIGTERM, then stops gracefully: no recorded feedback is lost. */
export async function serve(ctx: Context, o: ServeOptions, say: (s: string) => void): Promise<number> {
  const loopback = o.host === '127.0.0.1' || o.host === 'localhost' || o.host === '::1';
  if (loopback && (await ensureDemoUsers(ctx.store))) {
    say(`Demo accounts: ${DEMO_USERS.map((u) => `${u.name} / ${u.password}${u.role === 'admin' ? ' (admin)' : ''}`).join(', ')}`);
  }
  const probe = new ImagineService({ store: ctx.store, dataDir: ctx.dataDir });
  const inUse = (await probe.card()).id;
  const rewardDir = o.reward === 'none' ? null : o.reward ? resolveReward(ctx.dataDir, o.reward) : rewardFor(ctx.dataDir, inUse);
  // The reward model is loaded and run in the service's worker thread, which checks its files against this id.
  const scorer = rewardDir ? { id: readRewardCard(rewardDir).id, dir: rewardDir, candidates: o.candidates ?? DEFAULT_CANDIDATES } : undefined;
  if (scorer) say(`Best-of-${scorer.candidates}: ${scorer.id} picks the four images shown`);
  const service = new ImagineService({ store: ctx.store, dataDir: ctx.dataDir, queueLimit: o.queueLimit, scorer });
  try {
    await service.warm(); // loads the sessions before the first request; a model that cannot load stops here
  } catch (e) {
    await service.stop();
    throw e;
  }
  const app = await buildApp({ service, webDir: WEB_DIST });
  await app.listen({ port: o.port, host: o.host });
  say(`vitrine is serving on http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}/ (API description: /openapi.json). Ctrl-C stops it.`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  say('Stopping: no new requests; the running one finishes …');
  await service.stop();
  await app.close();
  return 0;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the imagine page and HTTP API (default http://127.0.0.1:8080/)',
  usage: `vitrine serve [--port N] [--host ADDRESS] [--queue N] [--reward ID] [--candidates N]

Serves the page at / and the HTTP API under /api (described at /openapi.json)
with the model in use: the committed default, or the one an admin promoted.
On a loopback address, a store with no users gets the demo accounts
(${DEMO_USERS.map((u) => `${u.name} / ${u.password}`).join(', ')}).

  --port N         port (default $PORT or 8080)
  --host ADDRESS   address to listen on (default 127.0.0.1)
  --queue N        requests that may wait (default 16); more get a 429
  --reward ID      best-of-n with this reward model (id, folder, latest, none);
                   default: the newest trained for the model in use, if any
  --candidates N   best-of-n's n (default ${DEFAULT_CANDIDATES}); a request may say its own

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, queue: { type: 'string' }, reward: { type: 'string' }, candidates: { type: 'string' } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const port = intOption(values.port ?? process.env.PORT, 'port', 8080, 0, 65535);
    const queueLimit = intOption(values.queue, 'queue', 16, 1, 10000);
    const ctx = openContext(values);
    try {
      const candidates = intOption(values.candidates, 'candidates', DEFAULT_CANDIDATES, 5, 32);
      return await serve(ctx, { port, host: values.host ?? '127.0.0.1', queueLimit, reward: values.reward, candidates }, (s) => !values.quiet && process.stderr.write(`${s}\n`));
    } finally {
      ctx.close();
    }
  },
};
