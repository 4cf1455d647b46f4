/**
 * Reward-ranked pairs (RAFT-style self-training): the people picked among four
 * images for a few hundred prompts; the reward model that learnt their picks can
 * rank many more of the parent's images. For every training prompt the people
 * asked, the parent makes N candidates; each contributing account's personal
 * score ranks them (standardised within the candidates, so no one's scale
 * dominates); the weighted mean over the accounts is what they agree on. The
 * best and the worst of each group become a pair of a derived feedback set,
 * which finetune.py learns from beside the people's own pairs.
 *
 * An account weighs by how well the reward model knows its taste: its held-out
 * accuracy above chance, max(0, accuracy - 0.5). A taste the model cannot read
 * (measured: the people who want the prompted emoji, ~50 %) would only add
 * noise to the ranking; those people still count through their own picks.
 *
 * Why: one generator serves everyone, and a pick says one thing about one image;
 * the ranked pairs turn what the reward model learnt into images for every asked
 * prompt, in the direction most accounts prefer.
 *
 * Only train-split prompts are used (held-out prompts are never trained on), and
 * the derived set carries its source's contributors, so a revocation reaches it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { VitrineError } from '../core/errors.ts';
import { imaginePixels } from '../imagine/index.ts';
import { loadModel } from '../imagine/model.ts';
import { isJudge } from './loop.ts';
import { listFeedbackSets, readManifest, writeSet, type FeedbackSet, type PreferencePair } from './pairs.ts';
import { loadReward, planarFromPixels, scoreImages } from './reward.ts';

export interface RankedSetOptions {
  dataDir: string;
  /** The people's feedback set the reward model learnt from. */
  setDir: string;
  rewardDir: string;
  /** The parent that makes the candidates (the model the child starts from). */
  modelDir: string;
  /** Candidates per group (default 8). */
  candidates?: number;
  /** Groups per prompt, each with its own seed (default 2). */
  groups?: number;
  /** Sampling steps (default: the model's, as the service serves it). */
  steps?: number;
  onProgress?: (done: number, total: number) => void;
}

/** A preference pair the reward model made, not a person: the people's pair type, narrowed. */
type RankedPair = Omit<PreferencePair, 'account' | 'source' | 'split'> & {
  account: 'consensus';
  source: 'reward-ranked';
  split: 'train';
  /** The consensus scores of chosen and rejected (mean standardised score over the accounts). */
  scores: [number, number];
};

/** Each account's scores standardised over the candidates, then averaged over the accounts with `weights` (default equal). */
export function consensus(scoresByAccount: number[][], weights?: number[]): number[] {
  const n = scoresByAccount[0]?.length ?? 0;
  const w = weights ?? scoresByAccount.map(() => 1);
  const total = w.reduce((a, b) => a + b, 0);
  if (w.length !== scoresByAccount.length || w.some((x) => !(x >= 0)) || !(total > 0)) throw new VitrineError(`Consensus weights must be one non-negative number per account, not all zero: ${JSON.stringify(w)}`);
  const out = new Array<number>(n).fill(0);
  scoresByAccount.forEach((s, a) => {
    const m = s.reduce((x, y) => x + y, 0) / n;
    const sd = Math.sqrt(s.reduce((x, y) => x + (y - m) ** 2, 0) / n);
    for (let i = 0; i < n; i++) out[i]! += sd > 0 ? (w[a]! * (s[i]! - m)) / sd / total : 0;
  });
  return out;
}

/**
 * The best and the worst candidate by consensus score, with their scores as a pair records them
 * (4 decimals), or null when they are equal at that precision: no preference to learn from. Accounts
 * that disagree exactly (two candidates, opposite opinions of equal weight) leave rounding residues
 * of 1e-17, which are not a preference either.
 */
export function bestAndWorst(c: number[]): { best: number; worst: number; scores: [number, number] } | null {
  if (c.length < 2) return null;
  const order = c.map((_, k) => k).sort((x, y) => c[y]! - c[x]!);
  const best = order[0]!;
  const worst = order[order.length - 1]!;
  const scores: [number, number] = [Number(c[best]!.toFixed(4)), Number(c[worst]!.toFixed(4))];
  return scores[0] > scores[1] ? { best, worst, scores } : null;
}

/**
 * How much each account counts in the ranking: its held-out accuracy above chance (the reward
 * card's byAccount). Equal weights when the card has none above chance (or no per-account figures).
 */
export function accountWeights(accounts: string[], byAccount: Record<string, { heldOutAccuracy: number | null }> | undefined): number[] {
  const w = accounts.map((a) => Math.max(0, (byAccount?.[a]?.heldOutAccuracy ?? 0.5) - 0.5));
  return w.some((x) => x > 0) ? w : accounts.map(() => 1);
}

/** A group's seed: from the prompt and the group, so the same set and parent give the same candidates. */
function seedOf(prompt: string, group: number): number {
  return createHash('sha256').update(`ranked\0${prompt}\0${group}`).digest().readUInt32BE(0);
}

export async function createRankedSet(o: RankedSetOptions): Promise<FeedbackSet> {
  const source = readManifest(o.setDir);
  if (source.derived) throw new VitrineError(`${source.id} is itself a derived set: rank from the people's own feedback set`);
  const n = o.candidates ?? 8;
  const groups = o.groups ?? 2;
  if (!Number.isInteger(n) || n < 2 || n > 64) throw new VitrineError(`Candidates per prompt must be from 2 to 64, got ${n}`);
  if (!Number.isInteger(groups) || groups < 1 || groups > 16) throw new VitrineError(`Groups per prompt must be from 1 to 16, got ${groups}`);
  const rows = readFileSync(path.join(o.setDir, 'pairs.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { prompt: string; split: string });
  const prompts = [...new Set(rows.filter((r) => r.split === 'train').map((r) => r.prompt))].sort();
  if (!prompts.length) throw new VitrineError(`${source.id} has no training prompts to rank images for`);
  const [model, reward] = await Promise.all([loadModel(o.modelDir), loadReward(o.rewardDir)]);
  // A judge learnt from the held-out pairs: ranking with it would teach the child what the comparison then measures.
  if (isJudge(reward.card)) throw new VitrineError(`${reward.card.id} is a judge (it learnt from held-out pairs): rank with a reward model that learnt from the training pairs`);
  if (reward.card.feedbackSet !== source.id) throw new VitrineError(`${reward.card.id} learnt from ${reward.card.feedbackSet ?? 'an unknown set'}, not from ${source.id}`);
  const S = model.card.imageSize;
  if (S !== source.imageSize) throw new VitrineError(`${model.card.id} makes ${S}×${S} images, the set's are ${source.imageSize}×${source.imageSize}`);
  // Accounts the reward model knows; with no personal rows, its one shared score.
  const accounts = source.contributors.filter((a) => reward.rows.has(a));
  const scoreAs: (string | undefined)[] = accounts.length ? accounts : [undefined];
  const weights = accounts.length ? accountWeights(accounts, reward.card.metrics?.byAccount) : [1];
  const weightOf = Object.fromEntries(scoreAs.map((a, i) => [a ?? 'anyone', Number(weights[i]!.toFixed(4))]));
  // The same ranking was made before (a resumed fine-tune): the candidates would be the same, seeded by prompt.
  const same = listFeedbackSets(o.dataDir).find((x) => {
    const d = x.manifest.derived;
    return d && d.feedbackSet === source.id && d.reward === reward.card.id && d.candidates === n && d.groups === groups && x.manifest.models[0] === model.card.id
      && JSON.stringify(d.weights) === JSON.stringify(weightOf);
  });
  if (same) return { ...same, created: false };
  const pairs: RankedPair[] = [];
  const bytes = new Map<string, Buffer>();
  const png = async (px: Uint8Array) => {
    const b = await sharp(Buffer.from(px), { raw: { width: S, height: S, channels: 3 } }).png().toBuffer();
    const sha = createHash('sha256').update(b).digest('hex');
    bytes.set(sha, b);
    return `images/${sha}.png`;
  };
  const total = prompts.length * groups;
  for (const [i, prompt] of prompts.entries()) {
    for (let g = 0; g < groups; g++) {
      const seed = seedOf(prompt, g);
      const { pixels } = await imaginePixels(model, prompt, { seed, count: n, size: S, steps: o.steps });
      const planar = pixels.map((px) => planarFromPixels(px, S));
      const byAccount = [];
      for (const a of scoreAs) byAccount.push(await scoreImages(reward, prompt, planar, a));
      const ranked = bestAndWorst(consensus(byAccount, weights));
      if (ranked) {
        const { best, worst, scores } = ranked;
        pairs.push({
          id: `pair-${createHash('sha256').update(`${prompt}\0${seed}\0${best}\0${worst}`).digest('hex').slice(0, 16)}`,
          prompt, chosen: await png(pixels[best]!), rejected: await png(pixels[worst]!),
          generation: `ranked-${seed.toString(16)}`, model: model.card.id, account: 'consensus', source: 'reward-ranked', weight: 1, split: 'train', scores,
        });
      }
      o.onProgress?.(i * groups + g + 1, total);
    }
  }
  if (!pairs.length) throw new VitrineError(`The reward model ${reward.card.id} scores every candidate the same: no ranked pairs`);
  return writeSet(o.dataDir, pairs, bytes, {
    createdAt: new Date().toISOString(),
    imageSize: S,
    heldOut: 0,
    accounts: source.accounts,
    contributors: source.contributors,
    models: [model.card.id],
    generations: pairs.length,
    rule: `the best and worst of ${n} images of ${model.card.id} per prompt and seed, for the training prompts of ${source.id}, ranked by ${reward.card.id} (each account's standardised score, weighted by its held-out accuracy above chance)`,
    derived: { kind: 'reward-ranked', feedbackSet: source.id, reward: reward.card.id, candidates: n, groups, weights: weightOf },
  });
}
