/**
 * The feedback loop's training side: from a feedback set (pairs.ts) to a reward
 * model, to the next generator, to the comparison that decides whether it may
 * replace its parent.
 *
 *   feedback set ──reward.py──▶ reward model (DATA/rewards/<id>/): best-of-n, and the judge of
 *        │                                                         head-to-head comparisons
 *        └──finetune.py (from the model in use)──▶ next model (DATA/models/<id>/, lineage:
 *                                                  parent, snapshot, feedback set)
 *   compare(child, parent): both imagine the held-out prompts with the same seeds; a judge (a reward
 *   model that learnt from the held-out pairs only) says which image of each pair is better.
 *   promote() refuses a model that did not win before such an independent judge.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VitrineError } from '../core/errors.ts';
import { DEFAULT_JUDGE_DIR, inTopFive, loadJudge } from '../eval/judge.ts';
import { loadPrompts, type EvalPrompt } from '../eval/prompts.ts';
import { imagine } from '../imagine/index.ts';
import { loadModel, readCard, resolveModelDir, type LoadedModel } from '../imagine/model.ts';
import type { ModelRecord, Store } from '../store/index.ts';
import { exportAndRegister } from '../train/index.ts';
import { pythonError, runPython, type PyEvent } from '../train/python.ts';
import { readManifest, splitOf } from './pairs.ts';
import { loadReward, planarFromPixels, readRewardCard, REWARD_FORMAT, scoreImages, type Reward, type RewardCard } from './reward.ts';
import type { Scorer } from '../service/imagine-service.ts';

export function rewardsRoot(dataDir: string): string {
  return path.join(dataDir, 'rewards');
}

/** Reward models in DATA/rewards, oldest first. */
export function listRewards(dataDir: string): { id: string; path: string; card: RewardCard }[] {
  const root = rewardsRoot(dataDir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => n.startsWith('reward-') && existsSync(path.join(root, n, 'reward.json')))
    .map((n) => ({ id: n, path: path.join(root, n), card: JSON.parse(readFileSync(path.join(root, n, 'reward.json'), 'utf8')) as RewardCard }))
    .sort((a, b) => String(a.card.createdAt ?? '').localeCompare(String(b.card.createdAt ?? '')));
}

/** Whether a reward model can judge a fine-tuned model fairly: it learnt only from held-out pairs. */
export function isJudge(card: RewardCard): boolean {
  return card.learntSplit === 'heldout';
}

/** A reward model by id, folder, "latest" (the newest reward model for reranking) or "judge" (the newest judge). */
export function resolveReward(dataDir: string, ref: string): string {
  if (existsSync(path.join(ref, 'reward.json'))) return ref;
  const all = listRewards(dataDir);
  const rerankers = all.filter((x) => !isJudge(x.card));
  const judges = all.filter((x) => isJudge(x.card));
  const r = ref === 'latest' ? rerankers[rerankers.length - 1] : ref === 'judge' ? judges[judges.length - 1] : all.find((x) => x.id === ref);
  if (!r) {
    if (ref === 'judge') throw new VitrineError('No judge yet: run `vitrine reward --judge` (a reward model that learns from the held-out pairs only)');
    throw new VitrineError(all.length ? `No reward model ${ref} (there are: ${all.map((x) => x.id).join(', ')})` : 'No reward model yet: run `vitrine reward` first');
  }
  return r.path;
}

export interface RewardTrainOptions {
  dataDir: string;
  setDir: string;
  /** The generator whose tokenizer the reward model shares (its prompts are encoded the same way). */
  modelDir: string;
  epochs?: number;
  seed?: number;
  /** "heldout" trains a judge for comparisons (default "train": a reward model for reranking). */
  learnSplit?: 'train' | 'heldout';
  onEvent?: (e: PyEvent) => void;
}

/** Trains trainer/reward.py on the set; the model lands in DATA/rewards/<id>/ (written aside, renamed). */
export async function trainReward(o: RewardTrainOptions): Promise<{ id: string; path: string; card: RewardCard; created: boolean }> {
  const set = readManifest(o.setDir);
  const card = await readCard(o.modelDir);
  const root = rewardsRoot(o.dataDir);
  await mkdir(root, { recursive: true });
  const tmp = path.join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const args = ['--pairs', o.setDir, '--tokenizer', path.join(o.modelDir, card.files.tokenizer), '--out', tmp];
  if (o.epochs) args.push('--epochs', String(o.epochs));
  if (o.seed !== undefined) args.push('--seed', String(o.seed));
  if (o.learnSplit) args.push('--learn-split', o.learnSplit);
  const r = await runPython('reward.py', args, o.onEvent);
  if (r.code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new VitrineError(`Training the reward model on ${set.id} failed (exit ${r.code}): ${pythonError(r.stderr)}`);
  }
  const written = JSON.parse(await readFile(path.join(tmp, 'reward.json'), 'utf8')) as RewardCard;
  if (written.format !== REWARD_FORMAT) throw new VitrineError(`reward.py wrote no reward card in ${tmp}`);
  // The product's fields: when, and for which generator's tokenizer (the id stays the trainer's hash).
  const full: RewardCard = { ...written, createdAt: new Date().toISOString(), generator: card.id };
  await writeFile(path.join(tmp, 'reward.json'), `${JSON.stringify(full, null, 1)}\n`);
  const dir = path.join(root, full.id);
  if (existsSync(dir)) {
    await rm(tmp, { recursive: true, force: true });
    return { id: full.id, path: dir, card: JSON.parse(await readFile(path.join(dir, 'reward.json'), 'utf8')) as RewardCard, created: false };
  }
  await rename(tmp, dir);
  return { id: full.id, path: dir, card: full, created: true };
}

/**
 * How the child learns from the people's preferences (trainer/finetune.py): dpo, Diffusion-DPO on
 * the pairs; rwr, the flow loss on the chosen images; draft, the reward model's gradient through
 * the last sampling steps of the child's own images of the asked prompts.
 */
export const FINETUNE_METHODS = ['dpo', 'rwr', 'draft'] as const;
export type FinetuneMethod = (typeof FINETUNE_METHODS)[number];

export interface FinetuneOptions {
  dataDir: string;
  store: Store;
  setDir: string;
  /** A reward-ranked set derived from setDir (ranked.ts), learnt from beside the people's pairs. */
  rankedSetDir?: string;
  /** The parent: a model id, "default", or a folder. */
  init?: string;
  method?: FinetuneMethod;
  /** draft: the reward model whose gradient the child follows (learnt from setDir's training pairs, never a judge). */
  rewardDir?: string;
  overrides?: Record<string, string>;
  /** Also train on the parent's snapshot (against forgetting), when it is in this store. */
  withSnapshot?: boolean;
  maxSeconds?: number;
  fresh?: boolean;
  onEvent?: (e: PyEvent) => void;
  signal?: AbortSignal;
}

export type FinetuneResult =
  | { status: 'trained'; model: ModelRecord; runDir: string; created: boolean; registered: boolean }
  | { status: 'stopped'; runDir: string; step: number; steps: number };

/**
 * Fine-tunes the parent on the set's preferences (trainer/finetune.py), exports
 * the child and registers it with its lineage: parent, the parent's snapshot
 * and policy, and the feedback set. The run folder is named after the set and
 * the parent, so the same command resumes an interrupted run.
 */
export async function finetune(o: FinetuneOptions): Promise<FinetuneResult> {
  const set = readManifest(o.setDir);
  const parentDir = await resolveModelDir(o.dataDir, o.init ?? o.store.models.active() ?? undefined);
  const parent = await readCard(parentDir);
  const method = o.method ?? 'dpo';
  const lineage = (parent.lineage ?? {}) as { snapshot?: string; policyVersion?: string };
  const snapshotId = lineage.snapshot;
  if (!snapshotId) throw new VitrineError(`Model ${parent.id} has no snapshot in its lineage: cannot say what its child was trained on`);
  const snap = o.store.snapshots.get(snapshotId);
  // Mixing the snapshot in is another run: its checkpoint must not resume one made without it.
  const ranked = o.rankedSetDir ? readManifest(o.rankedSetDir) : null;
  if (ranked && ranked.derived?.feedbackSet !== set.id) throw new VitrineError(`${ranked.id} was not derived from ${set.id}: give the ranked set of the same feedback set`);
  let reward: RewardCard | null = null;
  if (method === 'draft') {
    if (!o.rewardDir) throw new VitrineError(`--method draft follows a reward model: none given for ${set.id}`);
    reward = readRewardCard(o.rewardDir);
    if (isJudge(reward)) throw new VitrineError(`${reward.id} is a judge (it learnt from held-out pairs): the child follows a reward model that learnt from the training pairs`);
    if (reward.feedbackSet !== set.id) throw new VitrineError(`${reward.id} learnt from ${reward.feedbackSet ?? 'an unknown set'}, not from ${set.id}`);
  } else if (o.rewardDir) throw new VitrineError(`A reward model is followed by --method draft only, not ${method}`);
  const runDir = path.join(o.dataDir, 'runs', `finetune-${method}${o.withSnapshot ? '+snapshot' : ''}-${set.id}${ranked ? `+${ranked.id}` : ''}${reward ? `+${reward.id}` : ''}-from-${parent.id}`);
  if (o.fresh) await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });
  const args = ['--init', parentDir, '--pairs', o.setDir, ...(o.rankedSetDir ? ['--pairs', o.rankedSetDir] : []), '--out', runDir, '--method', method, ...(o.rewardDir ? ['--reward', o.rewardDir] : [])];
  for (const [k, v] of Object.entries(o.overrides ?? {})) args.push('--set', `${k}=${v}`);
  if (o.withSnapshot) {
    if (!snap) throw new VitrineError(`--with-snapshot: the parent's snapshot ${snapshotId} is not in this store`);
    args.push('--snapshot', snap.path);
  }
  if (o.maxSeconds) args.push('--max-seconds', String(o.maxSeconds));
  const t = await runPython('finetune.py', args, o.onEvent, o.signal);
  if (t.code === 3) {
    const last = [...t.events].reverse().find((e) => e.event === 'stopped');
    return { status: 'stopped', runDir, step: Number(last?.step ?? 0), steps: Number(last?.steps ?? 0) };
  }
  if (t.code !== 0) throw new VitrineError(`Fine-tuning failed (exit ${t.code}): ${pythonError(t.stderr)}\n(run folder ${runDir}; run the same command again to resume)`);
  if (!snap) {
    // The models table names a snapshot of this store; without it the child is exported but not registered.
    throw new VitrineError(`The parent's snapshot ${snapshotId} is not in this store, so the child cannot be registered with its lineage (run folder ${runDir})`);
  }
  const r = await exportAndRegister({ dataDir: o.dataDir, store: o.store, config: `finetune-${method}`, onEvent: o.onEvent }, runDir, snapshotId, lineage.policyVersion ?? snap.policyVersion, {
    feedbackSet: set.id,
    ...(ranked ? { rankedSet: ranked.id } : {}),
    ...(reward ? { reward: reward.id } : {}),
    parent: parent.id,
  });
  return { ...r, runDir, registered: true };
}

/** One side of a head-to-head: a model's images of the held-out prompts. */
async function imagesOf(model: LoadedModel, prompts: string[], seeds: number[], steps?: number): Promise<Float32Array[][]> {
  const S = model.card.imageSize;
  const out: Float32Array[][] = [];
  for (const p of prompts) {
    const row: Float32Array[] = [];
    for (const seed of seeds) {
      const r = await imagine(model, p, { seed, steps, count: 1, size: S });
      row.push(planarFromPixels(r.pixels[0]!, S));
    }
    out.push(row);
  }
  return out;
}

export interface Comparison {
  child: string;
  parent: string;
  judge: string;
  prompts: number;
  pairs: number;
  childWins: number;
  ties: number;
  /** Share of image pairs (same prompt, same seed) the judge gives to the child; ties count half. */
  winRate: number;
  /** One-sided sign test of "the child is preferred no more often than the parent". */
  pValue: number;
  /**
   * The judge learnt only from held-out pairs, whose prompts no fine-tuning run ever learns from
   * (the split is a function of the prompt). A reward model trained on the child's own training
   * pairs shares its blind spots and flatters it (measured: 77 % for the child where the people
   * gave it 56 %), so only an independent judge's win counts for promotion.
   */
  judgeIndependent: boolean;
  wins: boolean;
  /**
   * The prompted emoji, before the evaluation judge, in the child's images and the parent's (null in
   * comparisons stored before 2026-11-27). The people's judge reads what they picked for, mostly
   * colours; a child can win there by painting every image their way and forgetting its prompts
   * (measured: 82.6 % before that judge while faithfulness fell from 30.2 % to 4.2 %).
   */
  faithfulness?: FaithfulnessCheck | null;
  at: string;
}

/** Child against parent on the committed evaluation prompts of the held-out split, the same seeds. */
export interface FaithfulnessCheck {
  judge: string;
  prompts: number;
  images: number;
  /** Share of images with the prompted emoji in the evaluation judge's top 5. */
  parent: number;
  child: number;
  /** Images (same prompt and seed) the parent drew faithfully and the child did not, and the reverse. */
  lost: number;
  gained: number;
  /** One-sided sign test of "the child loses no more than it gains", on the images that differ. */
  pValue: number;
  /** The child is less faithful: it lost more than it gained, p < 0.05. */
  worse: boolean;
}

/** The verdict on two lists of hits (the same prompts and seeds, in the same order). */
export function faithfulnessVerdict(parentHits: boolean[], childHits: boolean[]): Omit<FaithfulnessCheck, 'judge' | 'prompts'> {
  if (parentHits.length !== childHits.length) throw new VitrineError(`Faithfulness: ${parentHits.length} parent images against ${childHits.length} of the child`);
  const n = parentHits.length;
  let lost = 0;
  let gained = 0;
  for (let i = 0; i < n; i++) {
    if (parentHits[i] && !childHits[i]) lost++;
    if (childHits[i] && !parentHits[i]) gained++;
  }
  const pValue = signTestP(lost, lost + gained);
  const share = (h: boolean[]) => (n ? h.filter(Boolean).length / n : 0);
  return { images: n, parent: share(parentHits), child: share(childHits), lost, gained, pValue, worse: lost > gained && pValue < 0.05 };
}

/**
 * The evaluation judge's verdict on child and parent: for each committed evaluation prompt of the
 * held-out split (never fine-tuned on), four images from one seed per model, and whether the
 * prompted emoji is in the judge's top 5 (what `vitrine eval` counts as faithful).
 */
export async function faithfulnessCheck(o: { childDir: string; parentDir: string; judgeDir?: string; steps?: number; prompts?: number }): Promise<FaithfulnessCheck> {
  const [child, parent, j] = await Promise.all([loadModel(o.childDir), loadModel(o.parentDir), loadJudge(o.judgeDir ?? DEFAULT_JUDGE_DIR)]);
  const prompts = loadPrompts().filter((p) => j.classIndex.has(p.emoji) && splitOf(`imagine ${p.text}`) === 'heldout').slice(0, o.prompts ?? 1000);
  const hits = async (m: LoadedModel, p: EvalPrompt, seed: number) => {
    const S = m.card.imageSize;
    const { pixels } = await imagine(m, `imagine ${p.text}`, { seed, count: 4, size: S, steps: o.steps });
    return inTopFive(j, pixels, S, p.emoji);
  };
  const a: boolean[] = [];
  const b: boolean[] = [];
  for (const [n, p] of prompts.entries()) {
    a.push(...(await hits(child, p, 7000 + n)));
    b.push(...(await hits(parent, p, 7000 + n)));
  }
  return { judge: j.id, prompts: prompts.length, ...faithfulnessVerdict(b, a) };
}

/** P(X ≥ k) for X ~ Binomial(n, 1/2): the one-sided sign test. */
export function signTestP(k: number, n: number): number {
  if (n === 0) return 1;
  let logC = 0;
  let p = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    if (i >= k) p += Math.exp(logC - n * Math.LN2);
  }
  return Math.min(1, p);
}

/** The held-out prompts of a feedback set: prompts none of its training pairs has. */
export function heldOutPrompts(setDir: string): string[] {
  const lines = readFileSync(path.join(setDir, 'pairs.jsonl'), 'utf8').split('\n').filter(Boolean);
  return [...new Set(lines.map((l) => (JSON.parse(l) as { prompt: string }).prompt).filter((p) => splitOf(p) === 'heldout'))].sort();
}

export interface CompareOptions {
  childDir: string;
  parentDir: string;
  rewardDir: string;
  prompts: string[];
  seeds?: number;
  steps?: number;
  /** Also check faithfulness before the evaluation judge (default true; false only where a test has no use for it). */
  faithfulness?: boolean;
}

/**
 * Head-to-head on held-out prompts: both models imagine each prompt with the
 * same seeds; the reward model scores every image; a pair goes to the higher
 * score. The child wins when it takes more than half the pairs and the sign
 * test says that is unlikely by chance (p < 0.05).
 */
export async function compareModels(o: CompareOptions): Promise<Comparison> {
  if (!o.prompts.length) throw new VitrineError('No held-out prompts to compare on');
  const seeds = Array.from({ length: o.seeds ?? 4 }, (_, i) => 1000 + i);
  const [child, parent, reward] = await Promise.all([loadModel(o.childDir), loadModel(o.parentDir), loadReward(o.rewardDir)]);
  const a = await imagesOf(child, o.prompts, seeds, o.steps);
  const b = await imagesOf(parent, o.prompts, seeds, o.steps);
  let childWins = 0;
  let ties = 0;
  for (let i = 0; i < o.prompts.length; i++) {
    const s = await scoreImages(reward as Reward, o.prompts[i]!, [...a[i]!, ...b[i]!]);
    for (let k = 0; k < seeds.length; k++) {
      const d = s[k]! - s[seeds.length + k]!;
      if (d > 0) childWins++;
      else if (d === 0) ties++;
    }
  }
  const pairs = o.prompts.length * seeds.length;
  const winRate = (childWins + ties / 2) / pairs;
  const pValue = signTestP(childWins + Math.floor(ties / 2), pairs);
  const faithfulness = o.faithfulness === false ? null : await faithfulnessCheck({ childDir: o.childDir, parentDir: o.parentDir, steps: o.steps });
  return {
    child: child.card.id, parent: parent.card.id, judge: reward.card.id, prompts: o.prompts.length, pairs, childWins, ties,
    winRate, pValue, judgeIndependent: isJudge(reward.card), wins: winRate > 0.5 && pValue < 0.05, faithfulness, at: new Date().toISOString(),
  };
}

export const COMPARISON_JUDGE_PREFIX = 'vs-parent:';

/** Stores a comparison as an evaluation of the child (judge id "vs-parent:<reward id>"). */
export function recordComparison(store: Store, c: Comparison): void {
  store.models.putEval({ modelId: c.child, judgeId: `${COMPARISON_JUDGE_PREFIX}${c.judge}`, createdAt: c.at, results: { comparison: c } });
}

/** The latest stored comparison of a model against its parent, or null. */
export function lastComparison(store: Store, modelId: string): Comparison | null {
  const evals = store.models.evals(modelId).filter((e) => e.judgeId.startsWith(COMPARISON_JUDGE_PREFIX));
  const last = evals.sort((x, y) => x.createdAt.localeCompare(y.createdAt)).pop();
  return last ? ((last.results as { comparison: Comparison }).comparison ?? null) : null;
}

/**
 * Whether a model may be put in use: a model with a parent must have beaten it
 * in a stored comparison; a model trained from scratch needs no comparison here
 * (its evaluation figures are for people to judge). Returns why not, or null.
 */
export function promotionRefusal(store: Store, modelId: string): string | null {
  const m = store.models.get(modelId);
  if (!m) return `No registered model ${modelId}`;
  if (m.kind !== 'text-to-image') return `${m.id} is a ${m.kind} model, not a text-to-image one`;
  if (!m.parentId && !(m.card.lineage as { parent?: string } | undefined)?.parent) return null;
  const c = lastComparison(store, m.id);
  if (!c) return `${m.id} has not been compared with its parent yet: run \`vitrine compare ${m.id}\``;
  if (!c.judgeIndependent)
    return `${m.id} was compared by ${c.judge}, which learnt from the same kind of pairs the child was fine-tuned on and flatters it; compare it before an independent judge: \`vitrine reward --judge\`, then \`vitrine compare ${m.id}\``;
  if (!c.wins)
    return `${m.id} did not beat its parent ${c.parent}: it took ${(c.winRate * 100).toFixed(1)}% of ${c.pairs} head-to-head pairs (p = ${c.pValue.toFixed(3)}); a model is promoted only when it wins (> 50%, p < 0.05)`;
  const f = c.faithfulness;
  if (!f) return `${m.id} was compared before faithfulness was checked: run \`vitrine compare ${m.id}\` again`;
  if (f.worse)
    return `${m.id} won before the people's judge but forgot its prompts: the prompted emoji is in the evaluation judge's top 5 for ${(f.child * 100).toFixed(1)}% of its images against ${(f.parent * 100).toFixed(1)}% for ${c.parent} (${f.lost} images lost, ${f.gained} gained, p = ${f.pValue.toFixed(4)}); a model that loses faithfulness is not promoted`;
  return null;
}

/**
 * The service's best-of-n scorer from a reward model: candidates (model-size RGB
 * bytes) to planar [-1, 1], scored for the prompt and the asker's pseudonym. The reward model must share
 * the generator's tokenizer (it was trained for that generator).
 */
export async function rewardScorer(dir: string, candidates: number): Promise<{ id: string; score: Scorer; candidates: number }> {
  const reward = await loadReward(dir);
  const score: Scorer = async (prompt, pixels, size, account) => {
    return scoreImages(reward, prompt, pixels.map((px) => planarFromPixels(px, size)), account);
  };
  return { id: reward.card.id, score, candidates };
}

/** The newest reward model (not a judge) trained for this generator, or null. */
export function rewardFor(dataDir: string, generatorId: string): string | null {
  const r = listRewards(dataDir).filter((x) => x.card.generator === generatorId && !isJudge(x.card)).pop();
  return r?.path ?? null;
}
