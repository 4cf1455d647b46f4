/**
 * Feedback sets: what a pair means, and consent. Over random people, choices
 * and feedback, no pair of an account whose feedback-terms choice in force is
 * not "accepted" ever reaches a set; revoking leaves the account out of the
 * next set and names the old one; the set is content-addressed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { openStore, FileMediaStore, type FeedbackEvent, type Generation, type Store } from '../src/store/index.ts';
import { createFeedbackSet, feedbackWithdrawals, pairsOf, pseudonym, resolveFeedbackSet, splitOf, verdicts, writeSet } from '../src/feedback/pairs.ts';
import { accountWeights, bestAndWorst, consensus } from '../src/feedback/ranked.ts';
import { signTestP } from '../src/feedback/loop.ts';

const root = mkdtempSync(path.join(tmpdir(), 'vitrine-pairs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ev = (id: number, index: number, kind: FeedbackEvent['kind'], userId = 'u1'): FeedbackEvent => ({ id, userId, generationId: 'g', index, kind, reason: kind === 'reject' ? 'other' : null, at: '2026-01-01T00:00:00Z' });
const gen = (id: string, userId: string, prompt: string, shas: string[]): Generation => ({
  id, userId, prompt, modelId: 'model-test', variationOf: null, status: 'done', error: null, createdAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', milliseconds: 1,
  settings: { seed: 1, steps: 2, guidance: 4, method: 'euler', shift: 1, size: 32, count: 4, candidates: 4, reward: null, strength: null },
  images: shas.map((s, index) => ({ index, sha256: s, nativeSha256: s, candidate: index, score: null })),
});

describe('what a pair means', () => {
  it('the latest pick or rejection of an image wins; keeps, downloads, variations and favourites in force make it kept', () => {
    const v = verdicts([ev(1, 0, 'pick'), ev(2, 0, 'reject'), ev(3, 1, 'download'), ev(4, 2, 'favourite'), ev(5, 2, 'unfavourite'), ev(6, 3, 'reject'), ev(7, 3, 'pick')]);
    expect([...v.entries()].sort()).toEqual([[0, 'reject'], [1, 'keep'], [3, 'pick']]);
    const twice = verdicts([ev(1, 0, 'pick'), ev(2, 1, 'pick'), ev(3, 2, 'reject')]);
    expect([...twice.entries()].sort()).toEqual([[0, 'keep'], [1, 'pick'], [2, 'reject']]);
  });
  it('pick > reject, pick > untouched, keep > reject; only the owner’s events count', () => {
    const g = gen('g', 'u1', 'imagine a cat', ['a', 'b', 'c', 'd']);
    expect(pairsOf(g, [ev(1, 0, 'pick'), ev(2, 1, 'reject'), ev(3, 2, 'keep')])).toEqual([[0, 1, 'pick>reject'], [0, 3, 'pick>other'], [2, 1, 'keep>reject']]);
    expect(pairsOf(g, [ev(1, 0, 'pick', 'admin'), ev(2, 1, 'reject', 'admin')])).toEqual([]);
    expect(pairsOf(g, [ev(1, 0, 'download')])).toEqual([]);
  });
  it('splits by prompt, whatever the case, spacing or a leading "imagine"', () => {
    expect(splitOf('imagine a red fox')).toBe(splitOf('A  red fox'));
    const prompts = Array.from({ length: 400 }, (_, i) => `imagine thing number ${i}`);
    const held = prompts.filter((p) => splitOf(p) === 'heldout').length / prompts.length;
    expect(held).toBeGreaterThan(0.12);
    expect(held).toBeLessThan(0.28);
  });
  it('the sign test', () => {
    expect(signTestP(0, 10)).toBeCloseTo(1);
    expect(signTestP(10, 10)).toBeCloseTo(1 / 1024);
    expect(signTestP(8, 10)).toBeCloseTo(56 / 1024);
  });
});

async function tinyPng(n: number): Promise<{ sha: string; png: Buffer }> {
  const raw = Buffer.alloc(8 * 8 * 3, n % 256);
  raw[0] = Math.floor(n / 256);
  const png = await sharp(raw, { raw: { width: 8, height: 8, channels: 3 } }).png().toBuffer();
  const { createHash } = await import('node:crypto');
  return { sha: createHash('sha256').update(png).digest('hex'), png };
}

type Consent = 'accepted' | 'revoked' | 'never' | 'reaccepted';
const consentArb = fc.constantFrom<Consent>('accepted', 'revoked', 'never', 'reaccepted');
const actionArb = fc.record({ user: fc.nat({ max: 3 }), prompt: fc.nat({ max: 5 }), events: fc.array(fc.record({ index: fc.nat({ max: 3 }), kind: fc.constantFrom<FeedbackEvent['kind']>('pick', 'reject', 'keep', 'download', 'favourite', 'unfavourite', 'variation'), by: fc.nat({ max: 5 }) }), { maxLength: 6 }) });

interface Action {
  user: number;
  prompt: number;
  events: { index: number; kind: FeedbackEvent['kind']; by: number }[];
}

let run = 0;
async function world(consents: Consent[], actions: Action[]): Promise<{ store: Store; dir: string; media: FileMediaStore }> {
  const dir = path.join(root, `w${run++}`);
  const store = openStore(path.join(dir, 'vitrine.db'));
  const media = new FileMediaStore(path.join(dir, 'generated'));
  consents.forEach((c, i) => {
    store.users.create({ id: `user-${i}`, name: `u${i}`, role: 'user', createdAt: '2026-01-01T00:00:00Z' }, 'x');
    if (c !== 'never') store.users.setFeedbackTerms(`user-${i}`, true, 't1', '2026-01-01T00:00:00Z');
    if (c === 'revoked' || c === 'reaccepted') store.users.setFeedbackTerms(`user-${i}`, false, 't1', '2026-01-02T00:00:00Z');
    if (c === 'reaccepted') store.users.setFeedbackTerms(`user-${i}`, true, 't1', '2026-01-03T00:00:00Z');
  });
  let n = 0;
  for (const [k, a] of actions.entries()) {
    const owner = `user-${a.user % consents.length}`;
    const imgs = await Promise.all([0, 1, 2, 3].map(() => tinyPng(n++)));
    for (const i of imgs) await media.put(i.sha, i.png);
    const g = gen(`gen-${k}`, owner, `imagine thing ${a.prompt}`, imgs.map((i) => i.sha));
    store.generations.create({ ...g, status: 'queued', images: [] });
    store.generations.finish(g.id, g.images, '2026-01-01T00:00:01Z', 1);
    for (const e of a.events) {
      // Most events are the owner's; some are someone else's look at it (an admin).
      const userId = e.by < 4 ? owner : `user-${e.by % consents.length}`;
      store.generations.addFeedback({ userId, generationId: g.id, index: e.index, kind: e.kind, reason: e.kind === 'reject' ? 'other' : null, at: '2026-01-01T00:00:02Z' });
    }
  }
  return { store, dir, media };
}

describe('feedback sets and consent', () => {
  it('never holds a pair of an account whose consent is not in force, nor one judged by someone else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(consentArb, { minLength: 1, maxLength: 4 }), fc.array(actionArb, { minLength: 1, maxLength: 8 }), async (consents, actions) => {
        const { store, dir, media } = await world(consents, actions);
        try {
          const allowed = new Set(consents.map((c, i) => (c === 'accepted' || c === 'reaccepted' ? pseudonym(`user-${i}`) : null)).filter(Boolean));
          let set;
          try {
            set = await createFeedbackSet({ store, images: media, dataDir: dir });
          } catch (e) {
            expect(String(e)).toContain('No preference pairs yet');
            return;
          }
          const pairs = readFileSync(path.join(set.path, 'pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
          for (const p of pairs) {
            expect(allowed.has(p.account), `pair of ${p.account}`).toBe(true);
            const g = store.generations.get(p.generation)!;
            expect(pseudonym(g.userId)).toBe(p.account);
            expect(existsSync(path.join(set.path, p.chosen))).toBe(true);
            expect(p.chosen).not.toBe(p.rejected);
          }
          for (const a of set.manifest.contributors) expect(allowed.has(a)).toBe(true);
          // No prompt is in both splits.
          const split = new Map<string, string>();
          for (const p of pairs) expect(split.get(p.prompt) ?? p.split).toBe((split.set(p.prompt, p.split), p.split));
          // Content-addressed: the same feedback gives the same set.
          const again = await createFeedbackSet({ store, images: media, dataDir: dir });
          expect(again.id).toBe(set.id);
          expect(again.created).toBe(false);
          // Restricted to one account (an experiment's own people): only its pairs, and only with its consent.
          try {
            const mine = await createFeedbackSet({ store, images: media, dataDir: dir, only: new Set(['user-0']) });
            expect(mine.manifest.contributors).toEqual([pseudonym('user-0')]);
            expect(allowed.has(pseudonym('user-0'))).toBe(true);
          } catch (e) {
            expect(String(e)).toContain('No preference pairs yet');
          }
        } finally {
          store.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a revocation leaves the account out of the next set and names the old set', async () => {
    const { store, dir, media } = await world(['accepted', 'accepted'], [
      { user: 0, prompt: 1, events: [{ index: 0, kind: 'pick', by: 0 }, { index: 1, kind: 'reject', by: 0 }] },
      { user: 1, prompt: 2, events: [{ index: 2, kind: 'pick', by: 0 }] },
    ]);
    try {
      const first = await createFeedbackSet({ store, images: media, dataDir: dir });
      expect(first.manifest.accounts).toBe(2);
      expect(feedbackWithdrawals(store, dir)).toEqual([]);
      store.users.setFeedbackTerms('user-0', false, 't1', '2026-02-01T00:00:00Z');
      expect(feedbackWithdrawals(store, dir)).toEqual([{ set: first.id, accounts: [pseudonym('user-0')], models: [] }]);
      const second = await createFeedbackSet({ store, images: media, dataDir: dir });
      expect(second.id).not.toBe(first.id);
      expect(second.manifest.contributors).toEqual([pseudonym('user-1')]);
      expect(readFileSync(path.join(second.path, 'pairs.jsonl'), 'utf8')).not.toContain(pseudonym('user-0'));
    } finally {
      store.close();
    }
  });

  it('a reward-ranked set derived from a set carries its contributors, so a revocation names it; "latest" is never it', async () => {
    const { store, dir, media } = await world(['accepted', 'accepted'], [
      { user: 0, prompt: 1, events: [{ index: 0, kind: 'pick', by: 0 }, { index: 1, kind: 'reject', by: 0 }] },
      { user: 1, prompt: 2, events: [{ index: 2, kind: 'pick', by: 0 }] },
    ]);
    try {
      const people = await createFeedbackSet({ store, images: media, dataDir: dir });
      const a = await tinyPng(9001);
      const b = await tinyPng(9002);
      const ranked = await writeSet(dir, [{ id: 'pair-r', prompt: 'imagine thing 1', chosen: `images/${a.sha}.png`, rejected: `images/${b.sha}.png`, split: 'train' }], new Map([[a.sha, a.png], [b.sha, b.png]]), {
        createdAt: '2099-01-01T00:00:00Z', imageSize: 8, heldOut: 0, accounts: people.manifest.accounts, contributors: people.manifest.contributors,
        models: ['model-test'], generations: 1, rule: 'test', derived: { kind: 'reward-ranked', feedbackSet: people.id, reward: 'reward-test', candidates: 8, groups: 2 },
      });
      expect(resolveFeedbackSet(dir, 'latest').id).toBe(people.id);
      expect(resolveFeedbackSet(dir, ranked.id).id).toBe(ranked.id);
      store.users.setFeedbackTerms('user-1', false, 't1', '2026-02-01T00:00:00Z');
      const w = feedbackWithdrawals(store, dir);
      expect(w.map((x) => x.set).sort()).toEqual([people.id, ranked.id].sort());
      // (the models named come from their lineage's feedbackSet or rankedSet: test/model.test.ts, simulate)
      for (const x of w) expect(x).toEqual({ set: x.set, accounts: [pseudonym('user-1')], models: [] });
    } finally {
      store.close();
    }
  });
});

describe('reward-ranked pairs', () => {
  it('rank by what the accounts agree on: each account standardised, so no scale dominates', () => {
    // Account 1 scores on a scale 1000× larger; account 2 has no opinion (all equal).
    const c = consensus([[1, 2, 3, 4], [4000, 3000, 2000, 1000], [5, 5, 5, 5]]);
    for (const v of c) expect(v).toBeCloseTo(0, 10);
    const d = consensus([[0, 1, 2, 3], [0, 10, 20, 29]]);
    expect(d.map((_, i) => i).sort((x, y) => d[y]! - d[x]!)).toEqual([3, 2, 1, 0]);
    fc.assert(fc.property(fc.array(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 6 }), fc.double({ min: 0.01, max: 100, noNaN: true }), (scores, k) => {
      // Rescaling one account's scores changes nothing.
      const a = consensus(scores);
      const b = consensus([scores[0]!.map((v) => v * k), ...scores.slice(1)]);
      a.forEach((v, i) => expect(b[i]!).toBeCloseTo(v, 6));
    }));
  });

  it('a ranked pair is the best and the worst candidate, and only when the consensus prefers one at the recorded precision', () => {
    expect(bestAndWorst([0.2, -1, 0.9, 0.1])).toEqual({ best: 2, worst: 1, scores: [0.9, -1] });
    // Two accounts of equal weight with opposite opinions of two candidates: a tie, up to rounding.
    expect(bestAndWorst(consensus([[0.1, 0.7], [3, -2]]))).toBeNull();
    expect(bestAndWorst([1e-17, -1e-17])).toBeNull();
    expect(bestAndWorst([0.5])).toBeNull();
    fc.assert(fc.property(fc.array(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 6 }), (scores) => {
      const r = bestAndWorst(consensus(scores));
      if (r) expect(r.scores[0]).toBeGreaterThan(r.scores[1]);
    }));
  });

  it('an account whose taste the reward model cannot read (held-out accuracy at chance) has no say in the ranking', () => {
    const w = accountWeights(['a', 'b', 'c', 'd'], { a: { heldOutAccuracy: 0.8 }, b: { heldOutAccuracy: 0.5 }, c: { heldOutAccuracy: 0.42 }, d: { heldOutAccuracy: null } });
    expect(w.map((x) => Number(x.toFixed(6)))).toEqual([0.3, 0, 0, 0]);
    // b's opposite opinion changes nothing once it weighs 0.
    const alone = consensus([[1, 2, 3]]);
    consensus([[1, 2, 3], [3, 2, 1]], [0.3, 0]).forEach((v, i) => expect(v).toBeCloseTo(alone[i]!, 12));
    // No per-account figures, or none above chance: everyone counts the same.
    expect(accountWeights(['a', 'b'], undefined)).toEqual([1, 1]);
    expect(accountWeights(['a', 'b'], { a: { heldOutAccuracy: 0.4 }, b: { heldOutAccuracy: 0.5 } })).toEqual([1, 1]);
    expect(() => consensus([[1, 2]], [0])).toThrow(/not all zero/);
    expect(() => consensus([[1, 2], [2, 1]], [1])).toThrow(/one non-negative number per account/);
  });
});
