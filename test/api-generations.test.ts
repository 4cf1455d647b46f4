/**
 * The HTTP API in-process, the routes about images: imagine (validation, 202),
 * history and its pages, one generation, its events (Server-Sent Events, read
 * from a real socket as they come), its images (PNG, AI label, download,
 * prompt left out), feedback, favourites, cancellation, variations and
 * best-of-n. Real generations on the committed default model, 1 to 8 steps at 32 px.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { pseudonym } from '../src/feedback/pairs.ts';
import { DIGITAL_SOURCE_TYPE } from '../src/imagine/label.ts';
import { createUser } from '../src/service/auth.ts';
import type { Generation } from '../src/store/index.ts';
import { apiEnv, HELD, openSse, QUICK, type Env, type SseEvent } from './helpers/api.ts';

let env: Env;
let alice: Record<string, string>;
let bob: Record<string, string>;
/** A finished generation of alice's, made once for the tests that need images. */
let done: string;
let base: string;

beforeAll(async () => {
  env = await apiEnv();
  alice = env.as('alice');
  bob = env.as('bob');
  done = await env.submit(alice, { prompt: 'imagine a red apple on a blue background', seed: 7, ...QUICK });
  const events = await env.events(alice, done);
  expect(events.at(-1)!.event).toBe('done');
  base = await env.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => env?.close());
// A test that fails while holding the worker must not hold up the next ones.
afterEach(() => env?.settle());

const post = (headers: Record<string, string>, payload: unknown) => env.inject({ method: 'POST', url: '/api/generations', headers, payload: payload as object });
const get = (url: string, headers: Record<string, string> = alice) => env.inject({ method: 'GET', url, headers });

describe('POST /api/generations', () => {
  it('queues a prompt: 202 with the recorded generation, its position and where to follow it', async () => {
    const r = await post(alice, { prompt: 'imagine a green tree', seed: 3, ...QUICK });
    expect(r.statusCode).toBe(202);
    const { generation, position } = r.json();
    expect(position).toBe(0); // nothing else waits: it started at once
    expect(generation).toMatchObject({
      id: expect.stringMatching(/^gen-/),
      prompt: 'imagine a green tree',
      status: 'queued',
      images: [],
      events: `/api/generations/${generation.id}/events`,
      settings: { seed: 3, steps: 1, size: 32, count: 4, candidates: 4, reward: null, strength: null },
    });
    expect(generation.label).toMatch(/AI-generated/);
    expect(env.store.generations.get(generation.id)!.userId).toBe(env.users.alice.id);
    const events = await env.events(alice, generation.id);
    expect(events.at(-1)!.event).toBe('done');
    const g = (await get(`/api/generations/${generation.id}`)).json();
    expect(g.status).toBe('done');
    expect(g.images).toHaveLength(4);
    expect(g.images[0]).toEqual({
      index: 0, url: `/api/generations/${g.id}/images/0`, downloadUrl: `/api/generations/${g.id}/images/0?download=1`, candidate: 0, score: null, favourite: false, verdict: null, reason: null,
    });
  });

  it('without a login is 401, whatever the body', async () => {
    for (const payload of [{ prompt: 'imagine a cat', ...QUICK }, { prompt: '' }, { nonsense: true }]) {
      const r = await post({}, payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(401);
      expect(r.json().error.code).toBe('unauthorized');
    }
    const revoked = await post({ authorization: 'Bearer vtk_revoked-or-never-issued' }, { prompt: 'imagine a cat' });
    expect(revoked.statusCode).toBe(401);
  });

  it('refuses a bad request with a 400 that names the field, and records nothing', async () => {
    const before = env.store.generations.history(env.users.bob.id, 100).length;
    const cases: [unknown, string][] = [
      [{}, 'prompt'],
      [{ prompt: '' }, 'prompt'],
      [{ prompt: 'x'.repeat(501) }, 'prompt'],
      [{ prompt: 'imagine' }, 'prompt'], // nothing to imagine once "imagine" is removed
      [{ prompt: '   ' }, 'prompt'],
      [{ prompt: 'imagine a cat', seed: -1 }, 'seed'],
      [{ prompt: 'imagine a cat', seed: 1.5 }, 'seed'],
      [{ prompt: 'imagine a cat', seed: 'seven' }, 'seed'],
      [{ prompt: 'imagine a cat', seed: 4294967296 }, 'seed'],
      [{ prompt: 'imagine a cat', steps: 0 }, 'steps'],
      [{ prompt: 'imagine a cat', steps: 101 }, 'steps'],
      [{ prompt: 'imagine a cat', steps: 2.5 }, 'steps'],
      [{ prompt: 'imagine a cat', guidance: 21 }, 'guidance'],
      [{ prompt: 'imagine a cat', size: 16 }, 'size'],
      [{ prompt: 'imagine a cat', candidates: 3 }, 'candidates'],
      [{ prompt: 'imagine a cat', candidates: 33 }, 'candidates'],
      [{ prompt: 'imagine a cat', setps: 2 }, 'setps'],
      [{ prompt: 'imagine a cat', userId: 'usr-someone-else' }, 'userId'],
      [{ prompt: 'imagine a cat', variationOf: { generation: 'gen-x' } }, 'variationOf.index'],
      [{ prompt: 'imagine a cat', variationOf: { generation: 'gen-x', index: 0, strength: 0 } }, 'variationOf.strength'],
      [{ prompt: 'imagine a cat', variationOf: { generation: 'gen-x', index: 0, seed: 1 } }, 'variationOf.seed'],
    ];
    for (const [payload, field] of cases) {
      const r = await post(bob, payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      const error = r.json().error;
      expect(error.code, JSON.stringify(payload)).toBe('validation');
      expect(error.field, JSON.stringify(payload)).toBe(field);
      expect(error.message, JSON.stringify(payload)).toContain(field.split('.').at(-1));
    }
    const notJson = await env.inject({ method: 'POST', url: '/api/generations', headers: { ...bob, 'content-type': 'application/json' }, payload: '{"prompt": ' });
    expect(notJson.statusCode).toBe(400);
    expect(env.store.generations.history(env.users.bob.id, 100)).toHaveLength(before);
  });
});

describe('GET /api/generations: the history', () => {
  let carol: Record<string, string>;
  let ids: string[];
  beforeAll(async () => {
    const u = await createUser(env.store, 'carol', 'carol-password');
    carol = env.as(u);
    // Five generations, oldest first, recorded as the service records them (the route only reads them).
    ids = [];
    for (let i = 0; i < 5; i++) {
      const g: Generation = {
        id: `gen-carol-${i}`, userId: u.id, prompt: `imagine number ${i}`, modelId: 'model-x', variationOf: null, status: 'failed', error: 'test',
        settings: { seed: i, steps: 2, guidance: 4, method: 'euler', shift: 1, size: 32, count: 4, candidates: 4, reward: null, strength: null },
        createdAt: `2026-01-0${i + 1}T00:00:00.000Z`, finishedAt: null, milliseconds: null, images: [],
      };
      env.store.generations.create(g);
      ids.push(g.id);
    }
  });

  it('pages newest first with limit, before and next, and never offers an empty next page', async () => {
    const page = async (q: string) => {
      const r = await get(`/api/generations${q}`, carol);
      expect(r.statusCode).toBe(200);
      const b = r.json();
      return { ids: b.generations.map((g: { id: string }) => g.id), next: b.next };
    };
    const p1 = await page('?limit=2');
    expect(p1).toEqual({ ids: [ids[4], ids[3]], next: ids[3] });
    const p2 = await page(`?limit=2&before=${p1.next}`);
    expect(p2).toEqual({ ids: [ids[2], ids[1]], next: ids[1] });
    const p3 = await page(`?limit=2&before=${p2.next}`);
    expect(p3).toEqual({ ids: [ids[0]], next: null });
    // Exactly `limit` left: that page is the last one.
    expect(await page('?limit=5')).toEqual({ ids: [...ids].reverse(), next: null });
    expect(await page(`?limit=4&before=${ids[4]}`)).toEqual({ ids: [ids[3], ids[2], ids[1], ids[0]], next: null });
    expect((await page('')).ids).toHaveLength(5); // default limit 20
    // Someone else's generation as a cursor gives nothing of theirs, and nothing of carol's.
    expect(await page(`?before=${done}`)).toEqual({ ids: [], next: null });
  });

  it('shows only your own generations, and checks its query', async () => {
    const mine = (await get('/api/generations', alice)).json().generations.map((g: { id: string }) => g.id);
    expect(mine).toContain(done);
    expect(mine.some((id: string) => id.startsWith('gen-carol'))).toBe(false);
    for (const q of ['?limit=0', '?limit=101', '?limit=ten', '?page=2']) {
      const r = await get(`/api/generations${q}`, carol);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().error.code).toBe('validation');
    }
    expect((await get('/api/generations', {})).statusCode).toBe(401);
  });
});

describe('GET /api/generations/:id', () => {
  it('is 404 for another user\'s generation and for none; an admin may look', async () => {
    const r = await get(`/api/generations/${done}`, bob);
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toEqual({ code: 'not-found', message: `No generation ${done} of yours` });
    expect((await get('/api/generations/gen-nope')).statusCode).toBe(404);
    expect((await get(`/api/generations/${done}/events`, bob)).statusCode).toBe(404);
    expect((await get(`/api/generations/${done}/images/0`, bob)).statusCode).toBe(404);
    expect((await get(`/api/generations/${done}`, env.as('root'))).json().id).toBe(done);
    expect((await get(`/api/generations/${done}`, {})).statusCode).toBe(401);
  });
});

describe('events (Server-Sent Events)', () => {
  const types = (es: SseEvent[]) => es.map((e) => e.event);

  it('a queued job sends queued (with its position), started, progress for every step in order, then done, and ends', async () => {
    // Bob's best-of-n job holds the worker (in the gated reward model); alice's waits behind it.
    const holder = await env.submit(bob, { prompt: 'imagine a yellow sun', ...HELD });
    await env.gate.reached();
    const id = await env.submit(alice, { prompt: 'imagine a blue sea', seed: 1, steps: 3, size: 32 });
    const s = await openSse(base, `/api/generations/${id}/events`, alice);
    expect(s.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(s.headers.get('cache-control')).toBe('no-store');
    const first = await s.next();
    expect(first).toEqual({ event: 'queued', data: { type: 'queued', position: 1 } });
    env.gate.release();
    const rest = await s.rest();
    expect(types(rest)).toEqual(['started', 'progress', 'progress', 'progress', 'done']);
    expect(rest.filter((e) => e.event === 'progress').map((e) => [e.data.step, e.data.steps])).toEqual([[1, 3], [2, 3], [3, 3]]);
    for (const e of rest.filter((x) => x.event === 'progress')) {
      expect(e.data.preview).toHaveLength(4);
      for (const url of e.data.preview as string[]) expect(url).toMatch(/^data:image\/png;base64,/);
    }
    const final = rest.at(-1)!.data.generation as { id: string; status: string; images: unknown[] };
    expect(final).toMatchObject({ id, status: 'done' });
    expect(final.images).toHaveLength(4);
    expect((await env.events(bob, holder)).map((e) => e.event)).toEqual(['done']);
  });

  it('a page that opens the stream after the job started still gets its progress', async () => {
    // What the page does: POST, then open the events. With nothing queued the job starts before the 202 is sent.
    const r = await post(alice, { prompt: 'imagine a white cloud', seed: 2, steps: 8, size: 32 });
    expect(r.json().position).toBe(0);
    const events = await env.events(alice, r.json().generation.id);
    expect(events[0]!.event).toBe('started');
    expect(events.at(-1)!.event).toBe('done');
    const steps = events.filter((e) => e.event === 'progress').map((e) => e.data.step as number);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps.at(-1)).toBe(8);
  });

  it('a finished job sends its final state at once: done with the images, or cancelled, or failed', async () => {
    const d = await env.events(alice, done);
    expect(types(d)).toEqual(['done']);
    expect((d[0]!.data.generation as { images: unknown[] }).images).toHaveLength(4);

    const holder = await env.submit(bob, { prompt: 'imagine a yellow sun', ...HELD });
    await env.gate.reached();
    const id = await env.submit(alice, { prompt: 'imagine a lost cause', ...QUICK });
    expect((await env.inject({ method: 'DELETE', url: `/api/generations/${id}`, headers: alice })).statusCode).toBe(202);
    expect(await env.events(alice, id)).toEqual([{ event: 'cancelled', data: { type: 'cancelled' } }]);
    env.gate.release();
    await env.events(bob, holder);

    env.store.generations.setStatus(id, 'failed', new Date().toISOString(), 'the test broke it');
    expect(await env.events(alice, id)).toEqual([{ event: 'failed', data: { type: 'failed', error: 'the test broke it' } }]);
  });

  it('a client that goes away stops being sent events', async () => {
    const holder = await env.submit(bob, { prompt: 'imagine a yellow sun', ...HELD });
    await env.gate.reached();
    const id = await env.submit(alice, { prompt: 'imagine a short visit', ...QUICK });
    const listeners = () => (env.service as unknown as { jobs: Map<string, { listeners: Set<unknown> }> }).jobs.get(id)!.listeners.size;
    const s = await openSse(base, `/api/generations/${id}/events`, alice);
    expect((await s.next())!.event).toBe('queued');
    expect(listeners()).toBe(1);
    s.close();
    for (let i = 0; i < 1000 && listeners() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(listeners()).toBe(0);
    env.gate.release();
    await env.events(bob, holder);
    expect((await env.events(alice, id)).at(-1)!.event).toBe('done');
  });
});

describe('GET /api/generations/:id/images/:index', () => {
  const xmpOf = async (png: Buffer) => (await sharp(png).metadata()).xmp?.toString() ?? '';

  it('is a PNG labelled as AI-made, with the prompt in its metadata', async () => {
    const r = await get(`/api/generations/${done}/images/0`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('image/png');
    expect(r.headers['content-disposition']).toBeUndefined();
    const png = r.rawPayload;
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 32, 32]);
    const xmp = await xmpOf(png);
    expect(xmp).toContain(`Iptc4xmpExt:DigitalSourceType="${DIGITAL_SOURCE_TYPE}"`);
    expect(xmp).toContain('a red apple on a blue background');
    expect(xmp).toContain('vitrine:seed="7"');
    // The four are different images.
    const all = await Promise.all([0, 1, 2, 3].map(async (i) => (await get(`/api/generations/${done}/images/${i}`)).rawPayload.toString('base64')));
    expect(new Set(all).size).toBe(4);
    expect(env.store.generations.feedbackFor(done).filter((e) => e.kind === 'download')).toEqual([]);
  });

  it('prompt=0 leaves the prompt out of the metadata, never the AI label', async () => {
    for (const q of ['prompt=0', 'prompt=false']) {
      const r = await get(`/api/generations/${done}/images/1?${q}`);
      expect(r.statusCode, q).toBe(200);
      const xmp = await xmpOf(r.rawPayload);
      expect(xmp).not.toContain('red apple');
      expect(xmp).toContain(DIGITAL_SOURCE_TYPE);
      expect(xmp).toContain('AI-generated image');
      expect(xmp).toContain('vitrine:seed="7"');
      // The same pixels.
      const a = await sharp(r.rawPayload).raw().toBuffer();
      const b = await sharp((await get(`/api/generations/${done}/images/1`)).rawPayload).raw().toBuffer();
      expect(a.equals(b)).toBe(true);
    }
    expect(await xmpOf((await get(`/api/generations/${done}/images/1?prompt=1`)).rawPayload)).toContain('red apple');
  });

  it('download=1 (the downloadUrl) is an attachment and records one download event; HEAD and download=0 record none', async () => {
    const g = (await get(`/api/generations/${done}`)).json();
    const r = await get(g.images[2].downloadUrl);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-disposition']).toBe(`attachment; filename="vitrine-${done}-2.png"`);
    expect(r.headers['content-type']).toBe('image/png');
    const downloads = () => env.store.generations.feedbackFor(done).filter((e) => e.kind === 'download');
    expect(downloads()).toMatchObject([{ userId: env.users.alice.id, generationId: done, index: 2, kind: 'download', reason: null }]);
    expect((await get(`/api/generations/${done}/images/2?download=true&prompt=0`)).headers['content-disposition']).toContain('attachment');
    expect(downloads()).toHaveLength(2);
    expect((await get(`/api/generations/${done}/images/2?download=0`)).headers['content-disposition']).toBeUndefined();
    const head = await env.inject({ method: 'HEAD', url: `/api/generations/${done}/images/2?download=1`, headers: alice });
    expect(head.statusCode).toBe(200);
    expect(downloads()).toHaveLength(2);
    // An admin looking at someone's image is not that person downloading it.
    expect((await get(`/api/generations/${done}/images/2?download=1`, env.as('root'))).statusCode).toBe(200);
    expect(downloads()).toHaveLength(2);
  });

  it('an index out of range, a bad flag or an unknown query is a clear 4xx', async () => {
    const four = await get(`/api/generations/${done}/images/4`);
    expect(four.statusCode).toBe(404);
    expect(four.json().error.message).toBe(`Generation ${done} has no image 4`);
    for (const url of [`/api/generations/${done}/images/64`, `/api/generations/${done}/images/-1`, `/api/generations/${done}/images/first`]) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error.field, url).toBe('index');
    }
    for (const q of ['download=yes', 'size=64']) {
      const r = await get(`/api/generations/${done}/images/0?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().error.message).toMatch(/download|size/);
    }
    expect((await get(`/api/generations/${done}/images/0`, {})).statusCode).toBe(401);
  });
});

describe('POST /api/feedback', () => {
  const feedback = (payload: unknown, headers = alice) => env.inject({ method: 'POST', url: '/api/feedback', headers, payload: payload as object });

  it('records a pick, a rejection with its reason, a keep and a variation wish, in order', async () => {
    const before = env.store.generations.feedbackFor(done).length;
    const pick = await feedback({ generation: done, index: 1, kind: 'pick' });
    expect(pick.statusCode).toBe(201);
    expect(pick.json().event).toMatchObject({ id: expect.any(Number), userId: env.users.alice.id, generationId: done, index: 1, kind: 'pick', reason: null });
    expect((await feedback({ generation: done, index: 3, kind: 'reject', reason: 'wrong-colours' })).statusCode).toBe(201);
    expect((await feedback({ generation: done, index: 0, kind: 'keep' })).statusCode).toBe(201);
    expect((await feedback({ generation: done, index: 0, kind: 'variation' })).statusCode).toBe(201);
    const events = env.store.generations.feedbackFor(done).slice(before);
    expect(events.map((e) => [e.kind, e.index, e.reason])).toEqual([['pick', 1, null], ['reject', 3, 'wrong-colours'], ['keep', 0, null], ['variation', 0, null]]);
    // The generation says them back (a page shows them again after a reload).
    const g = (await env.inject({ method: 'GET', url: `/api/generations/${done}`, headers: alice })).json();
    expect(g.images.map((i: { verdict: string | null; reason: string | null }) => [i.verdict, i.reason])).toEqual([[null, null], ['pick', null], [null, null], ['reject', 'wrong-colours']]);
  });

  it('a rejection needs a known reason, only a rejection has one, and the image must be yours and exist', async () => {
    const before = env.store.generations.feedbackFor(done).length;
    const cases: [unknown, number, RegExp][] = [
      [{ generation: done, index: 3, kind: 'reject' }, 400, /needs a reason/],
      [{ generation: done, index: 3, kind: 'reject', reason: 'ugly' }, 400, /reason/],
      [{ generation: done, index: 1, kind: 'pick', reason: 'other' }, 400, /Only a rejection has a reason/],
      [{ generation: done, index: 1, kind: 'love' }, 400, /kind/],
      [{ generation: done, index: 1, kind: 'favourite' }, 400, /kind/], // favourites have their own route
      [{ generation: done, index: 1 }, 400, /kind/],
      [{ index: 1, kind: 'pick' }, 400, /generation/],
      [{ generation: done, index: 4, kind: 'pick' }, 400, /has no image 4/],
      [{ generation: done, index: 1.5, kind: 'pick' }, 400, /index/],
      [{ generation: done, index: 1, kind: 'pick', weight: 2 }, 400, /weight/],
      [{ generation: 'gen-nope', index: 1, kind: 'pick' }, 404, /No generation gen-nope/],
    ];
    for (const [payload, status, message] of cases) {
      const r = await feedback(payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(status);
      expect(r.json().error.message, JSON.stringify(payload)).toMatch(message);
    }
    const theirs = await feedback({ generation: done, index: 1, kind: 'pick' }, bob);
    expect(theirs.statusCode).toBe(404);
    expect((await feedback({ generation: done, index: 1, kind: 'pick' }, {})).statusCode).toBe(401);
    expect(env.store.generations.feedbackFor(done)).toHaveLength(before);
  });

  it('an image not made yet cannot be judged: 409', async () => {
    const holder = await env.submit(bob, { prompt: 'imagine a yellow sun', ...HELD });
    await env.gate.reached();
    const r = await feedback({ generation: holder, index: 0, kind: 'pick' }, bob);
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe('conflict');
    env.gate.release();
    await env.events(bob, holder);
  });
});

describe('favourites', () => {
  it('star and unstar an image: each change is recorded once, shown on the generation and listed', async () => {
    const fav = (method: 'PUT' | 'DELETE', index: number, headers = alice) => env.inject({ method, url: `/api/favourites/${done}/${index}`, headers });
    const kinds = () => env.store.generations.feedbackFor(done).filter((e) => e.kind === 'favourite' || e.kind === 'unfavourite').map((e) => `${e.kind}:${e.index}`);
    expect((await get('/api/favourites')).json()).toEqual({ favourites: [] });

    expect((await fav('PUT', 2)).json()).toEqual({ favourite: true, changed: true });
    expect((await fav('PUT', 2)).json()).toEqual({ favourite: true, changed: false });
    const list = (await get('/api/favourites')).json().favourites;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ index: 2, at: expect.any(String), generation: { id: done, status: 'done' } });
    expect(list[0].generation.images.map((i: { favourite: boolean }) => i.favourite)).toEqual([false, false, true, false]);
    expect((await get(`/api/generations/${done}`)).json().images[2].favourite).toBe(true);
    // Bob neither sees alice's stars nor can set them.
    expect((await get('/api/favourites', bob)).json().favourites).toEqual([]);
    expect((await fav('PUT', 1, bob)).statusCode).toBe(404);
    expect((await fav('DELETE', 2, bob)).statusCode).toBe(404);

    expect((await fav('DELETE', 2)).json()).toEqual({ favourite: false, changed: true });
    expect((await fav('DELETE', 2)).json()).toEqual({ favourite: false, changed: false });
    expect((await get('/api/favourites')).json().favourites).toEqual([]);
    expect(kinds()).toEqual(['favourite:2', 'unfavourite:2']);

    const out = await fav('PUT', 9);
    expect(out.statusCode).toBe(400);
    expect(out.json().error.message).toContain('has no image 9');
    expect((await fav('PUT', 64)).statusCode).toBe(400);
    expect((await env.inject({ method: 'PUT', url: '/api/favourites/gen-nope/0', headers: alice })).statusCode).toBe(404);
    expect((await env.inject({ method: 'PUT', url: `/api/favourites/${done}/0` })).statusCode).toBe(401);
    expect((await get('/api/favourites', {})).statusCode).toBe(401);
    expect(kinds()).toEqual(['favourite:2', 'unfavourite:2']);
  });
});

describe('DELETE /api/generations/:id: cancellation', () => {
  const cancel = (id: string, headers = alice) => env.inject({ method: 'DELETE', url: `/api/generations/${id}`, headers });

  it('cancels a queued job at once, and the ones behind it move up', async () => {
    const holder = await env.submit(bob, { prompt: 'imagine a yellow sun', ...HELD });
    await env.gate.reached();
    const a = await env.submit(alice, { prompt: 'imagine one', ...QUICK });
    const b = await env.submit(alice, { prompt: 'imagine two', ...QUICK });
    const s = await openSse(base, `/api/generations/${b}/events`, alice);
    expect((await s.next())!.data).toEqual({ type: 'queued', position: 2 });
    expect((await cancel(a, bob)).statusCode).toBe(404); // not bob's
    const admin = await cancel(a, env.as('root')); // an admin sees it, but it is not theirs to cancel
    expect(admin.statusCode).toBe(403);
    expect(admin.json().error).toEqual({ code: 'forbidden', message: `Only the person who asked for ${a} may cancel it` });
    const r = await cancel(a);
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ cancelled: true });
    expect(env.store.generations.get(a)!.status).toBe('cancelled');
    expect((await s.next())!.data).toEqual({ type: 'queued', position: 1 });
    expect((await get('/api/health')).json().queue).toBe(1);
    env.gate.release();
    expect((await s.rest()).at(-1)!.event).toBe('done');
    await env.events(bob, holder);
    expect((await cancel(a)).statusCode).toBe(409);
  });

  it('cancels a running job: it ends cancelled, not done, even when the cancel comes while its candidates are scored', async () => {
    const id = await env.submit(alice, { prompt: 'imagine a yellow sun', ...HELD });
    await env.gate.reached();
    expect(env.store.generations.get(id)!.status).toBe('running');
    const s = await openSse(base, `/api/generations/${id}/events`, alice);
    expect((await s.next())!.event).toBe('started');
    const r = await cancel(id);
    expect(r.statusCode).toBe(202);
    env.gate.release();
    expect((await s.rest()).map((e) => e.event)).toEqual(['cancelled']);
    const g = env.store.generations.get(id)!;
    expect(g.status).toBe('cancelled');
    expect(g.images).toEqual([]);
    expect(g.finishedAt).not.toBeNull();
  });

  it('a finished job cannot be cancelled: 409', async () => {
    const r = await cancel(done);
    expect(r.statusCode).toBe(409);
    expect(r.json().error).toMatchObject({ code: 'conflict', message: `Generation ${done} is done: only a queued or running one can be cancelled` });
    expect((await cancel('gen-nope')).statusCode).toBe(404);
    expect((await cancel(done, {})).statusCode).toBe(401);
    expect(env.store.generations.get(done)!.status).toBe('done');
  });
});

describe('variations and best-of-n', () => {
  it('a variation starts from the chosen image and records where it came from', async () => {
    const id = await env.submit(alice, { prompt: 'imagine a red apple on a blue background', variationOf: { generation: done, index: 1, strength: 0.2 }, seed: 99, ...QUICK });
    expect((await env.events(alice, id)).at(-1)!.event).toBe('done');
    const g = (await get(`/api/generations/${id}`)).json();
    expect(g.variationOf).toEqual({ generation: done, index: 1 });
    expect(g.settings.strength).toBe(0.2);
    // Close to its parent: the same noise turned by a fifth of a right angle.
    const px = async (gen: string, i: number) => sharp((await get(`/api/generations/${gen}/images/${i}`)).rawPayload).raw().toBuffer();
    const parent = await px(done, 1);
    const diff = (a: Buffer, b: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
    const child = await px(id, 0);
    expect(diff(child, parent)).toBeLessThan(diff(await px(done, 0), parent));

    const cases: [unknown, Record<string, string>, number][] = [
      [{ generation: done, index: 1 }, bob, 404],
      [{ generation: 'gen-nope', index: 1 }, alice, 404],
      [{ generation: done, index: 7 }, alice, 400],
    ];
    for (const [variationOf, who, status] of cases) {
      const r = await post(who, { prompt: 'imagine again', variationOf, ...QUICK });
      expect(r.statusCode, JSON.stringify(variationOf)).toBe(status);
    }
  });

  it('best-of-n shows the reward model\'s four best candidates, best first, with their scores', async () => {
    env.gate.open();
    const id = await env.submit(alice, { prompt: 'imagine a lemon', seed: 5, steps: 2, size: 32, candidates: 6 });
    expect((await env.events(alice, id)).at(-1)!.event).toBe('done');
    const g = (await get(`/api/generations/${id}`)).json();
    expect(g.settings).toMatchObject({ candidates: 6, count: 4, reward: 'test-reward' });
    expect(g.images).toHaveLength(4);
    const scores = g.images.map((i: { score: number }) => i.score);
    expect(scores.every((s: unknown) => typeof s === 'number')).toBe(true);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(new Set(g.images.map((i: { candidate: number }) => i.candidate)).size).toBe(4);
  });

  it("ranks for the asker's own taste only while they accept the feedback terms", async () => {
    env.gate.open();
    const terms = (accepted: boolean) => env.inject({ method: 'PUT', url: '/api/me/feedback-terms', headers: alice, payload: { accepted } });
    const accountOfNextJob = async (): Promise<string | undefined> => {
      const before = env.gate.accounts.length;
      const id = await env.submit(alice, { prompt: 'imagine a lemon', seed: 6, steps: 1, size: 32, candidates: 5 });
      expect((await env.events(alice, id)).at(-1)!.event).toBe('done');
      expect(env.gate.accounts.length).toBe(before + 1);
      return env.gate.accounts.at(-1);
    };
    expect(await accountOfNextJob()).toBeUndefined(); // never accepted: the shared score
    expect((await terms(true)).statusCode).toBe(200);
    // A pseudonym, as in feedback sets: never the account id or name.
    expect(await accountOfNextJob()).toBe(pseudonym(env.users.alice.id));
    expect((await terms(false)).statusCode).toBe(200);
    expect(await accountOfNextJob()).toBeUndefined(); // revoked: honoured like an objection
  });
});
