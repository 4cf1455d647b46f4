/**
 * Proof that the feedback loop works: simulated people with hidden, differing
 * tastes use the real HTTP API (log in, accept the feedback terms, imagine,
 * follow the progress stream, look at the four images, pick one, reject one
 * with a reason), then the loop runs as an operator would run it (feedback set,
 * reward model, fine-tuned child, comparison, promotion), and the same people
 * judge the child against its parent on prompts nobody trained on.
 *
 * The tastes are what a person could plausibly hold and what a 32×32 model can
 * show: faithfulness to the prompt (as the evaluation judge sees it), warm
 * colours, vivid colours. One more account never accepts the feedback terms:
 * its picks must not reach the feedback set (checked in the report).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { VitrineError } from '../core/errors.ts';
import { DEFAULT_JUDGE_DIR, inTopFive, judge, loadJudge, toJudgeInput, type Judge } from '../eval/judge.ts';
import { loadPrompts, type EvalPrompt } from '../eval/prompts.ts';
import { buildApp } from '../http/app.ts';
import { imagine } from '../imagine/index.ts';
import { loadModel, readCard, resolveModelDir } from '../imagine/model.ts';
import { Rng } from '../core/prng.ts';
import { createUser } from '../service/auth.ts';
import { ImagineService } from '../service/imagine-service.ts';
import type { Store } from '../store/index.ts';
import type { PyEvent } from '../train/python.ts';
import { compareModels, finetune, heldOutPrompts, promotionRefusal, recordComparison, trainReward, type Comparison, type FinetuneMethod } from './loop.ts';
import { createFeedbackSet, pseudonym, splitOf } from './pairs.ts';
import { createRankedSet } from './ranked.ts';
import { loadReward, planarFromPixels, scoreImages } from './reward.ts';

export const TASTES = ['faithful', 'warm', 'vivid'] as const;
export type Taste = (typeof TASTES)[number];

export interface SimulateOptions {
  store: Store;
  dataDir: string;
  users?: number;
  rounds?: number;
  /** Sampling steps of the rounds (default: the model's). */
  steps?: number;
  /** Share of choices made at random (people are not consistent). */
  noise?: number;
  finetuneSteps?: number;
  /** More FinetuneConfig values for the child (lr, beta, batch_size …), as `vitrine finetune --set` takes them. */
  finetuneOverrides?: Record<string, string>;
  /** Fine-tune on the parent's snapshot as well (finetune.py --snapshot: against forgetting). */
  withSnapshot?: boolean;
  /** How the child learns from the pairs (default dpo; rwr: the flow loss on the chosen images; draft: the reward model's gradient). */
  method?: FinetuneMethod;
  /**
   * Also learn from reward-ranked pairs (ranked.ts): the parent's best and worst of this many
   * candidates per training prompt and seed, as the reward model ranks them for everyone (0: off).
   */
  rankedCandidates?: number;
  rewardEpochs?: number;
  /** Held-out prompts and seeds of the final head-to-head. */
  headToHeadPrompts?: number;
  seed?: number;
  /** The parent (default: the model in use). */
  model?: string;
  say?: (s: string) => void;
  onEvent?: (stage: string, e: PyEvent) => void;
}

/** RGB bytes (side × side × 3) → what each taste thinks of them; higher is better. */
export function tasteScore(taste: Exclude<Taste, 'faithful'>, rgb: Uint8Array): number {
  let s = 0;
  const n = rgb.length / 3;
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    s += taste === 'warm' ? r - b : Math.max(r, g, b) - Math.min(r, g, b);
  }
  return s / n / 255;
}

interface SimUser {
  id: string;
  name: string;
  taste: Taste;
  consents: boolean;
  cookie: string;
}

interface Scorer {
  (taste: Taste, prompt: EvalPrompt, images: Uint8Array[], side: number): Promise<number[]>;
}

function makeScorer(j: Judge): Scorer {
  return async (taste, prompt, images, side) => {
    if (taste !== 'faithful') return images.map((im) => tasteScore(taste, im));
    const S = j.card.imageSize;
    const out = await judge(j, images.map((im) => toJudgeInput(im, side, S)));
    const k = j.classIndex.get(prompt.emoji);
    if (k === undefined) throw new VitrineError(`The judge does not know emoji ${prompt.emoji}`);
    // The judge's probability of the prompted emoji: softmax of its logit.
    return out.logits.map((l) => {
      let m = -Infinity;
      for (const v of l) m = Math.max(m, v);
      let z = 0;
      for (const v of l) z += Math.exp(v - m);
      return Math.exp(l[k]! - m) / z;
    });
  };
}

/** Minimal client of the page's API: JSON calls with the session cookie, and the SSE stream. */
class Client {
  constructor(
    private base: string,
    public cookie = '',
  ) {}
  async call<T>(method: string, url: string, body?: unknown): Promise<{ status: number; json: T; headers: Headers }> {
    const res = await fetch(this.base + url, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  }
  async ok<T>(method: string, url: string, body?: unknown): Promise<T> {
    const r = await this.call<T>(method, url, body);
    if (r.status >= 300) throw new VitrineError(`${method} ${url}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }
  /** Follows a generation's events until its terminal one. */
  async follow(eventsUrl: string): Promise<{ type: string; [k: string]: unknown }> {
    const res = await fetch(this.base + eventsUrl, { headers: { cookie: this.cookie, accept: 'text/event-stream' } });
    if (!res.ok || !res.body) throw new VitrineError(`GET ${eventsUrl}: HTTP ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (!data) continue;
        const e = JSON.parse(data.slice(6)) as { type: string };
        if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') return e;
      }
    }
    throw new VitrineError(`${eventsUrl}: the stream ended without a final event`);
  }
  async image(url: string): Promise<Buffer> {
    const res = await fetch(this.base + url, { headers: { cookie: this.cookie } });
    if (!res.ok) throw new VitrineError(`GET ${url}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
}

interface PublicGeneration {
  id: string;
  status: string;
  model: string;
  images: { index: number; url: string }[];
}

/** The display PNG back to the model's pixels (box-averaged down to `side`). */
async function pixelsOf(png: Buffer, side: number): Promise<Uint8Array> {
  const { data } = await sharp(png).removeAlpha().resize(side, side, { kernel: 'cubic' }).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export interface SimulationReport {
  users: { name: string; taste: Taste; consents: boolean }[];
  rounds: number;
  generations: number;
  feedbackEvents: number;
  roundsSeconds: number;
  parent: string;
  feedbackSet: { id: string; pairs: number; heldOut: number; accounts: number; nonConsentingAccountsInSet: number };
  reward: {
    id: string; heldOutAccuracy: number | null; trainAccuracy: number | null;
    /** Held-out accuracy of the score shared by everyone (no account's own taste). */
    heldOutAccuracyShared: number | null;
    /** Held-out accuracy on the pairs of the people of each taste, each scored for its account. */
    byTaste: Record<Taste, { pairs: number; accuracy: number | null }>;
    /** The prompt term's weight, as validation on the training prompts chose it (null: an older reward model). */
    promptWeight: number | null;
    seconds: number;
  };
  /** The judge of the product's comparison: a reward model that learnt from the held-out pairs only. */
  judge: { id: string; accuracyOnTrainPairs: number | null };
  child: {
    id: string; seconds: number; method: FinetuneMethod; withSnapshot: boolean; overrides: Record<string, string>;
    /** The reward-ranked set it also learnt from, or null. */
    ranked: { id: string; pairs: number; candidates: number; groups: number; seconds: number } | null;
  };
  comparison: Comparison;
  promoted: boolean;
  promotionRefusal: string | null;
  headToHead: {
    prompts: number;
    pairs: number;
    /** Share of (person, prompt, seed) judgements that prefer the child; ties half. */
    childShare: number;
    byTaste: Record<Taste, number>;
  };
  faithfulness: { parent: number; child: number; prompts: number; images: number };
  tasteMeans: Record<Taste, { parent: number; child: number }>;
  seconds: number;
}

export async function simulate(o: SimulateOptions): Promise<SimulationReport> {
  const started = performance.now();
  const say = o.say ?? (() => {});
  const rng = new Rng(o.seed ?? 1, 'simulate');
  const nUsers = o.users ?? 6;
  const rounds = o.rounds ?? 60;
  const noise = o.noise ?? 0.1;
  const parentDir = await resolveModelDir(o.dataDir, o.model ?? o.store.models.active() ?? undefined);
  const parentCard = await readCard(parentDir);
  const snapshotId = (parentCard.lineage as { snapshot?: string } | undefined)?.snapshot;
  if (!snapshotId || !o.store.snapshots.get(snapshotId)) {
    throw new VitrineError(`The model in use (${parentCard.id}) was trained on ${snapshotId ?? 'an unknown snapshot'}, which this store does not hold: run \`vitrine start --no-serve\` on this data folder first`);
  }
  const j = await loadJudge(DEFAULT_JUDGE_DIR);
  const score = makeScorer(j);
  const prompts = loadPrompts().filter((p) => j.classIndex.has(p.emoji));
  const asked = (p: EvalPrompt) => `imagine ${p.text}`;
  const heldPrompts = prompts.filter((p) => splitOf(asked(p)) === 'heldout');

  // ------------------------------------------------------------------ the service, over real HTTP
  const service = new ImagineService({ store: o.store, dataDir: o.dataDir, fixedModelDir: parentDir, perMinute: 6000, burst: 1000, perUserJobs: 2, queueLimit: 256 });
  const app = await buildApp({ service });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const run = randomBytes(3).toString('hex');
  const users: SimUser[] = [];
  let generations = 0;
  let feedbackEvents = 0;
  const roundsStarted = performance.now();
  try {
    for (let i = 0; i <= nUsers; i++) {
      const taste = TASTES[i % TASTES.length]!;
      const consents = i < nUsers; // the last one never accepts the terms
      const name = `sim-${run}-${i}-${taste}${consents ? '' : '-declines'}`;
      const password = randomBytes(12).toString('hex');
      const { id } = await createUser(o.store, name, password);
      const c = new Client(base);
      await c.ok('POST', '/api/session', { name, password });
      if (consents) await c.ok('PUT', '/api/me/feedback-terms', { accepted: true });
      users.push({ id, name, taste, consents, cookie: c.cookie });
    }
    say(`${users.length} simulated people (${users.filter((u) => u.consents).length} accepted the feedback terms) on ${base}, ${rounds} rounds each …`);
    const side = parentCard.imageSize;
    for (let r = 0; r < rounds; r++) {
      // Everyone asks at once, as on a real service; the queue serves them in turn.
      await Promise.all(
        users.map(async (u) => {
          const c = new Client(base, u.cookie);
          // Any prompt: feedback on a held-out one is recorded like any other, and the set's
          // split keeps it out of training (it is what held-out accuracy is measured on).
          const p = prompts[Math.floor(rng.next() * prompts.length)]!;
          const { generation } = await c.ok<{ generation: PublicGeneration }>('POST', '/api/generations', { prompt: asked(p), ...(o.steps ? { steps: o.steps } : {}) });
          const end = await c.follow(`/api/generations/${generation.id}/events`);
          if (end.type !== 'done') throw new VitrineError(`${u.name}: generation ${generation.id} ended ${end.type} (${String(end.error ?? '')})`);
          const g = end.generation as PublicGeneration;
          generations++;
          const px = await Promise.all(g.images.map(async (im) => pixelsOf(await c.image(im.url), side)));
          const s = await score(u.taste, p, px, side);
          const order = s.map((_, i) => i).sort((a, b) => s[b]! - s[a]!);
          let best = order[0]!;
          let worst = order[order.length - 1]!;
          if (rng.next() < noise) [best, worst] = [worst, best]; // an inconsistent moment
          await c.ok('POST', '/api/feedback', { generation: g.id, index: g.images[best]!.index, kind: 'pick' });
          await c.ok('POST', '/api/feedback', { generation: g.id, index: g.images[worst]!.index, kind: 'reject', reason: u.taste === 'faithful' ? 'not-what-i-asked' : 'wrong-colours' });
          feedbackEvents += 2;
        }),
      );
      if ((r + 1) % 5 === 0 || r + 1 === rounds) say(`  round ${r + 1}/${rounds}: ${generations} generations, ${feedbackEvents} feedback events`);
    }
  } finally {
    await service.stop();
    await app.close();
  }
  const roundsSeconds = (performance.now() - roundsStarted) / 1000;

  // ------------------------------------------------------------------ the loop, as an operator runs it
  say('Feedback set …');
  // This run's people only: feedback of earlier runs (or real people) in the same store would make
  // the experiment depend on what the data folder already held.
  const set = await createFeedbackSet({ store: o.store, images: service.images, dataDir: o.dataDir, only: new Set(users.map((u) => u.id)) });
  const refused = new Set(users.filter((u) => !u.consents).map((u) => pseudonym(u.id)));
  const nonConsenting = set.manifest.contributors.filter((a) => refused.has(a)).length;
  say(`  ${set.id}: ${set.manifest.pairs} pairs (${set.manifest.heldOut} held out), ${set.manifest.accounts} accounts`);
  say('Reward model …');
  const rewardStarted = performance.now();
  const reward = await trainReward({ dataDir: o.dataDir, setDir: set.path, modelDir: parentDir, epochs: o.rewardEpochs, onEvent: (e) => o.onEvent?.('reward', e) });
  const rewardSeconds = (performance.now() - rewardStarted) / 1000;
  say(`  ${reward.id}: held-out pairwise accuracy ${reward.card.metrics?.heldOutAccuracy}`);
  const byTasteAccuracy = await heldOutAccuracyByTaste(reward.path, set.path, new Map(users.filter((u) => u.consents).map((u) => [pseudonym(u.id), u.taste])));
  say('Judge (a reward model that learns from the held-out pairs only) …');
  const judgeModel = await trainReward({ dataDir: o.dataDir, setDir: set.path, modelDir: parentDir, epochs: o.rewardEpochs, learnSplit: 'heldout', onEvent: (e) => o.onEvent?.('judge', e) });
  say(`  ${judgeModel.id}: accuracy on the training pairs ${judgeModel.card.metrics?.heldOutAccuracy}`);
  let ranked: SimulationReport['child']['ranked'] = null;
  let rankedDir: string | undefined;
  if (o.rankedCandidates) {
    say(`Reward-ranked pairs: the parent's best and worst of ${o.rankedCandidates} for each training prompt …`);
    const rankStarted = performance.now();
    const r = await createRankedSet({
      dataDir: o.dataDir, setDir: set.path, rewardDir: reward.path, modelDir: parentDir, candidates: o.rankedCandidates, steps: o.steps,
      onProgress: (done, total) => done % 50 === 0 && say(`  ${done}/${total}`),
    });
    rankedDir = r.path;
    ranked = { id: r.id, pairs: r.manifest.pairs, candidates: o.rankedCandidates, groups: r.manifest.derived!.groups, seconds: (performance.now() - rankStarted) / 1000 };
    say(`  ${r.id}: ${r.manifest.pairs} pairs in ${ranked.seconds.toFixed(0)} s`);
  }
  say('Fine-tuning the next model …');
  const ftStarted = performance.now();
  const method = o.method ?? 'dpo';
  const ft = await finetune({
    dataDir: o.dataDir, store: o.store, setDir: set.path, rankedSetDir: rankedDir, init: parentDir, method, rewardDir: method === 'draft' ? reward.path : undefined,
    overrides: { ...o.finetuneOverrides, ...(o.finetuneSteps ? { steps: String(o.finetuneSteps) } : {}) }, withSnapshot: o.withSnapshot,
    onEvent: (e) => o.onEvent?.('finetune', e),
  });
  if (ft.status !== 'trained') throw new VitrineError('Fine-tuning stopped before the end');
  const ftSeconds = (performance.now() - ftStarted) / 1000;
  const childDir = ft.model.path;
  say(`  ${ft.model.id}`);
  say('Comparing child and parent on held-out prompts, before the judge …');
  // The set's held-out prompts when it has some; else the eval prompts of the held-out split (never trained on either).
  const h2h = heldPrompts.slice(0, o.headToHeadPrompts ?? 24);
  const setHeld = heldOutPrompts(set.path);
  const comparison = await compareModels({ childDir, parentDir, rewardDir: judgeModel.path, prompts: setHeld.length ? setHeld : h2h.map(asked) });
  recordComparison(o.store, comparison);
  const refusal = promotionRefusal(o.store, ft.model.id);
  if (!refusal) o.store.models.setActive(ft.model.id);

  // ------------------------------------------------------------------ the people judge: child or parent?
  say('Head-to-head: the simulated people judge child against parent …');
  const child = await loadModel(childDir);
  const parent = await loadModel(parentDir);
  const S = parent.card.imageSize;
  const share: Record<Taste, number[]> = { faithful: [], warm: [], vivid: [] };
  const tasteMeans: Record<Taste, { parent: number[]; child: number[] }> = { faithful: { parent: [], child: [] }, warm: { parent: [], child: [] }, vivid: { parent: [], child: [] } };
  let faithParent = 0;
  let faithChild = 0;
  const topK = async (images: Uint8Array[], p: EvalPrompt) => (await inTopFive(j, images, S, p.emoji)).filter(Boolean).length;
  for (const [n, p] of h2h.entries()) {
    const seed = 5000 + n;
    const a = (await imagine(child, asked(p), { seed, count: 4, size: S })).pixels;
    const b = (await imagine(parent, asked(p), { seed, count: 4, size: S })).pixels;
    faithChild += await topK(a, p);
    faithParent += await topK(b, p);
    for (const taste of TASTES) {
      const sa = await score(taste, p, a, S);
      const sb = await score(taste, p, b, S);
      tasteMeans[taste].child.push(mean(sa));
      tasteMeans[taste].parent.push(mean(sb));
      // Each person of this taste sees the two images of one seed side by side.
      for (let k = 0; k < 4; k++) share[taste].push(sa[k]! > sb[k]! ? 1 : sa[k]! === sb[k]! ? 0.5 : 0);
    }
  }
  const consenting = users.filter((u) => u.consents);
  const weights = TASTES.map((t) => consenting.filter((u) => u.taste === t).length);
  const childShare = TASTES.reduce((acc, t, i) => acc + weights[i]! * mean(share[t]), 0) / weights.reduce((x, y) => x + y, 0);
  return {
    users: users.map(({ name, taste, consents }) => ({ name, taste, consents })),
    rounds,
    generations,
    feedbackEvents,
    roundsSeconds,
    parent: parentCard.id,
    feedbackSet: { id: set.id, pairs: set.manifest.pairs, heldOut: set.manifest.heldOut, accounts: set.manifest.accounts, nonConsentingAccountsInSet: nonConsenting },
    reward: {
      id: reward.id, heldOutAccuracy: reward.card.metrics?.heldOutAccuracy ?? null, trainAccuracy: reward.card.metrics?.trainAccuracy ?? null,
      heldOutAccuracyShared: (reward.card.metrics as { heldOutAccuracyAnyone?: number } | undefined)?.heldOutAccuracyAnyone ?? null,
      byTaste: byTasteAccuracy, promptWeight: typeof reward.card.training?.promptWeight === 'number' ? reward.card.training.promptWeight : null, seconds: rewardSeconds,
    },
    judge: { id: judgeModel.id, accuracyOnTrainPairs: judgeModel.card.metrics?.heldOutAccuracy ?? null },
    child: { id: ft.model.id, seconds: ftSeconds, method, withSnapshot: o.withSnapshot === true, overrides: { ...o.finetuneOverrides }, ranked },
    comparison,
    promoted: !refusal,
    promotionRefusal: refusal,
    headToHead: {
      prompts: h2h.length,
      pairs: h2h.length * 4 * consenting.length,
      childShare,
      byTaste: Object.fromEntries(TASTES.map((t) => [t, mean(share[t])])) as Record<Taste, number>,
    },
    faithfulness: { parent: faithParent / (h2h.length * 4), child: faithChild / (h2h.length * 4), prompts: h2h.length, images: h2h.length * 4 },
    tasteMeans: Object.fromEntries(TASTES.map((t) => [t, { parent: mean(tasteMeans[t].parent), child: mean(tasteMeans[t].child) }])) as Record<Taste, { parent: number; child: number }>,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Held-out pairwise accuracy of a reward model per hidden taste, each pair scored for its own
 * account, as best-of-n ranks for the asker.
 */
async function heldOutAccuracyByTaste(rewardDir: string, setDir: string, tasteOf: Map<string, Taste>): Promise<Record<Taste, { pairs: number; accuracy: number | null }>> {
  const reward = await loadReward(rewardDir);
  const rows = readFileSync(path.join(setDir, 'pairs.jsonl'), 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { prompt: string; chosen: string; rejected: string; account: string; split: string });
  const planar = async (file: string) => {
    const { data, info } = await sharp(path.join(setDir, file)).raw().toBuffer({ resolveWithObject: true });
    return planarFromPixels(data, info.width, info.channels);
  };
  const wins: Record<Taste, number[]> = { faithful: [], warm: [], vivid: [] };
  for (const r of rows.filter((x) => x.split === 'heldout')) {
    const taste = tasteOf.get(r.account);
    if (!taste) continue;
    const [sc, sr] = await scoreImages(reward, r.prompt, [await planar(r.chosen), await planar(r.rejected)], r.account);
    wins[taste].push(sc! > sr! ? 1 : sc === sr ? 0.5 : 0);
  }
  return Object.fromEntries(TASTES.map((t) => [t, { pairs: wins[t].length, accuracy: wins[t].length ? mean(wins[t]) : null }])) as Record<Taste, { pairs: number; accuracy: number | null }>;
}

/** How the child was made, in words: "Diffusion-DPO and the parent's snapshot, lr=0.0001". */
function childRecipe(c: SimulationReport['child']): string {
  const how = { rwr: 'reward-weighted regression on the chosen images', dpo: 'Diffusion-DPO', draft: "the reward model's gradient through the last sampling steps (DRaFT)" }[c.method];
  const values = Object.entries(c.overrides).map(([k, v]) => `${k}=${v}`);
  const ranked = c.ranked ? `, ${c.ranked.pairs} reward-ranked pairs (${c.ranked.id}: best and worst of ${c.ranked.candidates}, ${c.ranked.seconds.toFixed(0)} s)` : '';
  return `${how}${ranked}${c.withSnapshot ? " and the parent's snapshot" : ''}${values.length ? `, ${values.join(' ')}` : ''}`;
}

export function reportMarkdown(r: SimulationReport): string {
  const p = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);
  return [
    `# Simulated feedback loop`,
    '',
    `${r.users.filter((u) => u.consents).length} simulated people (tastes: ${TASTES.map((t) => `${t} ×${r.users.filter((u) => u.consents && u.taste === t).length}`).join(', ')}; one more never accepts the feedback terms) used the HTTP API for ${r.rounds} rounds: ${r.generations} generations, ${r.feedbackEvents} feedback events in ${r.roundsSeconds.toFixed(0)} s.`,
    '',
    `| | figure | target |`,
    `|---|---|---|`,
    `| reward model, held-out pairwise accuracy | ${p(r.reward.heldOutAccuracy)} (train ${p(r.reward.trainAccuracy)}; the shared score alone ${p(r.reward.heldOutAccuracyShared)}${r.reward.promptWeight === null ? '' : `; prompt weight ${r.reward.promptWeight}`}) | ≥ 70% |`,
    ...TASTES.map((t) => `| … pairs of people who like ${t} | ${p(r.reward.byTaste[t].accuracy)} of ${r.reward.byTaste[t].pairs} | |`),
    `| head-to-head: share the people give to the new model | ${p(r.headToHead.childShare)} of ${r.headToHead.pairs} judgements on ${r.headToHead.prompts} held-out prompts | ≥ 60% |`,
    ...TASTES.map((t) => `| … people who like ${t} | ${p(r.headToHead.byTaste[t])} | |`),
    `| prompt faithfulness (judge top-5, held-out prompts) | parent ${p(r.faithfulness.parent)} → child ${p(r.faithfulness.child)} | up |`,
    `| product's comparison (judge ${r.judge.id}, learnt from held-out pairs; its accuracy on the training pairs ${p(r.judge.accuracyOnTrainPairs)}) | child takes ${p(r.comparison.winRate)} of ${r.comparison.pairs} pairs, p = ${r.comparison.pValue.toFixed(4)} | wins to be promoted |`,
    ...(r.comparison.faithfulness
      ? [`| … and faithfulness before the evaluation judge (${r.comparison.faithfulness.prompts} held-out evaluation prompts, ${r.comparison.faithfulness.images} images) | parent ${p(r.comparison.faithfulness.parent)} → child ${p(r.comparison.faithfulness.child)} (${r.comparison.faithfulness.lost} lost, ${r.comparison.faithfulness.gained} gained, p = ${r.comparison.faithfulness.pValue.toFixed(4)}) | must not fall to be promoted |`]
      : []),
    '',
    `Parent ${r.parent} → child ${r.child.id} (${childRecipe(r.child)}, ${r.child.seconds.toFixed(0)} s), feedback set ${r.feedbackSet.id} (${r.feedbackSet.pairs} pairs, ${r.feedbackSet.heldOut} held out, ${r.feedbackSet.accounts} accounts; pairs from the account without consent: ${r.feedbackSet.nonConsentingAccountsInSet}), reward model ${r.reward.id} (${r.reward.seconds.toFixed(0)} s).`,
    r.promoted ? `The child won its comparison and was promoted.` : `The child was not promoted: ${r.promotionRefusal}`,
    '',
    `Mean taste values (parent → child): ${TASTES.map((t) => `${t} ${r.tasteMeans[t].parent.toFixed(4)} → ${r.tasteMeans[t].child.toFixed(4)}`).join(', ')}.`,
    `Total ${r.seconds.toFixed(0)} s.`,
    '',
  ].join('\n');
}

export async function writeReport(dir: string, r: SimulationReport): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'report.json'), `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(path.join(dir, 'report.md'), reportMarkdown(r));
  return path.join(dir, 'report.md');
}
