/**
 * The HTTP API in-process, for tests: a fresh store in a temporary folder, the
 * real imagine service on the committed default model, the real Fastify app,
 * and three people (alice and bob, users; root, an admin).
 *
 * The service's reward model is a gate the test holds: a best-of-n request
 * (`candidates` above 4) waits in the scorer, in the state "running", until the
 * test opens the gate. That keeps a job running, and the ones behind it queued,
 * for as long as a test needs, through the service's own code paths and with
 * no timing. Plain requests (4 candidates) never reach the scorer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { createUser, issueCredential } from '../../src/service/auth.ts';
import { ImagineService, type Scorer, type ServiceOptions } from '../../src/service/imagine-service.ts';
import { openStore, type Store, type User } from '../../src/store/index.ts';

export const PASSWORD = 'correct horse battery';
/** Small and quick: the model's own 32 px, one sampler step. */
export const QUICK = { steps: 1, size: 32 } as const;
/** A best-of-n request: it waits in the gated scorer until the gate opens. */
export const HELD = { ...QUICK, candidates: 5 } as const;

export interface Gate {
  score: Scorer;
  /** Resolves once a job is waiting in the scorer (at once when one already is). */
  reached(): Promise<void>;
  /** Lets the jobs waiting in the scorer go on; later ones wait again. */
  release(): void;
  /** Lets every job through, now and from now on. */
  open(): void;
  /** Holds the jobs that reach the scorer from now on (after open()). */
  shut(): void;
  calls: number;
  /** The account pseudonym each call was given (undefined: the shared score). */
  accounts: (string | undefined)[];
}

/** A reward model that scores by brightness (brighter is better) once the test lets it. */
export function gate(): Gate {
  let waiting: (() => void)[] = [];
  const arrivals: (() => void)[] = [];
  let opened = false;
  const g: Gate = {
    calls: 0,
    accounts: [],
    score: async (_prompt, pixels, _size, account) => {
      g.calls++;
      g.accounts.push(account);
      if (!opened) {
        const p = new Promise<void>((resolve) => waiting.push(resolve));
        for (const f of arrivals.splice(0)) f();
        await p;
      }
      return pixels.map((p) => p.reduce((a, b) => a + b, 0) / p.length);
    },
    reached: () => (waiting.length ? Promise.resolve() : new Promise<void>((resolve) => arrivals.push(resolve))),
    release: () => {
      const w = waiting;
      waiting = [];
      for (const f of w) f();
    },
    open: () => {
      opened = true;
      g.release();
    },
    shut: () => {
      opened = false;
    },
  };
  return g;
}

export interface Env {
  dir: string;
  store: Store;
  service: ImagineService;
  app: FastifyInstance;
  gate: Gate;
  users: { alice: User; bob: User; root: User };
  /** Headers of a fresh session of this user (a cookie, as a browser sends it). */
  as(name: 'alice' | 'bob' | 'root' | User): Record<string, string>;
  inject(o: InjectOptions): Promise<LightMyRequestResponse>;
  /** Queues a prompt for a user and returns the 202's generation id. */
  submit(who: Record<string, string>, body: Record<string, unknown>): Promise<string>;
  /** Reads the events of a generation to their end (the job's end) and returns them. */
  events(who: Record<string, string>, id: string): Promise<SseEvent[]>;
  /** Lets every job finish (the gate open), waits until none is queued or running, then shuts the gate again. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface EnvOptions extends Partial<Omit<ServiceOptions, 'store' | 'dataDir' | 'scorer'>> {
  loginPerMinute?: number;
  /** Reuse a folder (reopen a store); it is then not removed on close. */
  dir?: string;
  /** No reward model at all. */
  noScorer?: boolean;
}

export async function apiEnv(o: EnvOptions = {}): Promise<Env> {
  const { loginPerMinute, dir: given, noScorer, ...serviceOptions } = o;
  const dir = given ?? mkdtempSync(join(tmpdir(), 'vitrine-api-'));
  const store = openStore(join(dir, 'store.db'));
  const g = gate();
  const service = new ImagineService({
    store,
    dataDir: dir,
    threads: 1,
    perMinute: 1000,
    burst: 1000,
    ...(noScorer ? {} : { scorer: { id: 'test-reward', score: g.score, candidates: 4 } }),
    ...serviceOptions,
  });
  const app = await buildApp({ service, loginPerMinute: loginPerMinute ?? 1000 });
  const existing = (name: string) => store.users.byName(name);
  const make = async (name: string, role: 'user' | 'admin'): Promise<User> => {
    const u = existing(name);
    return u ? { id: u.id, name: u.name, role: u.role, createdAt: u.createdAt } : createUser(store, name, PASSWORD, role);
  };
  const users = { alice: await make('alice', 'user'), bob: await make('bob', 'user'), root: await make('root', 'admin') };
  const env: Env = {
    dir,
    store,
    service,
    app,
    gate: g,
    users,
    as(who) {
      const u = typeof who === 'string' ? users[who] : who;
      const { secret } = issueCredential(store, u.id, 'session', 'test');
      return { cookie: `vitrine_session=${secret}` };
    },
    inject: (io) => app.inject(io),
    async submit(who, body) {
      const r = await app.inject({ method: 'POST', url: '/api/generations', headers: who, payload: body });
      if (r.statusCode !== 202) throw new Error(`POST /api/generations: ${r.statusCode} ${r.body}`);
      return r.json().generation.id as string;
    },
    async events(who, id) {
      const r = await app.inject({ method: 'GET', url: `/api/generations/${id}/events`, headers: who });
      if (r.statusCode !== 200) throw new Error(`GET events: ${r.statusCode} ${r.body}`);
      return parseSse(r.body);
    },
    async settle() {
      g.open();
      const busy = () => {
        const c = store.generations.counts();
        return c.queued + c.running > 0;
      };
      for (let i = 0; busy(); i++) {
        if (i > 3000) throw new Error('the service did not settle in a minute');
        await new Promise((r) => setTimeout(r, 20));
      }
      g.shut();
    },
    async close() {
      g.open();
      await service.stop();
      await app.close();
      store.close();
      if (!given) rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown> & { type: string };
}

/** Parses a text/event-stream body into its events. */
export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    out.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return out;
}

/**
 * An event stream read as it arrives, from a real socket (inject only answers
 * once the stream has ended): `next()` gives the next event, null at the end.
 */
export async function openSse(base: string, path: string, headers: Record<string, string>) {
  const ac = new AbortController();
  const res = await fetch(base + path, { headers, signal: ac.signal });
  if (!res.ok || !res.body) throw new Error(`${path}: ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ready: SseEvent[] = [];
  let ended = false;
  return {
    status: res.status,
    headers: res.headers,
    async next(): Promise<SseEvent | null> {
      for (;;) {
        if (ready.length) return ready.shift()!;
        if (ended) return null;
        const { value, done } = await reader.read();
        if (done) ended = true;
        else buffer += decoder.decode(value, { stream: true });
        const cut = buffer.lastIndexOf('\n\n');
        if (cut >= 0) {
          ready.push(...parseSse(buffer.slice(0, cut + 2)));
          buffer = buffer.slice(cut + 2);
        }
      }
    },
    /** Every event up to the end of the stream. */
    async rest(): Promise<SseEvent[]> {
      const all: SseEvent[] = [];
      for (let e = await this.next(); e; e = await this.next()) all.push(e);
      return all;
    },
    close: () => ac.abort(),
  };
}

/**
 * The routes an app serves, from Fastify's own route tree: [METHOD, path] with
 * `:param` segments, HEAD left out (Fastify adds one for every GET).
 */
export function servedRoutes(app: FastifyInstance): [string, string][] {
  const out: [string, string][] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    while (stack.length && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const parent = stack[stack.length - 1]?.path ?? '';
    const seg = m[2]!;
    const full = parent === '' ? seg : parent.endsWith('/') || seg.startsWith('/') ? parent + seg : `${parent}/${seg}`;
    stack.push({ depth, path: full });
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') out.push([method, full]);
  }
  return out;
}
