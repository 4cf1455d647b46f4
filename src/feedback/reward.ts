/**
 * The reward model (trainer/reward.py): a score for an image given its prompt
 * and who asked, learnt from people's picks and rejections (a feedback set).
 * Scores rank the images of one prompt and mean nothing on their own; the
 * product generates more candidates than it shows and keeps the best (`rerank`).
 * A model learns each contributing account's own taste (the card's `accounts`,
 * pseudonyms); any other account, or none, gets the score shared by everyone.
 *
 * A reward model folder holds reward.json (the card), reward.onnx and the
 * generator's tokenizer.json. The session is created once per folder and
 * shared, as the generator's are (src/imagine/model.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { VitrineError } from '../core/errors.ts';
import { promptText } from '../imagine/index.ts';
import { Tokenizer } from '../imagine/tokenizer.ts';

export const REWARD_FORMAT = 'vitrine-reward-model';

export interface RewardCard {
  format: typeof REWARD_FORMAT;
  version: 1;
  /**
   * "reward-" + 20 hex of the sha256 of the sha256s of tokenizer.json and reward.onnx, then of
   * the accounts joined by newlines when there are any.
   */
  id: string;
  /** Row i + 1 of the graph's `account` input is accounts[i] (pseudonyms); row 0 is anyone. Absent in older models. */
  accounts?: string[];
  imageSize: number;
  maxTokens: number;
  feedbackSet?: string;
  /** The split it learnt from (absent: "train"). A "heldout" one is a judge: it never saw a prompt any fine-tuned model learnt from. */
  learntSplit?: 'train' | 'heldout';
  /** Accuracy on the split it did not learn from ("heldOut" whichever split that is). */
  metrics?: { heldOutAccuracy: number | null; trainAccuracy: number | null; bySource?: Record<string, unknown>; byAccount?: Record<string, { heldOutPairs: number; heldOutAccuracy: number | null }> };
  training?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Reward {
  dir: string;
  card: RewardCard;
  tokenizer: Tokenizer;
  session: ort.InferenceSession;
  /** Whether the graph takes an `account` input (models trained before accounts did not). */
  personal: boolean;
  /** Account pseudonym -> its row of the `account` input. */
  rows: Map<string, number>;
}

function fail(dir: string, why: string): never {
  throw new VitrineError(`Reward model ${dir}: ${why}`);
}

function checkCard(dir: string, text: string): RewardCard {
  let c: Partial<RewardCard>;
  try {
    c = JSON.parse(text) as Partial<RewardCard>;
  } catch (e) {
    fail(dir, `reward.json is not valid JSON (${(e as Error).message})`);
  }
  if (typeof c !== 'object' || c === null || c.format !== REWARD_FORMAT || c.version !== 1) fail(dir, `reward.json is not a ${REWARD_FORMAT} v1 card`);
  if (typeof c.id !== 'string' || !/^reward-[0-9a-f]{20}$/.test(c.id)) fail(dir, 'reward.json has no valid id (reward- and 20 hex digits)');
  if (!Number.isInteger(c.imageSize) || (c.imageSize as number) < 4) fail(dir, 'reward.json imageSize must be an integer ≥ 4');
  if (!Number.isInteger(c.maxTokens) || (c.maxTokens as number) < 2) fail(dir, 'reward.json maxTokens must be an integer ≥ 2');
  if (c.accounts !== undefined && !(Array.isArray(c.accounts) && c.accounts.every((a) => typeof a === 'string' && /^acct-[0-9a-f]+$/.test(a)))) {
    fail(dir, 'reward.json accounts must be a list of account pseudonyms (acct-…)');
  }
  return c as RewardCard;
}

/** A reward model's card (reward.json), checked, without loading the model. */
export function readRewardCard(dir: string): RewardCard {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'reward.json'), 'utf8');
  } catch (e) {
    fail(dir, `cannot read reward.json (${(e as Error).message})`);
  }
  return checkCard(dir, text);
}

async function open(dir: string, threads: number): Promise<Reward> {
  const files = ['reward.json', 'reward.onnx', 'tokenizer.json'];
  const missing = files.filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length === files.length) fail(dir, `not a reward model folder (no ${files.join(', ')})`);
  if (missing.length) fail(dir, `missing ${missing.join(', ')}`);
  // Each file is read once: the bytes give the card, the tokenizer, the session and the id check.
  const [cardText, onnx, tokBytes] = await Promise.all([
    readFile(path.join(dir, 'reward.json'), 'utf8'),
    readFile(path.join(dir, 'reward.onnx')),
    readFile(path.join(dir, 'tokenizer.json')),
  ]);
  const card = checkCard(dir, cardText);
  const h = createHash('sha256');
  for (const bytes of [tokBytes, onnx]) h.update(createHash('sha256').update(bytes).digest());
  if (card.accounts?.length) h.update(createHash('sha256').update(card.accounts.join('\n')).digest());
  if (`reward-${h.digest('hex').slice(0, 20)}` !== card.id) {
    fail(dir, `reward.onnx, tokenizer.json and the card's accounts are not what its id ${card.id} names (changed after training)`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromJson(JSON.parse(tokBytes.toString('utf8')));
  } catch (e) {
    fail(dir, `tokenizer.json: ${(e as Error).message}`);
  }
  if (tokenizer.maxTokens !== card.maxTokens) fail(dir, `tokenizer.json has maxTokens ${tokenizer.maxTokens}, the card ${card.maxTokens}`);
  const session = await ort.InferenceSession.create(onnx, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const personal = session.inputNames.includes('account');
  if (card.accounts?.length && !personal) fail(dir, 'the card lists accounts but reward.onnx has no account input');
  const rows = new Map((card.accounts ?? []).map((a, i) => [a, i + 1]));
  return { dir, card, tokenizer, session, personal, rows };
}

const loaded = new Map<string, Promise<Reward>>();

/** Loads (once) the reward model in `dir`; later calls share the same session. */
export function loadReward(dir: string, threads = availableParallelism()): Promise<Reward> {
  const key = `${path.resolve(dir)}#${threads}`;
  let p = loaded.get(key);
  if (!p) {
    p = open(dir, threads);
    // A folder that failed to load is tried again next time (it may have been fixed).
    p.catch(() => loaded.delete(key));
    loaded.set(key, p);
  }
  return p;
}

/** Releases every loaded session (tests, shutdown). */
export async function unloadRewards(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  for (const p of all) {
    try {
      await (await p).session.release();
    } catch {
      // a model that failed to load has nothing to release
    }
  }
}

/**
 * Interleaved 8-bit pixels (`channels` per pixel, RGB first, as sharp's raw output and the
 * generator's pixels are) -> the planar (3, side, side) image in [-1, 1] that scoreImages takes.
 */
export function planarFromPixels(px: ArrayLike<number>, side: number, channels = 3): Float32Array {
  const n = side * side;
  const f = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) f[c * n + i] = (px[i * channels + c] as number) / 127.5 - 1;
  return f;
}

/**
 * A planar (3, side, side) image in [-1, 1] -> (3, size, size) by box averaging, the trainer's
 * box_resize (which averages the u8 pixels: the same values, since the map to [-1, 1] is linear).
 */
export function boxResize(image: Float32Array, side: number, size: number): Float32Array {
  if (side === size) return image;
  if (side < size || side % size) throw new VitrineError(`An image of ${side}px cannot be box-averaged to the reward model's ${size}px (it must be a whole multiple)`);
  const f = side / size;
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++) {
          const row = (c * side + y * f + dy) * side + x * f;
          for (let dx = 0; dx < f; dx++) s += image[row + dx] as number;
        }
        out[(c * size + y) * size + x] = s / (f * f);
      }
    }
  }
  return out;
}

/**
 * Scores of `images` for `prompt` (as typed: a leading "imagine" is dropped, as the generator
 * does), for the account with pseudonym `account` (src/feedback/pairs.ts pseudonym): its own
 * taste when the model learnt it, else, or without an account, the score shared by everyone.
 * Each image is planar (3, S, S) in [-1, 1] at the generator's native size, box-averaged to the
 * reward model's size when larger.
 */
export async function scoreImages(reward: Reward, prompt: string, images: Float32Array[], account?: string, batch = 64): Promise<number[]> {
  const S = reward.card.imageSize;
  const per = 3 * S * S;
  const inputs = images.map((im, i) => {
    const side = Math.round(Math.sqrt(im.length / 3));
    if (3 * side * side !== im.length) throw new VitrineError(`Image ${i} has ${im.length} values, not 3 × side × side`);
    return boxResize(im, side, S);
  });
  const ids = reward.tokenizer.encode(promptText(prompt));
  const T = ids.length;
  const row = BigInt((account !== undefined && reward.rows.get(account)) || 0);
  const scores: number[] = [];
  for (let i = 0; i < inputs.length; i += batch) {
    const chunk = inputs.slice(i, i + batch);
    const x = new Float32Array(chunk.length * per);
    chunk.forEach((im, k) => x.set(im, k * per));
    const idData = new BigInt64Array(chunk.length * T);
    for (let k = 0; k < chunk.length; k++) for (let t = 0; t < T; t++) idData[k * T + t] = BigInt(ids[t] as number);
    const out = await reward.session.run({
      image: new ort.Tensor('float32', x, [chunk.length, 3, S, S]),
      ids: new ort.Tensor('int64', idData, [chunk.length, T]),
      ...(reward.personal ? { account: new ort.Tensor('int64', new BigInt64Array(chunk.length).fill(row), [chunk.length]) } : {}),
    });
    for (const v of out.score!.data as Float32Array) scores.push(v);
  }
  return scores;
}

/**
 * Indices of the best `keep` images for `prompt`, highest score first; equal scores keep their
 * original order, so the same candidates always give the same answer.
 */
export async function rerank(reward: Reward, prompt: string, images: Float32Array[], keep = 4, account?: string): Promise<number[]> {
  if (!Number.isInteger(keep) || keep < 0) throw new VitrineError(`keep must be a whole number ≥ 0, got ${keep}`);
  const scores = await scoreImages(reward, prompt, images, account);
  // A NaN score (a broken graph) ranks last rather than making the sort's order undefined.
  const s = scores.map((v) => (Number.isNaN(v) ? -Infinity : v));
  const order = s.map((_, i) => i).sort((a, b) => (s[b] as number) - (s[a] as number) || a - b);
  return order.slice(0, keep);
}
