/**
 * The deterministic demo platform: a complete platform dump (see
 * docs/formats/platform-dump.md) of accounts who post photos of emoji artwork,
 * with every consent, licence, reservation and privacy case the rules handle
 * planted on purpose, plus two ground-truth files for tests and audits:
 * `demo-truth.jsonl` (one line per post) and `canaries.json`.
 *
 * Same (accounts, posts, seed) → byte-identical files. Writes stream: memory
 * holds the plan (a few hundred bytes per post), the decoded emoji sprites
 * (at most ~90 MiB, whatever the scale) and `concurrency` pictures in flight.
 * On a 2-core machine: 20,000 posts in about 30 s; 200,000 posts work.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { DUMP_FORMAT, DUMP_VERSION, type DumpManifest } from '../../core/dump.ts';
import { UsageError } from '../../core/errors.ts';
import { PLANTED_CASES, dumpPostOf, mediaOf, mediaPathOf, textOf, truthOf, type Context, type PlantedCase } from './content.ts';
import { loadCatalogue } from './emoji.ts';
import { EmojiCache } from './picture.ts';
import { EXPORTED_AT, buildPlan, isoTime, planEvents, type PlanPost } from './plan.ts';

export { PLANTED_CASES, type DemoTruthLine, type PlantedCase } from './content.ts';

export const DEMO_PLATFORM = 'vitrine-demo';
export const DEMO_TRUTH_FILE = 'demo-truth.jsonl';
export const DEMO_CANARIES_FILE = 'canaries.json';
/** The default demo platform. */
export const DEFAULT_DEMO = { accounts: 6000, posts: 60000, seed: 1 } as const;
/** A small platform that still holds every planted case; generates in a few seconds. */
export const TINY_DEMO = { accounts: 30, posts: 300, seed: 1 } as const;

export interface DemoOptions {
  accounts: number;
  posts: number;
  seed: number;
  /** Folder to write; must not exist or be empty. */
  out: string;
  /** Posts in flight at once, each painting and encoding one picture (default 8). */
  concurrency?: number;
  onProgress?: (done: number, total: number, stage: string) => void;
}

export interface DemoCanary {
  postId: string;
  token: string;
  /** sha256 (hex) of the media file's bytes. */
  mediaSha256: string;
}

export interface DemoResult {
  /** Absolute path of the dump. */
  path: string;
  canaries: DemoCanary[];
  accounts: number;
  posts: number;
  events: number;
  /** Posts per planted case (a post usually exercises several). */
  cases: Record<PlantedCase, number>;
}

export class DemoOptionsError extends UsageError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'DemoOptionsError';
  }
}

const MAX_ACCOUNTS = 1_000_000;
const MAX_POSTS = 5_000_000;

function checkOptions(opts: DemoOptions): Required<Pick<DemoOptions, 'concurrency'>> {
  const count = (name: 'accounts' | 'posts', max: number): void => {
    const v = opts[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      throw new DemoOptionsError(name, `Demo generator: ${name} must be a whole number from 1 to ${max}, got ${String(v)}`);
    }
  };
  count('accounts', MAX_ACCOUNTS);
  count('posts', MAX_POSTS);
  if (typeof opts.seed !== 'number' || !Number.isSafeInteger(opts.seed)) {
    throw new DemoOptionsError('seed', `Demo generator: seed must be a whole number, got ${String(opts.seed)}`);
  }
  if (typeof opts.out !== 'string' || opts.out.trim() === '') {
    throw new DemoOptionsError('out', 'Demo generator: out must name the folder to write the dump to');
  }
  const concurrency = opts.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new DemoOptionsError('concurrency', `Demo generator: concurrency must be a whole number from 1 to 64, got ${String(concurrency)}`);
  }
  return { concurrency };
}

/** Creates `dir`, refusing to write into anything that already holds files. */
async function prepareOut(dir: string): Promise<void> {
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (st) {
    if (!st.isDirectory()) throw new DemoOptionsError('out', `Demo generator: ${dir} exists and is not a folder`);
    const entries = await readdir(dir);
    if (entries.length > 0) {
      throw new DemoOptionsError(
        'out',
        `Demo generator: the folder ${dir} is not empty (${entries.length} entries); choose a new or empty folder`,
      );
    }
  }
  await mkdir(path.join(dir, 'media'), { recursive: true });
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await finished(stream);
}

interface Produced {
  post: string;
  truth: string;
  planted: PlantedCase[];
  canary: DemoCanary | null;
}

export async function generateDemo(opts: DemoOptions): Promise<DemoResult> {
  const { concurrency } = checkOptions(opts);
  const out = path.resolve(opts.out);
  const progress = opts.onProgress ?? (() => {});
  await prepareOut(out);

  progress(0, 1, 'plan');
  const catalogue = await loadCatalogue();
  const plan = buildPlan({ accounts: opts.accounts, posts: opts.posts, seed: opts.seed }, catalogue.length);
  const ctx: Context = { plan, catalogue };
  progress(1, 1, 'plan');

  // accounts.jsonl
  const accountsFile = createWriteStream(path.join(out, 'accounts.jsonl'));
  for (const a of plan.accounts) {
    await write(
      accountsFile,
      JSON.stringify({
        id: a.id,
        handle: a.handle,
        displayName: a.displayName,
        language: a.language,
        createdAt: isoTime(a.createdAt),
        birthDate: a.birthDate,
        private: a.private,
      }) + '\n',
    );
  }
  await close(accountsFile);
  progress(plan.accounts.length, plan.accounts.length, 'accounts');

  // posts.jsonl, demo-truth.jsonl and media/, in createdAt order, pictures encoded `concurrency` at a time.
  const postsFile = createWriteStream(path.join(out, 'posts.jsonl'));
  const truthFile = createWriteStream(path.join(out, DEMO_TRUTH_FILE));
  const emoji = new EmojiCache(catalogue);
  const cases = Object.fromEntries(PLANTED_CASES.map((c) => [c, 0])) as Record<PlantedCase, number>;
  const canaries: DemoCanary[] = [];
  const total = plan.posts.length;
  const every = Math.max(1, Math.floor(total / 200));
  const madeDirs = new Map<string, Promise<void>>();

  const produce = async (p: PlanPost): Promise<Produced> => {
    const text = textOf(ctx, p);
    const bytes = await mediaOf(ctx, p, emoji);
    const rel = mediaPathOf(p);
    const dir = path.dirname(rel);
    let made = madeDirs.get(dir);
    if (!made) {
      made = mkdir(path.join(out, dir), { recursive: true }).then(() => undefined);
      madeDirs.set(dir, made);
    }
    await made;
    writeFileSync(path.join(out, rel), bytes);
    const truth = truthOf(ctx, p, text);
    return {
      post: JSON.stringify(dumpPostOf(ctx, p, text)) + '\n',
      truth: JSON.stringify(truth) + '\n',
      planted: truth.planted,
      canary:
        p.canary === null
          ? null
          : { postId: p.id, token: p.canary, mediaSha256: createHash('sha256').update(bytes).digest('hex') },
    };
  };

  let done = 0;
  const flush = async (r: Produced): Promise<void> => {
    await write(postsFile, r.post);
    await write(truthFile, r.truth);
    for (const c of r.planted) cases[c]++;
    if (r.canary) canaries.push(r.canary);
    done++;
    if (done % every === 0 || done === total) progress(done, total, 'posts');
  };

  const inFlight: Promise<Produced>[] = [];
  try {
    for (const p of plan.posts) {
      const job = produce(p);
      job.catch(() => {}); // awaited below, in order; this only keeps a later failure from going unhandled
      inFlight.push(job);
      if (inFlight.length >= concurrency) await flush(await (inFlight.shift() as Promise<Produced>));
    }
    while (inFlight.length > 0) await flush(await (inFlight.shift() as Promise<Produced>));
  } finally {
    await Promise.allSettled(inFlight);
    await Promise.allSettled([close(postsFile), close(truthFile)]);
  }

  // events.jsonl
  const events = planEvents(plan);
  const eventsFile = createWriteStream(path.join(out, 'events.jsonl'));
  for (const e of events) await write(eventsFile, JSON.stringify(e) + '\n');
  await close(eventsFile);
  progress(events.length, events.length, 'events');

  await writeFile(path.join(out, DEMO_CANARIES_FILE), JSON.stringify(canaries, null, 2) + '\n');

  // The manifest goes last: a dump without one is incomplete and ingest refuses it.
  const manifest: DumpManifest = {
    format: DUMP_FORMAT,
    version: DUMP_VERSION,
    platform: DEMO_PLATFORM,
    exportedAt: isoTime(EXPORTED_AT),
    generator: `vitrine demo generator (accounts=${opts.accounts}, posts=${opts.posts}, seed=${opts.seed})`,
  };
  await writeFile(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

  return { path: out, canaries, accounts: plan.accounts.length, posts: total, events: events.length, cases };
}

/** The tiny demo platform (30 accounts, 300 posts) for tests: every planted case, in a few seconds. */
export function generateTinyDemo(out: string, seed: number = TINY_DEMO.seed): Promise<DemoResult> {
  return generateDemo({ accounts: TINY_DEMO.accounts, posts: TINY_DEMO.posts, seed, out });
}
