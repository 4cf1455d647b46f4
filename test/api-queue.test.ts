/**
 * Back-pressure and stopping, in-process: the per-account rate limit, the
 * bounded queue (429 with its length, never an unbounded backlog), the
 * per-account cap on unfinished jobs, and a graceful stop that loses no
 * recorded feedback and leaves no generation "running" — and, after a crash,
 * the next start marks what was left unfinished.
 *
 * The worker is held by a best-of-n job waiting in the gated reward model
 * (test/helpers/api.ts), so "running" and "queued" are states, not timings.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImagineService } from '../src/service/imagine-service.ts';
import { openStore } from '../src/store/index.ts';
import { apiEnv, HELD, openSse, QUICK, type Env } from './helpers/api.ts';

const envs: Env[] = [];
const open = async (o: Parameters<typeof apiEnv>[0]) => {
  const e = await apiEnv(o);
  envs.push(e);
  return e;
};
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

const post = (env: Env, headers: Record<string, string>, payload: Record<string, unknown>) =>
  env.inject({ method: 'POST', url: '/api/generations', headers, payload });

describe('the per-account rate limit', () => {
  it('refuses past the burst with 429 and retry-after; a refused or invalid request costs nothing, other accounts go on', async () => {
    const env = await open({ perMinute: 1, burst: 2 });
    const alice = env.as('alice');
    // An invalid request is refused before the limit is counted.
    expect((await post(env, alice, { prompt: '' })).statusCode).toBe(400);
    expect((await post(env, alice, { prompt: 'imagine one', ...QUICK })).statusCode).toBe(202);
    expect((await post(env, alice, { prompt: 'imagine two', ...QUICK })).statusCode).toBe(202);
    const r = await post(env, alice, { prompt: 'imagine three', ...QUICK });
    expect(r.statusCode).toBe(429);
    const wait = Number(r.headers['retry-after']);
    // One request a minute: the next one is about a minute away.
    expect(Number.isInteger(wait) && wait > 30 && wait <= 60).toBe(true);
    expect(r.json().error).toMatchObject({ code: 'rate-limited', retryAfter: wait, message: `Too many requests: you may ask again in ${wait} s` });
    expect(env.store.generations.history(env.users.alice.id, 10)).toHaveLength(2);
    // Per account: the same limit for a token of the same account, none for bob.
    const bearer = { authorization: `Bearer ${(await env.inject({ method: 'POST', url: '/api/tokens', headers: alice, payload: { name: 'x' } })).json().secret}` };
    expect((await post(env, bearer, { prompt: 'imagine four', ...QUICK })).statusCode).toBe(429);
    expect((await post(env, env.as('bob'), { prompt: 'imagine five', ...QUICK })).statusCode).toBe(202);
    await env.settle();
  });
});

describe('the queue', () => {
  it('is bounded: past its limit a 429 gives the queue length and a retry-after, and nothing is recorded', async () => {
    const env = await open({ queueLimit: 2, perUserJobs: 100 });
    const alice = env.as('alice');
    const running = await post(env, alice, { prompt: 'imagine the one running', ...HELD });
    expect(running.json().position).toBe(0);
    await env.gate.reached();
    const positions = [];
    for (const p of ['imagine first in line', 'imagine second in line']) positions.push((await post(env, alice, { prompt: p, ...QUICK })).json().position);
    expect(positions).toEqual([1, 2]);
    expect((await env.inject({ method: 'GET', url: '/api/health' })).json()).toEqual({ ok: true, queue: 2 });

    // Many more, from several accounts: every one refused, none recorded, the queue stays at its limit.
    const who = [alice, env.as('bob'), env.as('root')];
    const refused = await Promise.all(Array.from({ length: 12 }, (_, i) => post(env, who[i % 3]!, { prompt: `imagine extra ${i}`, ...QUICK })));
    for (const r of refused) {
      expect(r.statusCode).toBe(429);
      expect(r.json().error).toMatchObject({ code: 'rate-limited', queueLength: 2, message: 'The queue is full (2 waiting); try again shortly' });
      const wait = Number(r.headers['retry-after']);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(r.json().error.retryAfter).toBe(wait);
    }
    expect(env.service.queueLength()).toBe(2);
    expect(env.store.generations.counts()).toMatchObject({ running: 1, queued: 2 });
    expect(env.store.users.list().flatMap((u) => env.store.generations.history(u.id, 100))).toHaveLength(3);

    // Room again once the running job is done: the next request is taken.
    env.gate.release();
    const s = await env.events(alice, running.json().generation.id);
    expect(s.at(-1)!.event).toBe('done');
    for (let i = 0; i < 1000 && env.service.queueLength() >= 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await post(env, env.as('bob'), { prompt: 'imagine next', ...QUICK })).statusCode).toBe(202);
    await env.settle();
    expect(env.service.queueLength()).toBe(0);
    expect(env.store.generations.counts()).toMatchObject({ queued: 0, running: 0, done: 4 });
  });

  it('caps each account\'s unfinished jobs: the 429 lists theirs with their positions; others are not held up', async () => {
    const env = await open({ perUserJobs: 2 });
    const alice = env.as('alice');
    const a = (await post(env, alice, { prompt: 'imagine a', ...HELD })).json().generation.id;
    await env.gate.reached();
    const bobs = (await post(env, env.as('bob'), { prompt: 'imagine bob', ...QUICK })).json();
    expect(bobs.position).toBe(1);
    const b = (await post(env, alice, { prompt: 'imagine b', ...QUICK })).json();
    expect(b.position).toBe(2);
    const r = await post(env, alice, { prompt: 'imagine c', ...QUICK });
    expect(r.statusCode).toBe(429);
    expect(r.json().error).toMatchObject({
      code: 'rate-limited',
      message: 'You already have 2 requests waiting or running; wait for one to finish',
      yours: [{ id: a, position: 0 }, { id: b.generation.id, position: 2 }],
    });
    expect(Number(r.headers['retry-after'])).toBe(r.json().error.retryAfter);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Cancelling one makes room.
    expect((await env.inject({ method: 'DELETE', url: `/api/generations/${b.generation.id}`, headers: alice })).statusCode).toBe(202);
    const c = await post(env, alice, { prompt: 'imagine c', ...QUICK });
    expect(c.statusCode).toBe(202);
    expect(c.json().position).toBe(2);
    await env.settle();
  });
});

describe('stopping', () => {
  it('a graceful stop finishes the running job, cancels the queued ones, refuses new ones, and loses no feedback', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitrine-stop-'));
    try {
      const env = await apiEnv({ dir });
      const alice = env.as('alice');
      // A finished generation, and feedback on it.
      const done = await env.submit(alice, { prompt: 'imagine a red apple', seed: 1, ...QUICK });
      expect((await env.events(alice, done)).at(-1)!.event).toBe('done');
      const feedback = async (payload: Record<string, unknown>) => {
        const r = await env.inject({ method: 'POST', url: '/api/feedback', headers: alice, payload: { generation: done, ...payload } });
        expect(r.statusCode, r.body).toBe(201);
      };
      await feedback({ index: 0, kind: 'pick' });
      await feedback({ index: 1, kind: 'reject', reason: 'badly-drawn' });

      // One running, two queued, and someone following one of them.
      const running = await env.submit(alice, { prompt: 'imagine a long job', ...HELD });
      await env.gate.reached();
      const queued = [await env.submit(env.as('bob'), { prompt: 'imagine waiting', ...QUICK }), await env.submit(alice, { prompt: 'imagine waiting too', ...QUICK })];
      const base = await env.app.listen({ port: 0, host: '127.0.0.1' });
      const follower = await openSse(base, `/api/generations/${queued[1]}/events`, alice);
      expect((await follower.next())!.event).toBe('queued');

      const stopped = env.service.stop(60_000);
      // While it stops: the queued jobs are cancelled (and told so), new ones refused, feedback still recorded.
      expect((await follower.rest()).map((e) => e.event)).toEqual(['cancelled']);
      const refused = await post(env, alice, { prompt: 'imagine too late', ...QUICK });
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe('unavailable');
      await feedback({ index: 2, kind: 'keep' });
      expect((await env.inject({ method: 'PUT', url: `/api/favourites/${done}/3`, headers: alice })).json().changed).toBe(true);
      expect((await env.inject({ method: 'GET', url: `/api/generations/${done}/images/0?download=1`, headers: alice })).statusCode).toBe(200);
      let settled = false;
      void stopped.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 20));
      expect(settled).toBe(false); // it waits for the running job
      env.gate.release();
      await stopped;
      await env.app.close();
      env.store.close();

      // A new process: everything said about the images is there, and nothing is left unfinished.
      const store = openStore(join(dir, 'store.db'));
      try {
        expect(store.generations.feedbackFor(done).map((e) => `${e.kind}:${e.index}`)).toEqual(['pick:0', 'reject:1', 'keep:2', 'favourite:3', 'download:0']);
        expect(store.generations.favourites(env.users.alice.id).map((f) => f.index)).toEqual([3]);
        expect(store.generations.get(running)!.status).toBe('done');
        expect(store.generations.get(running)!.images).toHaveLength(4);
        for (const id of queued) expect(store.generations.get(id)!.status).toBe('cancelled');
        expect(store.generations.counts()).toMatchObject({ queued: 0, running: 0 });
        expect(new ImagineService({ store, dataDir: dir }).queueLength()).toBe(0);
        expect(store.generations.counts()).toMatchObject({ failed: 0, cancelled: 2, done: 2 });
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('past its grace period a stop cancels the running job: cancelled, not running', async () => {
    const env = await open({});
    const alice = env.as('alice');
    const id = await env.submit(alice, { prompt: 'imagine a slow one', ...HELD });
    await env.gate.reached();
    const stopped = env.service.stop(0);
    // The grace timer (0 ms) fires before this one (5 ms); only then does the scorer return.
    await new Promise((r) => setTimeout(r, 5));
    env.gate.release();
    await stopped;
    expect(env.store.generations.get(id)).toMatchObject({ status: 'cancelled', images: [] });
  });

  it('a request that arrives while the stop begins is refused, not queued behind it', async () => {
    const env = await open({});
    const submitting = env.service.submit(env.users.alice, { prompt: 'imagine at the last moment', ...QUICK });
    const stopped = env.service.stop();
    await expect(submitting).rejects.toMatchObject({ status: 503 });
    await stopped;
    expect(env.store.generations.history(env.users.alice.id, 10)).toEqual([]);
  });

  it('after a crash, the next start marks what was queued or running as failed, and says so to whoever asks', async () => {
    const env = await open({});
    const alice = env.as('alice');
    const running = await env.submit(alice, { prompt: 'imagine interrupted', ...HELD });
    await env.gate.reached();
    const queued = await env.submit(alice, { prompt: 'imagine never started', ...QUICK });
    expect(env.store.generations.counts()).toMatchObject({ running: 1, queued: 1 });

    // The process dies here (nothing is stopped); the next one opens the same store.
    const next = await apiEnv({ dir: env.dir });
    try {
      for (const id of [running, queued]) {
        expect(next.store.generations.get(id)).toMatchObject({ status: 'failed', error: 'The service stopped before these images were made; ask again.', images: [] });
        expect(next.store.generations.get(id)!.finishedAt).not.toBeNull();
        const events = await next.events(next.as('alice'), id);
        expect(events).toEqual([{ event: 'failed', data: { type: 'failed', error: 'The service stopped before these images were made; ask again.' } }]);
      }
      expect(next.store.generations.counts()).toMatchObject({ queued: 0, running: 0, failed: 2 });
    } finally {
      await next.close();
    }
  });
});
