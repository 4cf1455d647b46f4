/**
 * The HTTP API in-process (app.inject), the routes about who asks: the OpenAPI
 * description, health, logging in and out, the session cookie, the login rate
 * limit, the feedback terms, API tokens, and the admin routes.
 */
import { faithfulnessVerdict, recordComparison, signTestP } from '../src/feedback/loop.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '../src/http/app.ts';
import { issueCredential, SESSION_DAYS } from '../src/service/auth.ts';
import { DEFAULT_MODEL_DIR } from '../src/imagine/model.ts';
import type { ModelRecord } from '../src/store/index.ts';
import { apiEnv, PASSWORD, servedRoutes, type Env } from './helpers/api.ts';
import { openApi30Problems } from './helpers/openapi.ts';

const CARD_ID: string = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8')).id;
let env: Env;
beforeAll(async () => {
  env = await apiEnv();
});
afterAll(() => env?.close());

const login = (name: string, password: string, extra: Record<string, unknown> = {}) =>
  env.inject({ method: 'POST', url: '/api/session', payload: { name, password, ...extra } });
const cookieOf = (r: { cookies: { name: string; value: string }[] }) => {
  const c = r.cookies.find((x) => x.name === 'vitrine_session');
  return { cookie: `vitrine_session=${c?.value}` };
};

describe('the API description', () => {
  it('is a valid OpenAPI 3.0 document that lists every /api route the app serves', async () => {
    const r = await env.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const doc = r.json();
    expect(openApi30Problems(doc)).toEqual([]);
    const served = servedRoutes(env.app).filter(([, p]) => p.startsWith('/api/'));
    expect(served.length).toBeGreaterThanOrEqual(20);
    const documented = new Set(Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    const missing = served.map(([m, p]) => `${m} ${p.replace(/:(\w+)/g, '{$1}')}`).filter((k) => !documented.has(k));
    expect(missing).toEqual([]);
    // Nothing is documented that is not served, and the page's own routes stay out of it.
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/api/'))).toBe(true);
    expect(documented.size).toBe(served.length);
    // Security: the two schemes, and the routes open to anyone say so.
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['session', 'token']);
    expect(doc.paths['/api/health'].get.security).toEqual([]);
    expect(doc.paths['/api/session'].post.security).toEqual([]);
  });
});

describe('health', () => {
  it('answers anyone with the queue length', async () => {
    const r = await env.inject({ method: 'GET', url: '/api/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ ok: true, queue: 0 });
  });

  it('an unknown /api route is a JSON 404, not the page', async () => {
    const r = await env.inject({ method: 'GET', url: '/api/nope?x=1' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toEqual({ code: 'not-found', message: 'No route GET /api/nope' });
  });
});

describe('sessions', () => {
  it('logging in sets an HttpOnly, SameSite=Strict session cookie that works until logout', async () => {
    const r = await login('alice', PASSWORD);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ user: { id: env.users.alice.id, name: 'alice', role: 'user', createdAt: env.users.alice.createdAt } });
    expect(r.body).not.toContain('scrypt');
    const setCookie = String(r.headers['set-cookie']);
    expect(setCookie).toMatch(/^vitrine_session=vts_[\w-]+;/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    const expires = Date.parse(/Expires=([^;]+)/.exec(setCookie)![1]!);
    expect(expires - Date.now()).toBeGreaterThan((SESSION_DAYS - 1) * 86400_000);
    const h = cookieOf(r);

    const me = await env.inject({ method: 'GET', url: '/api/me', headers: h });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.name).toBe('alice');

    const out = await env.inject({ method: 'DELETE', url: '/api/session', headers: h });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^vitrine_session=;.*Expires=Thu, 01 Jan 1970/);
    // The session is revoked in the store, not only forgotten by the browser.
    expect((await env.inject({ method: 'GET', url: '/api/me', headers: h })).statusCode).toBe(401);
    expect((await env.inject({ method: 'DELETE', url: '/api/session', headers: h })).statusCode).toBe(401);
  });

  it('a wrong password and an unknown name get the same 401', async () => {
    const wrong = await login('alice', 'not the password');
    const unknown = await login('nobody', PASSWORD);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json().error.message).toBe('Wrong user name or password');
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('a login without a password, or with extra fields, is a 400 naming the field', async () => {
    const r = await env.inject({ method: 'POST', url: '/api/session', payload: { name: 'alice' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'validation', field: 'password' });
    expect(r.json().error.message).toContain('password');
    const extra = await login('alice', PASSWORD, { role: 'admin' });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error).toMatchObject({ code: 'validation', field: 'role', message: 'body has an unknown field "role"' });
  });

  it('an expired session, a made-up secret and a malformed header are all 401', async () => {
    const past = new Date(Date.now() - (SESSION_DAYS + 1) * 86400_000);
    const { secret } = issueCredential(env.store, env.users.alice.id, 'session', 'old', past);
    for (const headers of [{ cookie: `vitrine_session=${secret}` }, { cookie: 'vitrine_session=vts_made-up' }, { authorization: 'Bearer vtk_made-up' }, { authorization: 'Basic YWxpY2U6eA==' }, {}]) {
      const r = await env.inject({ method: 'GET', url: '/api/me', headers });
      expect(r.statusCode, JSON.stringify(headers)).toBe(401);
      expect(r.json().error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/^Log in first/) });
    }
  });

  it('login attempts are rate limited per address: 429 with retry-after, even for the right password', async () => {
    const app = await buildApp({ service: env.service, loginPerMinute: 2 });
    try {
      const attempt = (password: string) => app.inject({ method: 'POST', url: '/api/session', payload: { name: 'bob', password } });
      expect((await attempt('wrong 1')).statusCode).toBe(401);
      expect((await attempt('wrong 2')).statusCode).toBe(401);
      const r = await attempt(PASSWORD);
      expect(r.statusCode).toBe(429);
      const wait = Number(r.headers['retry-after']);
      expect(Number.isInteger(wait) && wait >= 1 && wait <= 60).toBe(true);
      expect(r.json().error).toMatchObject({ code: 'rate-limited', retryAfter: wait });
      expect(r.headers['set-cookie']).toBeUndefined();
      // Another address is not affected.
      const other = await app.inject({ method: 'POST', url: '/api/session', remoteAddress: '10.0.0.9', payload: { name: 'bob', password: PASSWORD } });
      expect(other.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('the feedback terms', () => {
  it('are not chosen at first; accepting and revoking are appended to a history, the last choice is in force', async () => {
    const h = env.as('bob');
    const me = await env.inject({ method: 'GET', url: '/api/me', headers: h });
    expect(me.json()).toMatchObject({ user: { name: 'bob' }, feedbackTerms: null, termsVersion: 'feedback-terms-1' });
    const put = (accepted: unknown) => env.inject({ method: 'PUT', url: '/api/me/feedback-terms', headers: h, payload: { accepted } });

    const a = await put(true);
    expect(a.statusCode).toBe(200);
    expect(a.json().feedbackTerms).toMatchObject({ accepted: true, version: 'feedback-terms-1' });
    expect(env.store.users.contributors().has(env.users.bob.id)).toBe(true);

    const b = await put(false);
    expect(b.json().feedbackTerms.accepted).toBe(false);
    expect(env.store.users.contributors().has(env.users.bob.id)).toBe(false);
    expect((await env.inject({ method: 'GET', url: '/api/me', headers: h })).json().feedbackTerms.accepted).toBe(false);

    await put(true);
    const db = new Database(join(env.dir, 'store.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT accepted, terms_version FROM feedback_terms WHERE user_id = ? ORDER BY seq').all(env.users.bob.id);
      expect(rows).toEqual([1, 0, 1].map((accepted) => ({ accepted, terms_version: 'feedback-terms-1' })));
    } finally {
      db.close();
    }
    expect(env.store.users.contributors().has(env.users.bob.id)).toBe(true);
  });

  it('need a yes or no, and a login', async () => {
    const h = env.as('alice');
    for (const payload of [{}, { accepted: 'maybe' }, { accepted: true, forever: true }]) {
      const r = await env.inject({ method: 'PUT', url: '/api/me/feedback-terms', headers: h, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.message).toMatch(/accepted|forever/);
    }
    expect(env.store.users.feedbackTerms(env.users.alice.id)).toBeNull();
    expect((await env.inject({ method: 'PUT', url: '/api/me/feedback-terms', payload: { accepted: true } })).statusCode).toBe(401);
  });
});

describe('API tokens', () => {
  it('the secret is shown once, stored only hashed, works as a Bearer token, and stops working when revoked', async () => {
    const h = env.as('alice');
    const made = await env.inject({ method: 'POST', url: '/api/tokens', headers: h, payload: { name: 'my script' } });
    expect(made.statusCode).toBe(201);
    const { token, secret } = made.json();
    expect(secret).toMatch(/^vtk_[\w-]{32}$/);
    expect(token).toEqual({ id: expect.stringMatching(/^tok-/), name: 'my script', createdAt: expect.any(String), lastUsedAt: null });

    const list = await env.inject({ method: 'GET', url: '/api/tokens', headers: h });
    expect(list.json().tokens).toEqual([token]);
    expect(list.body).not.toContain(secret);
    // The store holds its SHA-256, never the secret.
    const db = new Database(join(env.dir, 'store.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT * FROM credentials WHERE id = ?').get(token.id) as Record<string, unknown>;
      expect(row.token_hash).toBe(createHash('sha256').update(secret).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(secret);
    } finally {
      db.close();
    }

    const bearer = { authorization: `Bearer ${secret}` };
    const me = await env.inject({ method: 'GET', url: '/api/me', headers: bearer });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.id).toBe(env.users.alice.id);
    const used = (await env.inject({ method: 'GET', url: '/api/tokens', headers: h })).json().tokens[0];
    expect(used.lastUsedAt).not.toBeNull();

    // Bob cannot see or revoke it: to him it does not exist.
    const bob = env.as('bob');
    expect((await env.inject({ method: 'GET', url: '/api/tokens', headers: bob })).json().tokens).toEqual([]);
    const theirs = await env.inject({ method: 'DELETE', url: `/api/tokens/${token.id}`, headers: bob });
    expect(theirs.statusCode).toBe(404);
    expect((await env.inject({ method: 'GET', url: '/api/me', headers: bearer })).statusCode).toBe(200);

    const del = await env.inject({ method: 'DELETE', url: `/api/tokens/${token.id}`, headers: h });
    expect(del.statusCode).toBe(204);
    expect((await env.inject({ method: 'GET', url: '/api/me', headers: bearer })).statusCode).toBe(401);
    expect((await env.inject({ method: 'GET', url: '/api/tokens', headers: h })).json().tokens).toEqual([]);
    expect((await env.inject({ method: 'DELETE', url: `/api/tokens/${token.id}`, headers: h })).statusCode).toBe(404);
  });

  it('a token can revoke itself; a session is not a token; a token needs a name', async () => {
    const h = env.as('bob');
    const { token, secret } = (await env.inject({ method: 'POST', url: '/api/tokens', headers: h, payload: { name: 'ci' } })).json();
    const bearer = { authorization: `Bearer ${secret}` };
    // Logging out with a token does not revoke it (only a session is ended by logout).
    expect((await env.inject({ method: 'DELETE', url: '/api/session', headers: bearer })).statusCode).toBe(204);
    expect((await env.inject({ method: 'GET', url: '/api/me', headers: bearer })).statusCode).toBe(200);
    expect((await env.inject({ method: 'DELETE', url: `/api/tokens/${token.id}`, headers: bearer })).statusCode).toBe(204);
    expect((await env.inject({ method: 'GET', url: '/api/me', headers: bearer })).statusCode).toBe(401);

    const session = issueCredential(env.store, env.users.bob.id, 'session', 'browser').credential;
    expect((await env.inject({ method: 'DELETE', url: `/api/tokens/${session.id}`, headers: h })).statusCode).toBe(404);

    for (const payload of [{}, { name: '' }, { name: 'x'.repeat(81) }, { name: 'ok', scope: 'all' }]) {
      const r = await env.inject({ method: 'POST', url: '/api/tokens', headers: h, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.code).toBe('validation');
    }
    expect((await env.inject({ method: 'POST', url: '/api/tokens', payload: { name: 'anon' } })).statusCode).toBe(401);
    expect((await env.inject({ method: 'GET', url: '/api/tokens' })).statusCode).toBe(401);
  });
});

describe('models and admin', () => {
  const record = (over: Partial<ModelRecord>): ModelRecord => ({
    id: 'x', path: DEFAULT_MODEL_DIR, createdAt: '2026-01-02T00:00:00.000Z', kind: 'text-to-image', snapshotId: 'snap-test', policyVersion: 'default@1',
    parentId: null, configName: 'default', config: {}, codeVersion: 'test', trainSeconds: 1, imagesSeen: 10, hardware: {}, card: {}, ...over,
  });

  beforeAll(() => {
    env.store.snapshots.register({ id: 'snap-test', path: env.dir, createdAt: '2026-01-01T00:00:00.000Z', policyVersion: 'default@1', decideRunId: 1, items: 0, datasheet: {} }, []);
    env.store.models.register(record({ id: CARD_ID }));
    env.store.models.register(record({ id: 'judge-1', kind: 'judge' }));
    const gone = join(env.dir, 'models', 'gone');
    mkdirSync(gone, { recursive: true });
    env.store.models.register(record({ id: 'model-gone', path: gone }));
  });

  it('GET /api/models names the model in use (the committed default) and the registered ones', async () => {
    expect((await env.inject({ method: 'GET', url: '/api/models' })).statusCode).toBe(401);
    const r = await env.inject({ method: 'GET', url: '/api/models', headers: env.as('alice') });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.inUse).toBe(CARD_ID);
    expect(body.reranker).toBe('test-reward');
    expect(body.models.filter((m: { inUse: boolean }) => m.inUse).map((m: { id: string }) => m.id)).toEqual([CARD_ID]);
    expect(body.models.map((m: { id: string }) => m.id).sort()).toEqual([CARD_ID, 'judge-1', 'model-gone'].sort());
  });

  it('promoting a model is for admins; an unknown model is 404, a judge 400, a model without files 409', async () => {
    const promote = (id: string, who: string) => env.inject({ method: 'POST', url: `/api/admin/models/${id}/promote`, headers: env.as(who as 'alice') });
    expect((await env.inject({ method: 'POST', url: `/api/admin/models/${CARD_ID}/promote` })).statusCode).toBe(401);
    const user = await promote(CARD_ID, 'alice');
    expect(user.statusCode).toBe(403);
    expect(user.json().error.message).toBe('Only an admin may do this');
    expect(env.store.models.active()).toBeNull();

    const unknown = await promote('model-nope', 'root');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toContain('model-nope');
    const judge = await promote('judge-1', 'root');
    expect(judge.statusCode).toBe(400);
    expect(judge.json().error.message).toBe('judge-1 is a judge model, not a text-to-image one');
    const gone = await promote('model-gone', 'root');
    expect(gone.statusCode).toBe(409);
    expect(gone.json().error.message).toContain('missing');
    expect(env.store.models.active()).toBeNull();

    const ok = await promote(CARD_ID, 'root');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ inUse: CARD_ID });
    expect(env.store.models.active()).toBe(CARD_ID);
    const models = (await env.inject({ method: 'GET', url: '/api/models', headers: env.as('bob') })).json();
    expect(models.models.find((m: { id: string }) => m.id === CARD_ID)).toMatchObject({ inUse: true, snapshot: 'snap-test', imagesSeen: 10 });
  });

  it('a fine-tuned model is promoted only after beating its parent in a stored comparison', async () => {
    const promote = (id: string) => env.inject({ method: 'POST', url: `/api/admin/models/${id}/promote`, headers: env.as('root') });
    env.store.models.register(record({ id: 'model-child', parentId: CARD_ID, card: { lineage: { parent: CARD_ID, feedbackSet: 'fb-x' } } }));
    const before = env.store.models.active();
    const never = await promote('model-child');
    expect(never.statusCode).toBe(409);
    expect(never.json().error.message).toContain('not been compared');
    const kept = faithfulnessVerdict([true, true, false, false, true, false], [true, false, true, false, true, false]);
    expect(kept).toMatchObject({ images: 6, parent: 0.5, child: 0.5, lost: 1, gained: 1, worse: false });
    const faithfulness = { judge: 'judge-x', prompts: 2, ...kept };
    const c = { child: 'model-child', parent: CARD_ID, judge: 'reward-x', prompts: 10, pairs: 40, childWins: 19, ties: 0, winRate: 19 / 40, pValue: signTestP(19, 40), judgeIndependent: true, wins: false, faithfulness, at: '2026-01-03T00:00:00.000Z' };
    recordComparison(env.store, c);
    const lost = await promote('model-child');
    expect(lost.statusCode).toBe(409);
    expect(lost.json().error.message).toContain('did not beat its parent');
    expect(lost.json().error.comparison).toMatchObject({ winRate: 19 / 40 });
    expect(env.store.models.active()).toBe(before);
    // A win before a reward model that learnt from the child's own kind of pairs does not count.
    recordComparison(env.store, { ...c, childWins: 30, winRate: 0.75, pValue: signTestP(30, 40), judgeIndependent: false, wins: true, at: '2026-01-04T00:00:00.000Z' });
    const flattered = await promote('model-child');
    expect(flattered.statusCode).toBe(409);
    expect(flattered.json().error.message).toContain('independent judge');
    expect(env.store.models.active()).toBe(before);
    // A win before the people's judge by a child that forgot its prompts does not count either.
    const forgot = faithfulnessVerdict([...Array(40).fill(true), ...Array(60).fill(false)], [...Array(4).fill(true), ...Array(96).fill(false)]);
    expect(forgot).toMatchObject({ parent: 0.4, child: 0.04, lost: 36, gained: 0, worse: true });
    recordComparison(env.store, { ...c, childWins: 30, winRate: 0.75, pValue: signTestP(30, 40), wins: true, faithfulness: { ...faithfulness, ...forgot }, at: '2026-01-05T00:00:00.000Z' });
    const hacked = await promote('model-child');
    expect(hacked.statusCode).toBe(409);
    expect(hacked.json().error.message).toContain('forgot its prompts: the prompted emoji is in the evaluation judge\'s top 5 for 4.0% of its images against 40.0%');
    // A comparison stored before faithfulness was checked: compare again.
    recordComparison(env.store, { ...c, childWins: 30, winRate: 0.75, pValue: signTestP(30, 40), wins: true, faithfulness: undefined, at: '2026-01-06T00:00:00.000Z' });
    expect((await promote('model-child')).json().error.message).toContain('compared before faithfulness was checked');
    expect(env.store.models.active()).toBe(before);
    recordComparison(env.store, { ...c, childWins: 30, winRate: 0.75, pValue: signTestP(30, 40), wins: true, at: '2026-01-07T00:00:00.000Z' });
    const won = await promote('model-child');
    expect(won.statusCode).toBe(200);
    expect(env.store.models.active()).toBe('model-child');
    env.store.models.setActive(before);
  });

  it('the overview is for admins only', async () => {
    expect((await env.inject({ method: 'GET', url: '/api/admin/overview' })).statusCode).toBe(401);
    const user = await env.inject({ method: 'GET', url: '/api/admin/overview', headers: env.as('bob') });
    expect(user.statusCode).toBe(403);
    expect(user.json().error.code).toBe('forbidden');
    const r = await env.inject({ method: 'GET', url: '/api/admin/overview', headers: env.as('root') });
    expect(r.statusCode).toBe(200);
    const o = r.json();
    expect(o).toMatchObject({ users: 3, queue: 0, posts: { accounts: 0, posts: 0 }, generations: { queued: 0, running: 0, done: 0 } });
    expect(o.snapshots).toEqual([{ id: 'snap-test', createdAt: '2026-01-01T00:00:00.000Z', items: 0, policy: 'default@1', withdrawn: 0 }]);
    expect(o.contributors).toBe(env.store.users.contributors().size);
    expect(Array.isArray(o.feedback)).toBe(true);
  });
});
