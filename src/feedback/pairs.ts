/**
 * Feedback sets: the immutable, content-addressed export of preference pairs
 * (docs/formats/feedback-pairs.md), the way a snapshot exports eligible posts.
 *
 * Consent first: only accounts whose feedback-terms choice in force when the
 * set is made is "accepted" contribute (their past feedback included: the
 * terms say so); a revocation leaves the account out of every later set and
 * `feedbackWithdrawals` names the sets, and the models made from them, that
 * still hold its pairs.
 *
 * What a pair means: in one generation (same prompt, seed, model), the owner
 * preferred `chosen` to `rejected`. Only the owner's own events count (an admin
 * looking at a generation says nothing about its owner's taste).
 */
import { createHash, createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VitrineError } from '../core/errors.ts';
import { promptText } from '../imagine/index.ts';
import type { FeedbackEvent, Generation, MediaStore, Store } from '../store/index.ts';

export type PairSource = 'pick>reject' | 'pick>other' | 'keep>reject';
export const PAIR_WEIGHTS: Record<PairSource, number> = { 'pick>reject': 1, 'pick>other': 0.5, 'keep>reject': 0.5 };
/** One prompt in five is held out (by a hash of the prompt, so no held-out prompt is ever trained on). */
export const HELD_OUT_ONE_IN = 5;

export interface PreferencePair {
  id: string;
  prompt: string;
  chosen: string;
  rejected: string;
  generation: string;
  model: string;
  account: string;
  source: PairSource;
  weight: number;
  split: 'train' | 'heldout';
}

export interface FeedbackSetManifest {
  format: 'vitrine-feedback-set';
  version: 1;
  id: string;
  createdAt: string;
  imageSize: number;
  pairs: number;
  heldOut: number;
  accounts: number;
  /** The pseudonyms of the contributing accounts (what a revocation is checked against). */
  contributors: string[];
  models: string[];
  generations: number;
  rule: string;
  /**
   * A derived set (vitrine finetune --ranked): pairs the people did not make themselves but a
   * reward model that learnt from their set ranked. It carries that set's contributors, so a
   * revocation reaches it (and the models trained on it) as it reaches the set itself.
   */
  derived?: {
    kind: 'reward-ranked'; feedbackSet: string; reward: string; candidates: number; groups: number;
    /** How much each account counted in the ranking (ranked.ts accountWeights). */
    weights?: Record<string, number>;
  };
}

export interface FeedbackSet {
  id: string;
  path: string;
  manifest: FeedbackSetManifest;
  created: boolean;
}

/**
 * A stable pseudonym of an account: the set never holds account ids or names.
 * Account ids are random and never leave the store, so a keyed hash of one
 * cannot be turned back into an account by someone holding only the set; it is
 * stable so a later revocation can be matched against old sets.
 */
export function pseudonym(userId: string): string {
  return `acct-${createHmac('sha256', 'vitrine-feedback-set').update(userId).digest('hex').slice(0, 12)}`;
}

export function splitOf(prompt: string): 'train' | 'heldout' {
  const key = promptText(prompt).toLowerCase().replace(/\s+/g, ' ');
  const h = createHash('sha256').update(key).digest();
  return h.readUInt32BE(0) % HELD_OUT_ONE_IN === 0 ? 'heldout' : 'train';
}

type Verdict = 'pick' | 'reject' | 'keep';

/**
 * What the owner finally thinks of each image of one generation. The latest of
 * pick / reject wins (people change their minds), one image is the pick (a later
 * pick of another demotes it to kept); keep, download, variation and
 * a favourite still in force make an image "kept" unless it was picked or rejected.
 */
export function verdicts(events: readonly FeedbackEvent[]): Map<number, Verdict> {
  const out = new Map<number, Verdict>();
  const strong = new Map<number, { v: 'pick' | 'reject'; id: number }>();
  const fav = new Map<number, boolean>();
  const kept = new Set<number>();
  for (const e of [...events].sort((a, b) => a.id - b.id)) {
    if (e.kind === 'pick') {
      // "This is the one": a later pick of another image demotes an earlier one to kept.
      for (const [i, st] of strong) if (st.v === 'pick' && i !== e.index) (strong.delete(i), kept.add(i));
      strong.set(e.index, { v: 'pick', id: e.id });
    } else if (e.kind === 'reject') strong.set(e.index, { v: 'reject', id: e.id });
    else if (e.kind === 'favourite') fav.set(e.index, true);
    else if (e.kind === 'unfavourite') fav.set(e.index, false);
    else kept.add(e.index); // keep, download, variation
  }
  for (const [i, on] of fav) if (on) kept.add(i);
  for (const i of kept) out.set(i, 'keep');
  for (const [i, s] of strong) out.set(i, s.v);
  return out;
}

/** The pairs of one generation, before images are resolved to files: [chosen index, rejected index, source]. */
export function pairsOf(g: Generation, events: readonly FeedbackEvent[]): [number, number, PairSource][] {
  const v = verdicts(events.filter((e) => e.userId === g.userId));
  const indices = g.images.map((i) => i.index).sort((a, b) => a - b);
  const of = (k: Verdict) => indices.filter((i) => v.get(i) === k);
  const picks = of('pick');
  const rejects = of('reject');
  const keeps = of('keep');
  const others = indices.filter((i) => !v.has(i));
  const out: [number, number, PairSource][] = [];
  for (const p of picks) {
    for (const r of rejects) out.push([p, r, 'pick>reject']);
    for (const o of others) out.push([p, o, 'pick>other']);
  }
  for (const k of keeps) for (const r of rejects) out.push([k, r, 'keep>reject']);
  return out;
}

export interface FeedbackSetOptions {
  store: Store;
  /** The imagine service's image store (DATA/generated). */
  images: MediaStore;
  dataDir: string;
  now?: Date;
  /**
   * Only these accounts' feedback (user ids), still only where they accept the feedback terms:
   * an experiment's set (vitrine simulate) holds its own people, not everyone in the store.
   */
  only?: ReadonlySet<string>;
}

export function feedbackRoot(dataDir: string): string {
  return path.join(dataDir, 'feedback');
}

/**
 * Writes DATA/feedback/<id>/ from the store's events. The id is a hash of
 * pairs.jsonl, so the same feedback gives the same set (written once).
 */
export async function createFeedbackSet(o: FeedbackSetOptions): Promise<FeedbackSet> {
  const contributors = new Set([...o.store.users.contributors()].filter((id) => !o.only || o.only.has(id)));
  const byGeneration = new Map<string, FeedbackEvent[]>();
  for (const e of o.store.generations.allFeedback()) {
    if (!contributors.has(e.userId)) continue;
    let list = byGeneration.get(e.generationId);
    if (!list) byGeneration.set(e.generationId, (list = []));
    list.push(e);
  }
  const pairs: PreferencePair[] = [];
  const files = new Map<string, string>(); // sha256 of the native PNG -> relative path
  const models = new Set<string>();
  const accounts = new Set<string>();
  const gens = new Set<string>();
  let imageSize = 0;
  for (const generationId of [...byGeneration.keys()].sort()) {
    const g = o.store.generations.get(generationId);
    if (!g || g.status !== 'done' || !contributors.has(g.userId)) continue;
    const found = pairsOf(g, byGeneration.get(generationId)!);
    if (!found.length) continue;
    for (const [c, r, source] of found) {
      const ci = g.images.find((i) => i.index === c)!;
      const ri = g.images.find((i) => i.index === r)!;
      files.set(ci.nativeSha256, `images/${ci.nativeSha256}.png`);
      files.set(ri.nativeSha256, `images/${ri.nativeSha256}.png`);
      const account = pseudonym(g.userId);
      accounts.add(account);
      models.add(g.modelId);
      gens.add(g.id);
      pairs.push({
        id: `pair-${createHash('sha256').update(`${g.id}\0${c}\0${r}`).digest('hex').slice(0, 16)}`,
        prompt: g.prompt,
        chosen: `images/${ci.nativeSha256}.png`,
        rejected: `images/${ri.nativeSha256}.png`,
        generation: g.id,
        model: g.modelId,
        account,
        source,
        weight: PAIR_WEIGHTS[source],
        split: splitOf(g.prompt),
      });
    }
  }
  if (!pairs.length) {
    throw new VitrineError(
      `No preference pairs yet: ${contributors.size} account(s) accepted the feedback terms, and none of their generations has a pick or a rejection with another image to compare`,
    );
  }
  // Every image must be there and of one size (the generator's native resolution).
  const bytes = new Map<string, Buffer>();
  for (const sha of files.keys()) {
    if (!(await o.images.has(sha))) throw new VitrineError(`Image ${sha} of the feedback is missing from the image store: cannot make a complete set`);
    const b = await o.images.get(sha);
    const w = b.readUInt32BE(16);
    const h = b.readUInt32BE(20);
    if (w !== h) throw new VitrineError(`Image ${sha} is ${w}×${h}, not square`);
    if (imageSize && w !== imageSize) throw new VitrineError(`Feedback images of two sizes (${imageSize} and ${w}): make one set per model size`);
    imageSize = w;
    bytes.set(sha, b);
  }
  return writeSet(o.dataDir, pairs, bytes, {
    createdAt: (o.now ?? new Date()).toISOString(),
    imageSize,
    heldOut: pairs.filter((p) => p.split === 'heldout').length,
    accounts: accounts.size,
    contributors: [...accounts].sort(),
    models: [...models].sort(),
    generations: gens.size,
    rule: 'accounts that accepted the feedback terms; pairs from their picks, rejections and keeps within one generation',
  });
}

/**
 * Writes a set folder: DATA/feedback/<id>/ with the images (by sha256), pairs.jsonl and the
 * manifest, where the id is the hash of pairs.jsonl (the same pairs give the same set, written once).
 * Written aside and renamed into place: a set folder is complete or absent.
 */
export async function writeSet<P extends { split: string }>(
  dataDir: string,
  pairs: P[],
  bytes: Map<string, Buffer>,
  fields: Omit<FeedbackSetManifest, 'format' | 'version' | 'id' | 'pairs'>,
): Promise<FeedbackSet> {
  const body = pairs.map((p) => `${JSON.stringify(p)}\n`).join('');
  const id = `fb-${createHash('sha256').update(body).digest('hex').slice(0, 20)}`;
  const root = feedbackRoot(dataDir);
  const dir = path.join(root, id);
  if (existsSync(path.join(dir, 'feedback-set.json'))) return { id, path: dir, manifest: readManifest(dir), created: false };
  const manifest: FeedbackSetManifest = { format: 'vitrine-feedback-set', version: 1, id, pairs: pairs.length, ...fields };
  const tmp = path.join(root, `.tmp-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`);
  await mkdir(path.join(tmp, 'images'), { recursive: true });
  for (const [sha, b] of bytes) await writeFile(path.join(tmp, 'images', `${sha}.png`), b);
  await writeFile(path.join(tmp, 'pairs.jsonl'), body);
  await writeFile(path.join(tmp, 'feedback-set.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  try {
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(path.join(dir, 'feedback-set.json'))) throw e;
  }
  return { id, path: dir, manifest, created: true };
}

export function readManifest(dir: string): FeedbackSetManifest {
  const file = path.join(dir, 'feedback-set.json');
  if (!existsSync(file)) throw new VitrineError(`${dir} is not a feedback set (no feedback-set.json)`);
  const m = JSON.parse(readFileSync(file, 'utf8')) as FeedbackSetManifest;
  if (m.format !== 'vitrine-feedback-set') throw new VitrineError(`${file}: not a vitrine feedback set (format ${String(m.format)})`);
  return m;
}

export function listFeedbackSets(dataDir: string): { id: string; path: string; manifest: FeedbackSetManifest }[] {
  const root = feedbackRoot(dataDir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => n.startsWith('fb-') && existsSync(path.join(root, n, 'feedback-set.json')))
    .map((n) => ({ id: n, path: path.join(root, n), manifest: readManifest(path.join(root, n)) }))
    .sort((a, b) => (a.manifest.createdAt < b.manifest.createdAt ? -1 : 1));
}

/** Finds a set by id (or "latest"). */
export function resolveFeedbackSet(dataDir: string, id: string): { id: string; path: string; manifest: FeedbackSetManifest } {
  const sets = listFeedbackSets(dataDir);
  // "latest" is the newest set of people's own pairs: a derived (reward-ranked) set is not feedback to learn a reward from.
  const s = id === 'latest' ? sets.filter((x) => !x.manifest.derived).pop() : sets.find((x) => x.id === id);
  if (!s) throw new VitrineError(sets.length ? `No feedback set ${id} (there are: ${sets.map((x) => x.id).join(', ')})` : 'No feedback set yet: run `vitrine feedback export` first');
  return s;
}

/**
 * Sets that hold pairs of accounts whose consent is no longer in force, and the
 * models made from them (their lineage names the set): they should be remade
 * without those accounts, as models trained on a snapshot with withdrawals are.
 */
export function feedbackWithdrawals(store: Store, dataDir: string): { set: string; accounts: string[]; models: string[] }[] {
  const live = new Set([...store.users.contributors()].map(pseudonym));
  const out: { set: string; accounts: string[]; models: string[] }[] = [];
  for (const s of listFeedbackSets(dataDir)) {
    const gone = (s.manifest.contributors ?? []).filter((a) => !live.has(a));
    if (!gone.length) continue;
    const models = store.models
      .list()
      .filter((m) => {
        const l = (m.card.lineage ?? {}) as { feedbackSet?: string; rankedSet?: string };
        return l.feedbackSet === s.id || l.rankedSet === s.id;
      })
      .map((m) => m.id);
    out.push({ set: s.id, accounts: gone, models });
  }
  return out;
}
