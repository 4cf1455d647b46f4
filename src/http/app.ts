/**
 * The HTTP API (Fastify). Routes only translate between HTTP and the service:
 * every body, query and path is validated by its JSON schema (a precise 400
 * naming the field), the same schemas make the OpenAPI description at
 * /openapi.json, and every refusal is `{ error: { code, message, ... } }`.
 *
 * Auth: a browser logs in and gets an HttpOnly, SameSite=Strict session
 * cookie; programs send `Authorization: Bearer <API token>`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ServiceError, VitrineError } from '../core/errors.ts';
import { lastComparison, promotionRefusal } from '../feedback/loop.ts';
import { verdicts } from '../feedback/pairs.ts';
import { DIRECT_KINDS, recordFeedback, REJECT_REASONS, setFavourite } from '../feedback/events.ts';
import { readCard } from '../imagine/model.ts';
import { authenticate, checkLogin, FEEDBACK_TERMS_VERSION, issueCredential } from '../service/auth.ts';
import type { ImagineService, JobEvent } from '../service/imagine-service.ts';
import { RateLimiter } from '../service/rate-limit.ts';
import type { Credential, Generation, User } from '../store/index.ts';

export const SESSION_COOKIE = 'vitrine_session';

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
    credential: Credential | null;
  }
}

export interface AppOptions {
  service: ImagineService;
  /** The built web page (web/dist); served at / when present. */
  webDir?: string;
  /** Login attempts per client address per minute. */
  loginPerMinute?: number;
  logger?: boolean;
}

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, additionalProperties: true } },
} as const;

const userSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: ['user', 'admin'] }, createdAt: { type: 'string' } },
} as const;

const imageSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    url: { type: 'string' },
    downloadUrl: { type: 'string' },
    candidate: { type: 'integer' },
    score: { type: ['number', 'null'] },
    favourite: { type: 'boolean' },
    verdict: { type: ['string', 'null'], enum: ['pick', 'reject', null], description: 'what the owner said last: the pick, or a rejection' },
    reason: { type: ['string', 'null'], description: 'the rejection reason' },
  },
} as const;

const generationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    prompt: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'done', 'failed', 'cancelled'] },
    error: { type: ['string', 'null'] },
    model: { type: 'string' },
    settings: { type: 'object', additionalProperties: true },
    variationOf: { type: ['object', 'null'], properties: { generation: { type: 'string' }, index: { type: 'integer' } } },
    createdAt: { type: 'string' },
    finishedAt: { type: ['string', 'null'] },
    milliseconds: { type: ['number', 'null'] },
    label: { type: 'string' },
    images: { type: 'array', items: imageSchema },
    events: { type: 'string' },
  },
} as const;

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
const imageParams = {
  type: 'object',
  required: ['id', 'index'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 }, index: { type: 'integer', minimum: 0, maximum: 63 } },
} as const;

/**
 * A query flag: `1`/`0` as the links this API hands out write them (`?download=1`), or `true`/`false`.
 * A plain boolean schema refused `download=1` (Ajv coerces only "true"/"false" strings), so the
 * `downloadUrl` of every image answered 400.
 */
const flag = { type: 'string', enum: ['1', '0', 'true', 'false'] } as const;
const isOn = (v: string | undefined): boolean | undefined => (v === undefined ? undefined : v === '1' || v === 'true');

interface AjvError { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }

/** The first schema violation in words that name the field (`field` is its dotted path, for programs). */
function validationMessage(err: Error & { validation: AjvError[]; validationContext?: string }): { message: string; field?: string } {
  const e = err.validation[0];
  if (!e) return { message: err.message };
  const ctx = err.validationContext ?? 'request';
  const at = e.instancePath.split('/').filter(Boolean);
  const name = (extra?: unknown) => [...at, ...(extra === undefined ? [] : [String(extra)])].join('.');
  if (e.keyword === 'additionalProperties') {
    const field = name(e.params.additionalProperty);
    return { message: `${ctx} has an unknown field "${field}"`, field };
  }
  if (e.keyword === 'required') {
    const field = name(e.params.missingProperty);
    return { message: `${ctx}/${field.replaceAll('.', '/')} is required`, field };
  }
  return { message: err.message, ...(at.length ? { field: name() } : {}) };
}

function fail(status: number, message: string, details: Record<string, unknown> = {}): never {
  throw new ServiceError(message, status, details);
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const service = o.service;
  const store = service.store;
  // removeAdditional: false — Fastify's default (true) silently drops fields a schema does not name, so a
  // misspelt `setps` was accepted and ignored; `additionalProperties: false` now means a 400 naming the field.
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: 64 * 1024, ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } } });
  const loginLimiter = new RateLimiter(o.loginPerMinute ?? 10, o.loginPerMinute ?? 10);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'vitrine',
        version: '1',
        description:
          'Imagine four images from a prompt, tell which one you like, and find them again. Images are AI-made and labelled so inside the files. ' +
          'Authenticate with the session cookie (POST /api/session) or an API token (Authorization: Bearer).',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
  });

  app.decorateRequest('user', null);
  app.decorateRequest('credential', null);
  app.addHook('onRequest', async (req) => {
    const auth = req.headers.authorization;
    const secret = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : req.cookies[SESSION_COOKIE];
    if (!secret) return;
    const found = authenticate(store, secret);
    if (found) {
      req.user = found.user;
      req.credential = found.credential;
    }
  });

  app.setErrorHandler((err: Error & { validation?: unknown; statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof ServiceError) {
      if (err.status === 429 && typeof err.details.retryAfter === 'number') reply.header('retry-after', String(err.details.retryAfter));
      // ServiceError names only the statuses it knows and calls the rest "validation": a 401 or 403 said
      // "validation" to a program that dispatches on the code.
      const code = err.status === 401 ? 'unauthorized' : err.status === 403 ? 'forbidden' : err.code;
      return reply.status(err.status).send({ error: { code, message: err.message, ...err.details } });
    }
    if (err.validation) return reply.status(400).send({ error: { code: 'validation', ...validationMessage(err as Error & { validation: AjvError[]; validationContext?: string }) } });
    if (err instanceof VitrineError) return reply.status(400).send({ error: { code: err.code, message: err.message } });
    if (err.statusCode && err.statusCode < 500) return reply.status(err.statusCode).send({ error: { code: err.code ?? 'bad-request', message: err.message } });
    app.log.error(err);
    return reply.status(500).send({ error: { code: 'internal', message: 'Something went wrong on our side; the request was not completed.' } });
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.status(404).send({ error: { code: 'not-found', message: `No route ${req.method} ${req.url.split('?')[0]}` } });
    return sendPage(reply, o.webDir, '/');
  });

  // Run as preValidation hooks: who asks is checked before what they sent, so an anonymous request gets a 401,
  // not a 400 that describes the schema to someone who may not use the route at all.
  const requireUser = async (req: FastifyRequest) => {
    if (!req.user) fail(401, 'Log in first (POST /api/session) or send an API token (Authorization: Bearer …)');
  };
  const requireAdmin = async (req: FastifyRequest) => {
    await requireUser(req);
    if (req.user!.role !== 'admin') fail(403, 'Only an admin may do this');
  };
  const user = (req: FastifyRequest): User => req.user!;

  /** A generation as the API shows it; a list of one owner's generations passes the owner's favourites, read once. */
  const publicGeneration = (g: Generation, ownerFavourites = store.generations.favourites(g.userId)): Record<string, unknown> => {
    const favs = new Set(ownerFavourites.filter((f) => f.generationId === g.id).map((f) => f.index));
    // The owner's pick and rejections, so a page shows them again after a reload.
    const own = store.generations.feedbackFor(g.id).filter((e) => e.userId === g.userId);
    const verdict = verdicts(own);
    const rejectReason = new Map(own.filter((e) => e.kind === 'reject').map((e) => [e.index, e.reason]));
    return {
      id: g.id,
      prompt: g.prompt,
      status: g.status,
      error: g.error,
      model: g.modelId,
      settings: g.settings,
      variationOf: g.variationOf,
      createdAt: g.createdAt,
      finishedAt: g.finishedAt,
      milliseconds: g.milliseconds,
      label: 'AI-generated images: made by a model, not photographs of anything real',
      images: g.images.map((i) => ({
        index: i.index,
        url: `/api/generations/${g.id}/images/${i.index}`,
        downloadUrl: `/api/generations/${g.id}/images/${i.index}?download=1`,
        candidate: i.candidate,
        score: i.score,
        favourite: favs.has(i.index),
        verdict: verdict.get(i.index) === 'pick' || verdict.get(i.index) === 'reject' ? verdict.get(i.index) : null,
        reason: verdict.get(i.index) === 'reject' ? (rejectReason.get(i.index) ?? null) : null,
      })),
      events: `/api/generations/${g.id}/events`,
    };
  };
  const ownGeneration = (req: FastifyRequest, id: string): Generation => {
    const g = store.generations.get(id);
    if (!g || (g.userId !== user(req).id && user(req).role !== 'admin')) fail(404, `No generation ${id} of yours`);
    return g;
  };

  // ---------------------------------------------------------------- meta
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/api/health', { schema: { summary: 'Liveness and queue length', security: [], response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, queue: { type: 'integer' } } } } } }, async () => ({
    ok: true,
    queue: service.queueLength(),
  }));

  // ---------------------------------------------------------------- accounts
  app.post<{ Body: { name: string; password: string } }>(
    '/api/session',
    {
      schema: {
        summary: 'Log in: sets the session cookie',
        security: [],
        body: { type: 'object', required: ['name', 'password'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, password: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: { 200: { type: 'object', properties: { user: userSchema } }, 401: errorSchema, 429: errorSchema },
      },
    },
    async (req, reply) => {
      const wait = loginLimiter.take(req.ip);
      if (wait) fail(429, `Too many login attempts; try again in ${wait} s`, { retryAfter: wait });
      const u = await checkLogin(store, req.body.name, req.body.password);
      if (!u) fail(401, 'Wrong user name or password');
      const { credential, secret } = issueCredential(store, u.id, 'session', req.headers['user-agent']?.slice(0, 100) ?? 'browser');
      reply.setCookie(SESSION_COOKIE, secret, { path: '/', httpOnly: true, sameSite: 'strict', expires: new Date(credential.expiresAt!) });
      return { user: u };
    },
  );
  app.delete('/api/session', { schema: { summary: 'Log out', response: { 204: { type: 'null' } } }, preValidation: requireUser }, async (req, reply) => {
    if (req.credential?.kind === 'session') store.users.revoke(user(req).id, req.credential.id, new Date().toISOString());
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send();
  });
  const termsSchema = { type: ['object', 'null'], properties: { accepted: { type: 'boolean' }, version: { type: 'string' }, at: { type: 'string' } } } as const;
  app.get('/api/me', { schema: { summary: 'Who is logged in, and their feedback-terms choice', response: { 200: { type: 'object', properties: { user: userSchema, feedbackTerms: termsSchema, termsVersion: { type: 'string' } } }, 401: errorSchema } }, preValidation: requireUser }, async (req) => ({
    user: user(req),
    feedbackTerms: store.users.feedbackTerms(user(req).id),
    termsVersion: FEEDBACK_TERMS_VERSION,
  }));
  app.put<{ Body: { accepted: boolean } }>(
    '/api/me/feedback-terms',
    {
      schema: {
        summary: 'Accept or revoke the feedback terms: only accepted feedback trains models; a revocation is honoured like an objection',
        body: { type: 'object', required: ['accepted'], additionalProperties: false, properties: { accepted: { type: 'boolean' } } },
        response: { 200: { type: 'object', properties: { feedbackTerms: termsSchema } } },
      },
      preValidation: requireUser,
    },
    async (req) => {
      store.users.setFeedbackTerms(user(req).id, req.body.accepted, FEEDBACK_TERMS_VERSION, new Date().toISOString());
      return { feedbackTerms: store.users.feedbackTerms(user(req).id) };
    },
  );
  const tokenSchema = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, createdAt: { type: 'string' }, lastUsedAt: { type: ['string', 'null'] } } } as const;
  app.get('/api/tokens', { schema: { summary: 'Your API tokens (never their secrets)', response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: tokenSchema } } } } }, preValidation: requireUser }, async (req) => ({
    tokens: store.users.credentials(user(req).id, 'api'),
  }));
  app.post<{ Body: { name: string } }>(
    '/api/tokens',
    {
      schema: {
        summary: 'Make an API token for a program; the secret is shown once',
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 80 } } },
        response: { 201: { type: 'object', properties: { token: tokenSchema, secret: { type: 'string' } } } },
      },
      preValidation: requireUser,
    },
    async (req, reply) => {
      const { credential, secret } = issueCredential(store, user(req).id, 'api', req.body.name);
      return reply.status(201).send({ token: credential, secret });
    },
  );
  app.delete<{ Params: { id: string } }>('/api/tokens/:id', { schema: { summary: 'Revoke an API token', params: idParam, response: { 204: { type: 'null' }, 404: errorSchema } }, preValidation: requireUser }, async (req, reply) => {
    const c = store.users.credentials(user(req).id, 'api').find((t) => t.id === req.params.id);
    if (!c || !store.users.revoke(user(req).id, c.id, new Date().toISOString())) fail(404, `No live API token ${req.params.id} of yours`);
    return reply.status(204).send();
  });

  // ---------------------------------------------------------------- imagine
  app.post<{ Body: { prompt: string; seed?: number; steps?: number; guidance?: number; size?: number; candidates?: number; variationOf?: { generation: string; index: number; strength?: number } } }>(
    '/api/generations',
    {
      schema: {
        summary: 'Imagine: queue a prompt for four images (202); follow it at `events`',
        body: {
          type: 'object',
          required: ['prompt'],
          additionalProperties: false,
          properties: {
            prompt: { type: 'string', minLength: 1, maxLength: 500, description: 'Starts with "imagine" (optional), any language the captions cover' },
            seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
            steps: { type: 'integer', minimum: 1, maximum: 100 },
            guidance: { type: 'number', minimum: 0, maximum: 20 },
            size: { type: 'integer', minimum: 32, maximum: 1024 },
            candidates: { type: 'integer', minimum: 4, maximum: 32, description: 'Best-of-n with the reward model' },
            variationOf: {
              type: 'object',
              required: ['generation', 'index'],
              additionalProperties: false,
              properties: { generation: { type: 'string', maxLength: 100 }, index: { type: 'integer', minimum: 0, maximum: 63 }, strength: { type: 'number', exclusiveMinimum: 0, maximum: 1 } },
            },
          },
        },
        response: { 202: { type: 'object', properties: { generation: generationSchema, position: { type: 'integer' } } }, 400: errorSchema, 401: errorSchema, 429: errorSchema },
      },
      preValidation: requireUser,
    },
    async (req, reply) => {
      const r = await service.submit(user(req), req.body);
      return reply.status(202).send({ generation: publicGeneration(r.generation), position: r.position });
    },
  );
  app.get<{ Querystring: { limit?: number; before?: string } }>(
    '/api/generations',
    {
      schema: {
        summary: 'Your history, newest first',
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 100 }, before: { type: 'string', maxLength: 100 } } },
        response: { 200: { type: 'object', properties: { generations: { type: 'array', items: generationSchema }, next: { type: ['string', 'null'] } } } },
      },
      preValidation: requireUser,
    },
    async (req) => {
      const limit = req.query.limit ?? 20;
      // One more than asked tells whether there is a next page: `next` used to be set whenever a page was full,
      // so a history of exactly `limit` items offered a next page that was empty.
      const gens = store.generations.history(user(req).id, limit + 1, req.query.before);
      const page = gens.slice(0, limit);
      const favourites = store.generations.favourites(user(req).id);
      return { generations: page.map((g) => publicGeneration(g, favourites)), next: gens.length > limit ? (page[page.length - 1]?.id ?? null) : null };
    },
  );
  app.get<{ Params: { id: string } }>('/api/generations/:id', { schema: { summary: 'One generation', params: idParam, response: { 200: generationSchema, 404: errorSchema } }, preValidation: requireUser }, async (req) =>
    publicGeneration(ownGeneration(req, req.params.id)),
  );
  app.delete<{ Params: { id: string } }>('/api/generations/:id', { schema: { summary: 'Cancel a queued or running generation', params: idParam, response: { 202: { type: 'object', properties: { cancelled: { type: 'boolean' } } }, 403: errorSchema, 404: errorSchema, 409: errorSchema } }, preValidation: requireUser }, async (req, reply) => {
    const g = ownGeneration(req, req.params.id);
    // An admin may look at anyone's generation but cancels only their own: the service refused theirs, and the
    // answer was a 409 saying a queued job was not queued.
    if (g.userId !== user(req).id) fail(403, `Only the person who asked for ${g.id} may cancel it`);
    if (!service.cancel(user(req), g.id)) fail(409, `Generation ${g.id} is ${g.status}: only a queued or running one can be cancelled`);
    return reply.status(202).send({ cancelled: true });
  });
  app.get<{ Params: { id: string } }>(
    '/api/generations/:id/events',
    { schema: { summary: 'Progress as Server-Sent Events: queued (position), started, progress (step, previews), then done, failed or cancelled', params: idParam, produces: ['text/event-stream'] }, preValidation: requireUser },
    async (req, reply) => {
      const g = ownGeneration(req, req.params.id);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      const send = (e: JobEvent | { type: string; [k: string]: unknown }) => {
        const data = e.type === 'done' ? { type: 'done', generation: publicGeneration((e as { generation: Generation }).generation) } : e;
        res.write(`event: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const terminal = (e: { type: string }) => e.type === 'done' || e.type === 'failed' || e.type === 'cancelled';
      let unsubscribe: (() => void) | null = null;
      const finish = () => {
        unsubscribe?.();
        res.end();
      };
      unsubscribe = service.subscribe(g.id, (e) => {
        send(e);
        if (terminal(e)) queueMicrotask(finish);
      });
      if (!unsubscribe) {
        // Not running any more: its final state from the store.
        const now = store.generations.get(g.id)!;
        // The same shapes as the live events: a cancelled job's event used to carry `error: "cancelled"` here only.
        if (now.status === 'done') send({ type: 'done', generation: now });
        else if (now.status === 'cancelled') send({ type: 'cancelled' });
        else send({ type: 'failed', error: now.error ?? now.status });
        res.end();
        return;
      }
      req.raw.on('close', () => unsubscribe?.());
    },
  );
  app.get<{ Params: { id: string; index: number }; Querystring: { download?: string; prompt?: string } }>(
    '/api/generations/:id/images/:index',
    {
      schema: {
        summary: 'An image (PNG, labelled as AI-made in its XMP); download=1 to save it, prompt=0 to leave the prompt out of its metadata',
        params: imageParams,
        querystring: { type: 'object', additionalProperties: false, properties: { download: flag, prompt: flag } },
        produces: ['image/png'],
      },
      preValidation: requireUser,
    },
    async (req, reply) => {
      const g = ownGeneration(req, req.params.id);
      const png = await service.imageFile(g, req.params.index, isOn(req.query.prompt) !== false);
      reply.header('content-type', 'image/png').header('cache-control', 'private, max-age=31536000, immutable');
      if (isOn(req.query.download)) {
        reply.header('content-disposition', `attachment; filename="vitrine-${g.id}-${req.params.index}.png"`);
        // Only a GET is a download: Fastify answers HEAD with this same handler, and a HEAD fetches no image.
        if (g.userId === user(req).id && req.method === 'GET')
          store.generations.addFeedback({ userId: g.userId, generationId: g.id, index: req.params.index, kind: 'download', reason: null, at: new Date().toISOString() });
      }
      return reply.send(png);
    },
  );

  // ---------------------------------------------------------------- feedback
  app.post<{ Body: { generation: string; index: number; kind: string; reason?: string } }>(
    '/api/feedback',
    {
      schema: {
        summary: 'Say what you think of an image: pick (this is the one), reject (with a reason), keep, variation',
        body: {
          type: 'object',
          required: ['generation', 'index', 'kind'],
          additionalProperties: false,
          properties: {
            generation: { type: 'string', minLength: 1, maxLength: 100 },
            index: { type: 'integer', minimum: 0, maximum: 63 },
            kind: { type: 'string', enum: [...DIRECT_KINDS] },
            reason: { type: 'string', enum: [...REJECT_REASONS] },
          },
        },
        response: { 201: { type: 'object', properties: { event: { type: 'object', additionalProperties: true } } }, 400: errorSchema, 404: errorSchema },
      },
      preValidation: requireUser,
    },
    async (req, reply) => {
      const event = recordFeedback(store, user(req), { ...req.body, kind: req.body.kind as (typeof DIRECT_KINDS)[number] }, new Date().toISOString());
      return reply.status(201).send({ event });
    },
  );
  app.get('/api/favourites', { schema: { summary: 'Your starred images, newest first', response: { 200: { type: 'object', properties: { favourites: { type: 'array', items: { type: 'object', properties: { at: { type: 'string' }, index: { type: 'integer' }, generation: generationSchema } } } } } } }, preValidation: requireUser }, async (req) => {
    const favourites = store.generations.favourites(user(req).id);
    return { favourites: favourites.map((f) => ({ at: f.at, index: f.index, generation: publicGeneration(store.generations.get(f.generationId)!, favourites) })) };
  });
  for (const on of [true, false]) {
    const handler = async (req: FastifyRequest<{ Params: { id: string; index: number } }>, reply: FastifyReply) => {
      const changed = setFavourite(store, user(req), req.params.id, req.params.index, on, new Date().toISOString());
      return reply.status(200).send({ favourite: on, changed });
    };
    const schema = { summary: on ? 'Star an image (kept from clean-up)' : 'Unstar an image', params: imageParams, response: { 200: { type: 'object', properties: { favourite: { type: 'boolean' }, changed: { type: 'boolean' } } }, 404: errorSchema } };
    if (on) app.put<{ Params: { id: string; index: number } }>('/api/favourites/:id/:index', { schema, preValidation: requireUser }, handler);
    else app.delete<{ Params: { id: string; index: number } }>('/api/favourites/:id/:index', { schema, preValidation: requireUser }, handler);
  }

  // ---------------------------------------------------------------- models and admin
  // Stored evaluations, else the figures in the model's card (a committed model registered from its card has those).
  const evalsOf = (m: { id: string; card: Record<string, unknown> }) => {
    const stored = store.models.evals(m.id).map((e) => ({ judge: e.judgeId, at: e.createdAt, results: e.results }));
    return stored.length || !m.card.eval ? stored : [{ judge: 'card', at: '', results: m.card.eval as Record<string, unknown> }];
  };
  app.get('/api/models', { schema: { summary: 'The models: which one is in use, their lineage and evaluation figures' }, preValidation: requireUser }, async () => {
    const inUse = await readCard(service.modelDir());
    const registered = store.models.list();
    const models = registered.map((m) => ({
      id: m.id, createdAt: m.createdAt, snapshot: m.snapshotId, parent: m.parentId, config: m.configName, imagesSeen: m.imagesSeen,
      evals: evalsOf(m), inUse: m.id === inUse.id,
    }));
    if (!registered.some((m) => m.id === inUse.id)) models.unshift({ id: inUse.id, createdAt: '', snapshot: String(inUse.lineage?.snapshot ?? ''), parent: null, config: String(inUse.lineage?.config ?? ''), imagesSeen: Number(inUse.training?.imagesSeen ?? 0), evals: inUse.eval ? [{ judge: 'card', at: '', results: inUse.eval }] : [], inUse: true });
    return { inUse: inUse.id, reranker: service.rerankerId, models };
  });
  app.post<{ Params: { id: string } }>('/api/admin/models/:id/promote', { schema: { summary: 'Admin: use this model for every new request (a fine-tuned one only if it beat its parent: 409 otherwise)', params: idParam }, preValidation: requireAdmin }, async (req) => {
    const m = store.models.get(req.params.id);
    if (!m) fail(404, `No registered model ${req.params.id}`);
    if (m.kind !== 'text-to-image') fail(400, `${m.id} is a ${m.kind} model, not a text-to-image one`);
    // The service falls back to the default model when the promoted one's folder is gone: refuse rather than answer
    // "in use" for a model that would not be.
    if (!existsSync(path.join(m.path, 'model.json'))) fail(409, `The files of ${m.id} are missing (${m.path}): it cannot be used`);
    // A fine-tuned model replaces its parent only after beating it (vitrine compare).
    const refusal = promotionRefusal(store, m.id);
    if (refusal) fail(409, refusal, { comparison: lastComparison(store, m.id) });
    store.models.setActive(m.id);
    return { inUse: m.id };
  });
  app.get('/api/admin/overview', { schema: { summary: 'Admin: the store at a glance (decisions by reason, snapshots, models, feedback over time)' }, preValidation: requireAdmin }, async () => ({
    posts: store.corpus.counts(),
    decisions: store.decisions.countsByReason(),
    snapshots: store.snapshots.list().map((s) => ({ id: s.id, createdAt: s.createdAt, items: s.items, policy: s.policyVersion, withdrawn: store.snapshots.withdrawals(s.id).length })),
    models: store.models.list().map((m) => ({ id: m.id, createdAt: m.createdAt, parent: m.parentId, snapshot: m.snapshotId, evals: store.models.evals(m.id).map((e) => e.results) })),
    feedback: store.generations.feedbackVolume(),
    generations: store.generations.counts(),
    users: store.users.list().length,
    contributors: store.users.contributors().size,
    queue: service.queueLength(),
  }));

  // ---------------------------------------------------------------- the page
  app.get('/', { schema: { hide: true } }, async (_req, reply) => sendPage(reply, o.webDir, '/'));
  app.get<{ Params: { '*': string } }>('/assets/*', { schema: { hide: true } }, async (req, reply) => sendPage(reply, o.webDir, `/assets/${req.params['*']}`));
  return app;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2' };

/** Serves a file of the built page, and index.html for the page's own routes. */
function sendPage(reply: FastifyReply, webDir: string | undefined, url: string) {
  if (!webDir || !existsSync(path.join(webDir, 'index.html'))) {
    return reply.status(200).type('text/html; charset=utf-8').send('<!doctype html><title>vitrine</title><p>The web page is not built: run <code>npm run build:web</code>. The API is at <a href="/openapi.json">/openapi.json</a>.</p>');
  }
  const rel = path.normalize(decodeURIComponent(url.split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
  let file = path.join(webDir, rel);
  if (!file.startsWith(webDir) || !existsSync(file) || statSync(file).isDirectory()) file = path.join(webDir, 'index.html');
  const immutable = rel.startsWith('/assets/');
  return reply
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .type(TYPES[path.extname(file)] ?? 'application/octet-stream')
    .send(readFileSync(file));
}
