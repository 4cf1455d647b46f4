/**
 * bench/corpus: ingest, decide and snapshot on the demo platform.
 *
 *   npm run bench:corpus                        # default scale: 2,000 accounts, 20,000 posts
 *   npm run bench:corpus -- --posts 200000 --accounts 20000
 *
 * Each stage runs as its own `vitrine` process (as a user would run it) and
 * reports wall time, posts/s and peak resident memory. The baseline, measured
 * in the same run, is the unavoidable work: reading and decoding every media
 * file once with sharp. Ratios: each stage's time over the baseline's, and
 * end-to-end posts/s over the 1,000 posts/s target.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const { values } = parseArgs({
  options: {
    posts: { type: 'string', default: '20000' },
    accounts: { type: 'string' },
    seed: { type: 'string', default: '1' },
    work: { type: 'string', default: join(import.meta.dirname, 'results') },
    keep: { type: 'boolean', default: false },
  },
});
const posts = Number(values.posts);
const accounts = Number(values.accounts ?? Math.max(1, Math.round(posts / 10)));
const work = resolve(values.work!);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'vitrine.js');
const RSS = join(import.meta.dirname, 'rss.cjs');
mkdirSync(work, { recursive: true });

function stage(name: string, args: string[]) {
  const rssFile = join(work, `.rss-${name}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', RSS, BIN, ...args, '-q'], {
    env: { ...process.env, VITRINE_BENCH_RSS: rssFile },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
  const rss = Number(readFileSync(rssFile, 'utf8'));
  return { secs, rss, out: r.stdout };
}

const dump = join(work, `demo-${accounts}-${posts}-${values.seed}`);
if (!existsSync(join(dump, 'manifest.json'))) {
  process.stderr.write(`Generating the demo platform (${accounts} accounts, ${posts} posts) in ${dump} …\n`);
  rmSync(dump, { recursive: true, force: true });
  const g = stage('demo', ['demo', '--accounts', String(accounts), '--posts', String(posts), '--seed', values.seed!, '--out', dump, '--json']);
  process.stderr.write(`  generated in ${g.secs.toFixed(1)} s\n`);
}

// Baseline: read and decode every media file once (the floor for any pipeline that looks at the pixels).
sharp.concurrency(cpus().length);
const mediaDir = join(dump, 'media');
const files = readdirSync(mediaDir, { recursive: true }).map(String).filter((f) => /\.(png|jpe?g|webp)$/i.test(f));
const t0 = process.hrtime.bigint();
let next = 0;
await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (next < files.length) {
      const f = files[next++]!;
      await sharp(readFileSync(join(mediaDir, f))).raw().toBuffer();
    }
  }),
);
const baseline = Number(process.hrtime.bigint() - t0) / 1e9;

const data = join(work, `data-${accounts}-${posts}`);
rmSync(data, { recursive: true, force: true });
const ingest = stage('ingest', ['ingest', dump, '--data', data, '--json']);
const decide = stage('decide', ['decide', '--data', data, '--json']);
const snapshot = stage('snapshot', ['snapshot', '--data', data, '--json']);
// Deciding again (as after an objection arrives): rules run again, the copy pairs found above are reused.
const redecide = stage('redecide', ['decide', '--data', data, '--json']);
const snap = JSON.parse(snapshot.out) as { id: string; items: number };
const total = ingest.secs + decide.secs + snapshot.secs;

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const rows = [
  ['stage', 'seconds', 'posts/s', 'peak RSS', 'time / baseline'],
  ['baseline: decode every image', baseline.toFixed(2), (files.length / baseline).toFixed(0), '-', '1.00'],
  ...(
    [
      ['ingest', ingest],
      ['decide', decide],
      ['snapshot', snapshot],
    ] as const
  ).map(([n, s]) => [n, s.secs.toFixed(2), (posts / s.secs).toFixed(0), mb(s.rss), (s.secs / baseline).toFixed(2)]),
  ['decide again (copy pairs kept)', redecide.secs.toFixed(2), (posts / redecide.secs).toFixed(0), mb(redecide.rss), (redecide.secs / baseline).toFixed(2)],
  ['end to end', total.toFixed(2), (posts / total).toFixed(0), mb(Math.max(ingest.rss, decide.rss, snapshot.rss)), (total / baseline).toFixed(2)],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(`bench/corpus: ${posts} posts, ${accounts} accounts, seed ${values.seed}; ${cpus().length} cores, ${mb(totalmem())}; snapshot ${snap.id} (${snap.items} items)`);
for (const r of rows) console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '));
console.log(`end-to-end posts/s vs the 1,000 posts/s target: ${(posts / total / 1000).toFixed(2)}×`);
if (!values.keep) rmSync(data, { recursive: true, force: true });
