/**
 * bench/dedup: precision and recall of copy detection on the demo platform's
 * re-posts (ground truth: demo-truth.jsonl), per Hamming threshold, on a store
 * that has ingested the demo.
 *
 *   npx vitrine demo --out /tmp/demo && npx vitrine ingest /tmp/demo --data /tmp/d
 *   npx tsx bench/dedup/run.ts --data /tmp/d --demo /tmp/demo
 *
 * Recall: share of re-posts put in the same cluster as their original.
 * Precision: share of posts clustered with another post that truly share its origin.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../../src/store/index.ts';
import { clusterCopies, type DedupEntry } from '../../src/decide/dedup.ts';
import { croppedPostPairs } from '../../src/decide/copy-pairs.ts';
import { hammingHex } from '../../src/decide/phash.ts';

const { values } = parseArgs({ options: { data: { type: 'string' }, demo: { type: 'string' }, thresholds: { type: 'string', default: '24,31,40' }, crop: { type: 'string', default: '4' } } });
if (!values.data || !values.demo) throw new Error('usage: --data DIR --demo DUMP');
const store = openStore(join(values.data, 'vitrine.db'));
const truth = new Map<string, string>(); // post → its origin (itself for originals)
for (const line of readFileSync(join(values.demo, 'demo-truth.jsonl'), 'utf8').trim().split('\n')) {
  const t = JSON.parse(line) as { postId: string; originalPostId: string | null };
  truth.set(t.postId, t.originalPostId ?? t.postId);
}
const entries: DedupEntry[] = [];
const mediaOf: string[] = [];
for (const p of store.corpus.allPosts()) {
  const m = p.mediaSha256 ? store.corpus.getMedia(p.mediaSha256) : null;
  if (!m) continue;
  mediaOf.push(m.sha256);
  entries.push({ postId: p.id, createdAt: p.createdAt, pixelSha256: m.pixelSha256, phash: m.phash, phashQuality: m.phashQuality, usable: true, ownReason: null });
}
const reposts = entries.filter((e) => truth.get(e.postId) !== e.postId);
console.log(`${entries.length} posts with images, ${reposts.length} re-posts`);

// Distance of each re-post to its original, to see the distribution the threshold must cover.
const byId = new Map(entries.map((e) => [e.postId, e]));
const dists = reposts.map((r) => hammingHex(r.phash!, byId.get(truth.get(r.postId)!)!.phash!)).sort((a, b) => a - b);
const q = (f: number) => dists[Math.min(dists.length - 1, Math.floor(f * dists.length))];
console.log(`re-post → original distance: min ${dists[0]} p50 ${q(0.5)} p90 ${q(0.9)} p95 ${q(0.95)} p99 ${q(0.99)} max ${dists[dists.length - 1]}`);

const cropped = croppedPostPairs(store, { threshold: 0, minQuality: 0, maxAlignedDifference: Number(values.crop) }, mediaOf);
console.log('threshold  recall  precision  clusters  wrongly-merged-posts');
for (const t of values.thresholds!.split(',').map(Number)) {
  const r = clusterCopies(entries, { threshold: t, minQuality: 0, croppedPairs: cropped });
  // Cluster label = the original each post was attached to (itself when unique or the original).
  const label = entries.map((e, i) => {
    const o = r.outcomes[i]!;
    return o.kind === 'unique' ? e.postId : o.original;
  });
  let hit = 0;
  const idx = new Map(entries.map((e, i) => [e.postId, i]));
  for (const rp of reposts) if (label[idx.get(rp.postId)!] === label[idx.get(truth.get(rp.postId)!)!]) hit++;
  // Precision: posts in a multi-member cluster whose true origin differs from the cluster majority origin.
  const members = new Map<string, string[]>();
  entries.forEach((e, i) => (members.get(label[i]!) ?? members.set(label[i]!, []).get(label[i]!)!).push(e.postId));
  let clustered = 0, wrong = 0;
  for (const ms of members.values()) {
    if (ms.length < 2) continue;
    const origins = new Map<string, number>();
    for (const m of ms) origins.set(truth.get(m)!, (origins.get(truth.get(m)!) ?? 0) + 1);
    const majority = Math.max(...origins.values());
    clustered += ms.length;
    wrong += ms.length - majority;
  }
  console.log(`${String(t).padStart(9)}  ${(hit / reposts.length).toFixed(3)}  ${(clustered ? 1 - wrong / clustered : 1).toFixed(3).padStart(9)}  ${String(r.clusters).padStart(8)}  ${wrong}`);
}
store.close();
