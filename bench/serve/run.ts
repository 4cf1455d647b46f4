/**
 * bench/serve: the imagine API under load — N concurrent clients on loopback
 * for S seconds against the real server (`vitrine serve` in a child process,
 * real HTTP, the committed default model at its default settings, a fresh
 * temporary data folder).
 *
 *     npm run bench:serve                                  # 50 clients, 60 s
 *     npm run bench:serve -- --seconds 10 --clients 10     # a quick check
 *     node --import tsx bench/serve/run.ts [--seconds 60] [--clients 50] [--baseline 5]
 *          [--think MS] [--drain 600] [--port N] [--out FILE] [--keep]
 *
 * Setup: one account and one API token (Bearer) per client, plus one for the
 * baseline, made in the store (createUser, issueCredential) before the server
 * starts on that data folder; then `node bin/vitrine.js serve --data TMP --port
 * P --host 127.0.0.1` with the server's own defaults (queue, per-user caps,
 * rate limits).
 *
 * Baseline, measured in the same run on the idle server: one warm-up request,
 * then --baseline sequential requests from one client through the same HTTP
 * path (POST /api/generations, its SSE stream to `done`, one image).
 *
 * Load: each client loops until the deadline, like the page does: POST
 * /api/generations (a prompt from a fixed English and French list), follows
 * /api/generations/:id/events (SSE) to the end, fetches one image, sends a
 * `pick` (POST /api/feedback) 30 % of the time and reads its history (GET
 * /api/generations) 25 % of the time. A 429 is back-pressure, not an error:
 * the client sleeps its retry-after and it is counted (by cause: queue full,
 * per-user cap, rate limit). Anything else — another non-2xx, a network error,
 * a generation that ends failed or cancelled, a stream that ends without
 * `done`, a health probe that fails, an unclean server stop — is an error, and
 * the bench exits 1 when there is any. At the deadline no new request is
 * made; generations already submitted are followed to the end (--drain s).
 *
 * Prints: completed generations/s over the window and its ratio to the
 * unloaded single-client throughput (1 / mean baseline latency), and the
 * sustained rate (every generation the load got done, drain included, over
 * the time to the last one: the figure to read when the window holds only a
 * few generations); end-to-end
 * latency (submit → done: queue wait + generation) p50/p95/p99 and the submit
 * request's own p50/p95, with the baseline's beside them; 429s by cause vs
 * other errors; the server's resident memory (VmRSS of the child, sampled every
 * second from /proc: idle before the load, max under load, end) and CPU; the
 * queue length seen by GET /api/health every second (max, mean) and that
 * probe's latency. Writes everything, with the per-second timeline, to
 * bench/serve/results/<time>.json (gitignored; --out to choose the file).
 * Linux only for the memory and CPU figures (/proc). On a busy machine (load
 * average above the core count at the start) it says so: the figures are then
 * not comparable to an idle run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../../src/core/prng.ts';
import { createUser, issueCredential } from '../../src/service/auth.ts';
import { openStore } from '../../src/store/index.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    clients: { type: 'string', default: '50' },
    baseline: { type: 'string', default: '5' },
    think: { type: 'string', default: '0' },
    drain: { type: 'string', default: '600' },
    port: { type: 'string' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const posInt = (v: string | undefined, name: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got "${v}"`);
  return n;
};
const SECONDS = posInt(values.seconds, 'seconds');
const CLIENTS = posInt(values.clients, 'clients');
const BASELINE_RUNS = posInt(values.baseline, 'baseline');
const THINK_MS = posInt(values.think, 'think', 0);
const DRAIN_S = posInt(values.drain, 'drain');
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'vitrine.js');

/** A fixed mix of prompts, English and French, as people type them. */
const PROMPTS = [
  'imagine a red apple on a blue background',
  'a yellow star',
  'imagine a green tree',
  'a smiling face with sunglasses',
  'imagine a cat',
  'une pomme rouge sur fond bleu',
  'imagine une étoile jaune',
  'un arbre vert',
  'imagine un chat',
  'un cœur rouge',
];

// ---------------------------------------------------------------- helpers

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
/** Nearest-rank percentile; NaN for no data. */
const q = (xs: number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The child's resident memory (bytes) and CPU time (seconds), from /proc; null off Linux or once it exited. */
function procStats(pid: number): { rss: number; cpu: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
    // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15, in ticks (100 Hz).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(rest[11]) + Number(rest[12])) / 100;
    return Number.isFinite(kb) ? { rss: kb * 1024, cpu } : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- what is measured

type Phase = 'warmup' | 'baseline' | 'load' | 'drain';
interface Completion {
  client: number;
  phase: Phase;
  /** Milliseconds since the load started (negative during the baseline). */
  at: number;
  submitMs: number;
  /** Submit → the `started` event (null when the stream opened after it started). */
  waitMs: number | null;
  /** Submit → `done`. */
  e2eMs: number;
  /** The service's own time for the job (generation.milliseconds). */
  serverMs: number | null;
  imageMs: number | null;
  sseEvents: number;
  sseBytes: number;
}
interface Refusal { client: number; at: number; cause: 'queue-full' | 'per-user-jobs' | 'rate-limit'; retryAfter: number; route: string }
interface Failure { client: number; at: number; what: string; status?: number; message: string }
interface Sample { at: number; phase: Phase | 'idle'; rssMiB: number | null; cpuS: number | null; queue: number | null; healthMs: number | null }

const completions: Completion[] = [];
const refusals: Refusal[] = [];
const failures: Failure[] = [];
const samples: Sample[] = [];
const other = { feedback: [] as number[], history: [] as number[] };
let phase: Phase | 'idle' = 'idle';
let loadStart = NaN;
/** Times are taken on the monotonic clock and made relative to the load's start once it is known (see below). */
const sinceLoad = () => now();

function fail(client: number, what: string, message: string, status?: number) {
  failures.push({ client, at: sinceLoad(), what, message: message.slice(0, 300), ...(status !== undefined ? { status } : {}) });
}

// ---------------------------------------------------------------- the server

const dataDir = mkdtempSync(path.join(tmpdir(), 'vitrine-bench-serve-'));
const load0 = loadavg()[0]!;
process.stderr.write(`Data folder ${dataDir}; making ${CLIENTS + 1} accounts and API tokens …\n`);
const tokens: string[] = [];
{
  const store = openStore(path.join(dataDir, 'vitrine.db'));
  try {
    const users = await Promise.all(Array.from({ length: CLIENTS + 1 }, (_, i) => createUser(store, i === CLIENTS ? 'bench-baseline' : `bench-${String(i + 1).padStart(3, '0')}`, 'bench-password')));
    for (const u of users) tokens.push(issueCredential(store, u.id, 'api', 'bench:serve').secret);
  } finally {
    store.close();
  }
}

const port = values.port ? posInt(values.port, 'port') : await freePort();
const BASE = `http://127.0.0.1:${port}`;
const serverLog = path.join(dataDir, 'server.log');
const logStream = createWriteStream(serverLog);
const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--data', dataDir, '--port', String(port), '--host', '127.0.0.1'], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'pipe'],
});
child.stdout!.pipe(logStream, { end: false });
child.stderr!.pipe(logStream, { end: false });
let childExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => ((childExit = { code, signal }), resolve())));
const pid = child.pid!;
const logTail = () => {
  try {
    return readFileSync(serverLog, 'utf8').slice(-3000);
  } catch {
    return '';
  }
};

async function stopServer(): Promise<void> {
  if (childExit) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(t);
}
process.once('SIGINT', () => {
  child.kill('SIGTERM');
  process.exit(130);
});

const tStart = now();
process.stderr.write(`Starting the server (pid ${pid}) on ${BASE} …\n`);
for (;;) {
  if (childExit) throw new Error(`the server exited before it answered (${JSON.stringify(childExit)}):\n${logTail()}`);
  if (now() - tStart > 180_000) {
    await stopServer();
    throw new Error(`the server did not answer /api/health within 180 s:\n${logTail()}`);
  }
  try {
    const r = await fetch(`${BASE}/api/health`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    if (r.ok) break;
  } catch {
    // not listening yet
  }
  await sleep(200);
}
const startupS = (now() - tStart) / 1000;

// Every second: the child's memory and CPU, and the queue length from /api/health (a failing probe is an error).
let sampling = true;
const sampler = (async () => {
  let next = now();
  while (sampling) {
    const at = sinceLoad();
    const ph = phase;
    const ps = procStats(pid);
    let queue: number | null = null;
    let healthMs: number | null = null;
    const t0 = now();
    try {
      const r = await fetch(`${BASE}/api/health`, { signal: AbortSignal.timeout(10_000) });
      const body = (await r.json()) as { queue?: number };
      healthMs = now() - t0;
      if (!r.ok) fail(-1, 'health', JSON.stringify(body), r.status);
      else queue = typeof body.queue === 'number' ? body.queue : null;
    } catch (e) {
      if (sampling) fail(-1, 'health', (e as Error).message);
    }
    samples.push({ at, phase: ph, rssMiB: ps ? ps.rss / 2 ** 20 : null, cpuS: ps?.cpu ?? null, queue, healthMs });
    next += 1000;
    await sleep(next - now());
  }
})();

// ---------------------------------------------------------------- one client

interface ApiError { error?: { code?: string; message?: string; retryAfter?: number; yours?: unknown; queueLength?: number } }

/** Follows a generation's event stream to its end: the terminal event, when `started` came, how much was sent. */
async function follow(token: string, id: string, signal: AbortSignal, t0: number) {
  const res = await fetch(`${BASE}/api/generations/${id}/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal });
  if (!res.ok || !res.body) {
    const text = await res.text();
    return { status: res.status, terminal: null, message: text, startedMs: null, events: 0, bytes: 0, generation: null };
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let events = 0;
  let bytes = 0;
  let startedMs: number | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let type = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      events++;
      if (type === 'started' && startedMs === null) startedMs = now() - t0;
      if (type === 'done' || type === 'failed' || type === 'cancelled') {
        await reader.cancel().catch(() => {});
        const payload = JSON.parse(data) as { generation?: GenerationJson; error?: string };
        return { status: res.status, terminal: type, message: payload.error ?? '', startedMs, events, bytes, generation: payload.generation ?? null };
      }
    }
  }
  return { status: res.status, terminal: null, message: 'the event stream ended without done, failed or cancelled', startedMs, events, bytes, generation: null };
}

interface GenerationJson { id: string; status: string; milliseconds: number | null; images: { index: number; url: string }[] }

/**
 * One generation as the page makes it. Returns the milliseconds to wait before the next one
 * (a 429's retry-after, or a pause after an error so a broken server is not hammered).
 */
async function oneGeneration(client: number, token: string, rng: Rng, ph: Phase, signal: AbortSignal, extras: boolean): Promise<number> {
  const auth = { authorization: `Bearer ${token}` };
  const prompt = rng.pick(PROMPTS);
  const t0 = now();
  let res: Response;
  try {
    res = await fetch(`${BASE}/api/generations`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ prompt }), signal });
  } catch (e) {
    fail(client, 'submit', (e as Error).message);
    return 1000;
  }
  const submitMs = now() - t0;
  const body = (await res.json().catch(() => ({}))) as ApiError & { generation?: GenerationJson; position?: number };
  if (res.status === 429) {
    const retryAfter = Number(res.headers.get('retry-after') ?? body.error?.retryAfter ?? 1);
    const cause = body.error?.yours ? 'per-user-jobs' : body.error?.queueLength !== undefined ? 'queue-full' : 'rate-limit';
    refusals.push({ client, at: sinceLoad(), cause, retryAfter, route: 'POST /api/generations' });
    return Math.max(1, retryAfter) * 1000;
  }
  if (res.status !== 202 || !body.generation) {
    fail(client, 'submit', body.error?.message ?? JSON.stringify(body), res.status);
    return 1000;
  }
  const id = body.generation.id;
  let f: Awaited<ReturnType<typeof follow>>;
  try {
    f = await follow(token, id, signal, t0);
  } catch (e) {
    fail(client, 'events', `${id}: ${(e as Error).message}`);
    return 1000;
  }
  if (f.terminal !== 'done' || !f.generation) {
    fail(client, f.terminal ? `generation ${f.terminal}` : 'events', `${id}: ${f.message}`, f.status);
    return 1000;
  }
  const e2eMs = now() - t0;
  const g = f.generation;
  const c: Completion = { client, phase: ph, at: sinceLoad(), submitMs, waitMs: f.startedMs, e2eMs, serverMs: g.milliseconds, imageMs: null, sseEvents: f.events, sseBytes: f.bytes };
  completions.push(c);

  // One image, as the page shows it.
  const img = g.images[rng.int(0, Math.max(0, g.images.length - 1))];
  if (!img) fail(client, 'image', `${id} is done with no images`);
  else {
    const ti = now();
    try {
      const r = await fetch(`${BASE}${img.url}`, { headers: auth, signal });
      const bytes = await r.arrayBuffer();
      if (!r.ok || r.headers.get('content-type') !== 'image/png' || bytes.byteLength < 8) fail(client, 'image', `${img.url}: ${r.headers.get('content-type')}, ${bytes.byteLength} bytes`, r.status);
      else c.imageMs = now() - ti;
    } catch (e) {
      fail(client, 'image', (e as Error).message);
    }
  }
  if (!extras) return 0;
  const call = async (what: 'feedback' | 'history', url: string, init: RequestInit, want: number) => {
    const tc = now();
    try {
      const r = await fetch(`${BASE}${url}`, { ...init, headers: { ...auth, ...(init.body ? { 'content-type': 'application/json' } : {}) }, signal });
      const text = await r.text();
      if (r.status === 429) refusals.push({ client, at: sinceLoad(), cause: 'rate-limit', retryAfter: Number(r.headers.get('retry-after') ?? 1), route: `${init.method ?? 'GET'} ${url.split('?')[0]}` });
      else if (r.status !== want) fail(client, what, text, r.status);
      else other[what].push(now() - tc);
    } catch (e) {
      fail(client, what, (e as Error).message);
    }
  };
  if (rng.chance(0.3)) await call('feedback', '/api/feedback', { method: 'POST', body: JSON.stringify({ generation: id, index: rng.int(0, 3), kind: 'pick' }) }, 201);
  if (rng.chance(0.25)) await call('history', '/api/generations?limit=20', {}, 200);
  return 0;
}

// ---------------------------------------------------------------- baseline: one client, no load

const bToken = tokens[CLIENTS]!;
const bRng = new Rng(1, 'bench-serve-baseline');
const never = new AbortController().signal;
process.stderr.write(`Server up in ${startupS.toFixed(1)} s. Baseline: 1 warm-up + ${BASELINE_RUNS} sequential requests …\n`);
phase = 'warmup';
await oneGeneration(-2, bToken, bRng, 'warmup', never, false);
phase = 'baseline';
for (let i = 0; i < BASELINE_RUNS; i++) await oneGeneration(-1, bToken, bRng, 'baseline', never, false);
phase = 'idle';
await sleep(1500); // an idle memory sample or two after the baseline
const baseline = completions.filter((c) => c.phase === 'baseline');

// ---------------------------------------------------------------- load: CLIENTS clients, SECONDS seconds

process.stderr.write(`Load: ${CLIENTS} clients for ${SECONDS} s …\n`);
const stopAll = new AbortController();
loadStart = now();
const deadline = loadStart + SECONDS * 1000;
phase = 'load';
const drainTimer = setTimeout(() => (phase = 'drain'), SECONDS * 1000);
const runClient = async (client: number) => {
  const rng = new Rng(client, 'bench-serve-client');
  await sleep(rng.int(0, 500)); // not all in the same millisecond
  while (now() < deadline && !stopAll.signal.aborted) {
    const wait = await oneGeneration(client, tokens[client]!, rng, 'load', stopAll.signal, true);
    const pause = Math.max(wait, THINK_MS);
    if (pause && now() + pause >= deadline) break;
    await sleep(pause);
  }
};
const clients = Promise.all(Array.from({ length: CLIENTS }, (_, i) => runClient(i)));
let drainedInTime = true;
await Promise.race([
  clients,
  sleep(SECONDS * 1000 + DRAIN_S * 1000).then(() => {
    drainedInTime = false;
    stopAll.abort();
  }),
]);
await clients;
if (!drainedInTime) fail(-1, 'drain', `generations still unfinished ${DRAIN_S} s after the deadline`);
clearTimeout(drainTimer);
const drainS = Math.max(0, (now() - deadline) / 1000);
phase = 'idle';
await sleep(1500);
sampling = false;
await sampler;

// ---------------------------------------------------------------- stop the server

const tStop = now();
await stopServer();
const stopS = (now() - tStop) / 1000;
logStream.end();
const exit = childExit as { code: number | null; signal: NodeJS.Signals | null } | null;
if (!exit || exit.code !== 0) fail(-1, 'server stop', `the server did not stop cleanly: ${JSON.stringify(exit)}; log:\n${logTail().slice(-1000)}`);

// ---------------------------------------------------------------- report

// Every time relative to the load's start: negative for the baseline, above SECONDS * 1000 while draining.
for (const x of [...completions, ...refusals, ...failures, ...samples]) x.at -= loadStart;

// Completions in the window (done before the deadline) make the throughput; every completion makes the latencies.
const loaded = completions.filter((c) => c.phase === 'load' || c.phase === 'drain');
const inWindow = loaded.filter((c) => c.at <= SECONDS * 1000);
const throughput = inWindow.length / SECONDS;
// Sustained: every generation the load got done, over the time from its start to the last one's end (drain included).
const lastDone = Math.max(...loaded.map((c) => c.at), -Infinity);
const sustained = loaded.length ? loaded.length / (lastDone / 1000) : 0;
const baseE2e = baseline.map((c) => c.e2eMs);
const unloadedThroughput = 1000 / mean(baseE2e);
const loadSamples = samples.filter((s) => s.phase === 'load' || s.phase === 'drain');
const rssOf = (ss: Sample[]) => ss.map((s) => s.rssMiB).filter((x): x is number => x !== null);
const idleBefore = samples.filter((s) => s.at < 0 && s.phase === 'idle');
const idleAfter = samples.filter((s) => s.at > 0 && s.phase === 'idle');
const rssIdle = rssOf(idleBefore).at(-1) ?? NaN;
const rssMax = Math.max(...rssOf(loadSamples), -Infinity);
const rssEnd = rssOf(idleAfter).at(-1) ?? rssOf(loadSamples).at(-1) ?? NaN;
const rssFirst = rssOf(samples)[0] ?? NaN;
const rssMaxRun = Math.max(...rssOf(samples), -Infinity);
const cpuOf = (ss: Sample[]) => ss.map((s) => s.cpuS).filter((x): x is number => x !== null);
const cpuLoad = cpuOf(loadSamples);
const serverCpuPerS = cpuLoad.length > 1 ? (cpuLoad.at(-1)! - cpuLoad[0]!) / ((loadSamples.at(-1)!.at - loadSamples[0]!.at) / 1000) : NaN;
const queues = loadSamples.map((s) => s.queue).filter((x): x is number => x !== null);
const healthMs = loadSamples.map((s) => s.healthMs).filter((x): x is number => x !== null);
const loadRefusals = refusals.filter((r) => r.at >= 0);
const byCause = (cause: Refusal['cause']) => loadRefusals.filter((r) => r.cause === cause).length;
const attempts = loaded.length + loadRefusals.filter((r) => r.route === 'POST /api/generations').length + failures.filter((f) => f.what === 'submit').length;
const perClient = Array.from({ length: CLIENTS }, (_, i) => inWindow.filter((c) => c.client === i).length);
const stat = (xs: number[]) => ({ n: xs.length, p50: q(xs, 0.5), p95: q(xs, 0.95), p99: q(xs, 0.99), max: Math.max(...xs, -Infinity), mean: mean(xs) });
const nums = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);

const result = {
  bench: 'serve',
  at: new Date().toISOString(),
  cores: availableParallelism(),
  cpuModel: cpus()[0]?.model,
  loadAverageAtStart: load0,
  busy: load0 > availableParallelism() * 0.5,
  settings: { seconds: SECONDS, clients: CLIENTS, baselineRuns: BASELINE_RUNS, thinkMs: THINK_MS, prompts: PROMPTS, serverArgs: ['serve', '--host', '127.0.0.1'], generation: 'the model defaults (no steps, guidance, size or seed sent)' },
  server: { startupS, stopS, exit, pid },
  baseline: { e2eMs: stat(baseE2e), submitMs: stat(baseline.map((c) => c.submitMs)), serverMs: stat(nums(baseline.map((c) => c.serverMs))), imageMs: stat(nums(baseline.map((c) => c.imageMs))), throughputPerS: unloadedThroughput },
  load: {
    completedInWindow: inWindow.length,
    completedInDrain: loaded.length - inWindow.length,
    drainS,
    throughputPerS: throughput,
    ratioToUnloaded: throughput / unloadedThroughput,
    sustainedPerS: sustained,
    sustainedRatioToUnloaded: sustained / unloadedThroughput,
    submitAttempts: attempts,
    e2eMs: stat(loaded.map((c) => c.e2eMs)),
    submitMs: stat(loaded.map((c) => c.submitMs)),
    waitMs: stat(nums(loaded.map((c) => c.waitMs))),
    serverMs: stat(nums(loaded.map((c) => c.serverMs))),
    imageMs: stat(nums(loaded.map((c) => c.imageMs))),
    feedbackMs: stat(other.feedback),
    historyMs: stat(other.history),
    sseBytesPerGeneration: mean(loaded.map((c) => c.sseBytes)),
    perClientCompleted: { min: Math.min(...perClient), max: Math.max(...perClient), zero: perClient.filter((n) => n === 0).length },
  },
  refusals: { total: loadRefusals.length, queueFull: byCause('queue-full'), perUserJobs: byCause('per-user-jobs'), rateLimit: byCause('rate-limit'), retryAfterS: stat(loadRefusals.map((r) => r.retryAfter)) },
  errors: { total: failures.length, byKind: Object.fromEntries([...new Set(failures.map((f) => f.what))].map((k) => [k, failures.filter((f) => f.what === k).length])), first: failures.slice(0, 20) },
  memory: { rssMiBAtStartup: rssFirst, rssMiBIdle: rssIdle, rssMiBMaxUnderLoad: rssMax, rssMiBMaxWholeRun: rssMaxRun, rssMiBEnd: rssEnd, ratioMaxToIdle: rssMax / rssIdle },
  cpu: { serverCoresUsedUnderLoad: serverCpuPerS, benchProcessCpuS: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 },
  queue: { max: Math.max(...queues, -Infinity), mean: mean(queues), healthMs: stat(healthMs) },
  timeline: samples,
  completions,
  refusalsList: refusals,
};

const L = result.load;
const B = result.baseline;
const line = (label: string, s: { p50: number; p95: number; p99?: number }, b?: { p50: number; p95: number }) =>
  `  ${label.padEnd(26)} p50 ${fmt(s.p50).padStart(6)} ms   p95 ${fmt(s.p95).padStart(6)} ms${s.p99 !== undefined ? `   p99 ${fmt(s.p99).padStart(6)} ms` : ''}${b ? `   (unloaded p50 ${fmt(b.p50)} ms, p95 ${fmt(b.p95)} ms)` : ''}`;
console.log(`serve: ${CLIENTS} clients × ${SECONDS} s on ${BASE}, model defaults, ${result.cores} cores (load ${load0.toFixed(2)} at start)`);
console.log(`  unloaded baseline          ${BASELINE_RUNS} sequential requests: p50 ${fmt(q(baseE2e, 0.5))} ms submit → done (server ${fmt(B.serverMs.p50)} ms) → ${fmt(unloadedThroughput, 2)} generations/s`);
console.log(`  throughput under load      ${fmt(throughput, 2)} generations/s (${inWindow.length} done in the window, ${L.completedInDrain} more while draining ${fmt(drainS, 1)} s) → ${fmt(L.ratioToUnloaded, 2)}× the unloaded single client`);
console.log(`  sustained (drain included)  ${fmt(sustained, 2)} generations/s (${loaded.length} in ${fmt(lastDone / 1000, 1)} s) → ${fmt(L.sustainedRatioToUnloaded, 2)}× the unloaded single client`);
if (SECONDS * 1000 < 3 * mean(baseE2e)) console.log(`  note: the window (${SECONDS} s) is shorter than three unloaded generations: the window's throughput says little, the sustained figure more`);
console.log(line('end-to-end (submit → done)', L.e2eMs, B.e2eMs));
console.log(line('  of which queue wait', L.waitMs));
console.log(line('  server time per job', L.serverMs, B.serverMs));
console.log(line('submit request (POST)', L.submitMs, B.submitMs));
console.log(line('image GET', L.imageMs, B.imageMs));
console.log(`  feedback POST / history GET  p95 ${fmt(L.feedbackMs.p95)} ms (${L.feedbackMs.n}) / ${fmt(L.historyMs.p95)} ms (${L.historyMs.n})`);
console.log(`  per client                 ${L.perClientCompleted.min}–${L.perClientCompleted.max} done in the window${L.perClientCompleted.zero ? ` (${L.perClientCompleted.zero} clients got none)` : ''}; SSE ${fmt(L.sseBytesPerGeneration / 1024, 0)} KiB per generation`);
console.log(`  429s (back-pressure)       ${result.refusals.total} of ${attempts} submits: queue full ${result.refusals.queueFull}, per-user cap ${result.refusals.perUserJobs}, rate limit ${result.refusals.rateLimit}; retry-after p50 ${fmt(result.refusals.retryAfterS.p50)} s`);
console.log(`  other errors               ${failures.length}${failures.length ? ` (${Object.entries(result.errors.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}): first: ${failures[0]!.what} ${failures[0]!.status ?? ''} ${failures[0]!.message.slice(0, 160)}` : ''}`);
console.log(`  server memory (VmRSS)      startup ${fmt(rssFirst)} MiB, idle ${fmt(rssIdle)} MiB, max under load ${fmt(rssMax)} MiB (whole run ${fmt(rssMaxRun)}), end ${fmt(rssEnd)} MiB → max/idle ${fmt(result.memory.ratioMaxToIdle, 2)}×`);
console.log(`  server CPU under load      ${fmt(serverCpuPerS, 2)} cores; this bench's own CPU ${fmt(result.cpu.benchProcessCpuS, 1)} s`);
console.log(`  queue (GET /api/health)    max ${fmt(result.queue.max)}, mean ${fmt(result.queue.mean, 1)}; health p50 ${fmt(result.queue.healthMs.p50)} ms, p95 ${fmt(result.queue.healthMs.p95)} ms`);
console.log(`  server                     started in ${fmt(startupS, 1)} s, stopped in ${fmt(stopS, 1)} s (exit ${exit?.code ?? exit?.signal})`);
if (result.busy) console.log(`  note: the machine was busy at the start (load ${load0.toFixed(2)} on ${result.cores} cores); figures are not comparable to an idle run`);

const out = values.out ? path.resolve(values.out) : path.join(import.meta.dirname, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2));
console.log(`  written to ${path.relative(process.cwd(), out)}`);
if (values.keep) console.log(`  data folder and server log kept in ${dataDir}`);
else rmSync(dataDir, { recursive: true, force: true });
if (failures.length) {
  console.log(`FAILED: ${failures.length} non-429 error(s)`);
  process.exitCode = 1;
}
