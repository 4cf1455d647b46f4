/**
 * The privacy guarantee, over randomly generated platforms: whatever the mix
 * of accounts, posts, events, licences and copies, no post that is
 * non-public, by a private account, by a minor or an author of unknown age,
 * objected, deleted, reserved or AI-made — nor any copy of an original that
 * may not be used — is ever eligible. The oracle below is written
 * independently of the rules, in the plainest terms.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openStore, type Store } from '../store/index.ts';
import { decide } from './index.ts';
import { loadPolicy } from './policy.ts';
import type { Account, LedgerEvent, LicenceGrant, MediaInfo, Post } from '../core/types.ts';
import type { Visibility } from '../core/dump.ts';

const NOW = '2026-01-01T00:00:00.000Z';
const policy = loadPolicy();
const AI = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

const day = (n: number) => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString();

// Pictures: each has a random 256-bit hash; copies use the same hash with a few bits flipped.
const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a).toString('hex'));
function flip(hash: string, bits: number[]): string {
  const b = Buffer.from(hash, 'hex');
  for (const i of bits) b[(i >> 3) % 32]! ^= 1 << (i & 7);
  return b.toString('hex');
}

/** `arb` one time in `n`, null otherwise (fc.option's freq is the other way round). */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number) => fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

const accountArb = fc.record({
  privateAtCreation: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  birth: fc.constantFrom('adult', 'adult', 'adult', 'adult', 'adult', 'minor', 'unknown', 'turns18'),
  privacyToggles: rarely(fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 3 }), 4).map((x) => x ?? []),
  objection: rarely(fc.record({ at: fc.integer({ min: 0, max: 800 }), withdrawnAfter: rarely(fc.integer({ min: 1, max: 200 }), 2) }), 4),
  deletedAt: rarely(fc.integer({ min: 0, max: 800 }), 12),
  ageRecord: rarely(fc.constantFrom('adult', 'minor'), 4),
  grant: fc.boolean(),
});

const postArb = fc.record({
  account: fc.nat(),
  day: fc.integer({ min: 0, max: 600 }),
  visibility: fc.constantFrom<Visibility>('public', 'public', 'public', 'public', 'public', 'public', 'public', 'public', 'public', 'unlisted', 'followers', 'direct'),
  visibilityChange: rarely(fc.record({ after: fc.integer({ min: 1, max: 200 }), to: fc.constantFrom<Visibility>('public', 'followers', 'direct') }), 4),
  licence: fc.constantFrom('Apache-2.0', 'Apache-2.0', 'CC-BY-4.0', 'CC-BY-4.0', null, 'LicenseRef-All-Rights-Reserved'),
  /** Most posts show their own picture; some copy another post's. */
  copyOf: rarely(fc.nat(), 3),
  flips: fc.array(fc.nat({ max: 255 }), { maxLength: 12 }),
  dataMining: fc.constantFrom(null, null, null, null, null, 'DMI-ALLOWED', 'DMI-PROHIBITED-AIMLTRAINING', 'DMI-UNSPECIFIED'),
  ai: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  deletedAfter: rarely(fc.integer({ min: 1, max: 300 }), 12),
  objectionAfter: rarely(fc.integer({ min: 1, max: 300 }), 10),
});

const platformArb = fc.record({
  accounts: fc.array(accountArb, { minLength: 1, maxLength: 6 }),
  posts: fc.array(postArb, { minLength: 3, maxLength: 30, size: 'medium' }),
  pictures: fc.array(hex64, { minLength: 30, maxLength: 30 }),
});

type Platform = typeof platformArb extends fc.Arbitrary<infer T> ? T : never;

function build(p: Platform) {
  const accounts: Account[] = [];
  const events: LedgerEvent[] = [];
  const grants: LicenceGrant[] = [];
  let e = 0;
  const birthOf = (kind: string) => (kind === 'adult' ? '1980-01-01' : kind === 'minor' ? '2012-01-01' : kind === 'turns18' ? '2006-09-01' : null);
  p.accounts.forEach((a, i) => {
    const id = `a${i}`;
    accounts.push({ id, source: 's', handle: id, displayName: null, language: 'en', createdAt: day(-100), birthDate: birthOf(a.birth), privateAtCreation: a.privateAtCreation });
    let priv = a.privateAtCreation;
    for (const t of [...a.privacyToggles].sort((x, y) => x - y)) {
      priv = !priv;
      events.push({ id: `e${e++}`, source: 's', type: 'account.privacy', at: day(t), accountId: id, private: priv });
    }
    if (a.objection) {
      events.push({ id: `e${e++}`, source: 's', type: 'account.objection', at: day(a.objection.at), accountId: id });
      if (a.objection.withdrawnAfter) events.push({ id: `e${e++}`, source: 's', type: 'account.objection-withdrawn', at: day(a.objection.at + a.objection.withdrawnAfter), accountId: id });
    }
    if (a.deletedAt !== null) events.push({ id: `e${e++}`, source: 's', type: 'account.deleted', at: day(a.deletedAt), accountId: id });
    if (a.ageRecord) events.push({ id: `e${e++}`, source: 's', type: 'account.age', at: day(650), accountId: id, birthDate: birthOf(a.ageRecord)! });
    if (a.grant) grants.push({ id: `g${i}`, licence: 'LicenseRef-deal', accountId: id, postId: null, rightsHolder: null, grantedAt: day(10), note: null, origin: 'cli' });
  });
  const media = new Map<string, MediaInfo>();
  const posts: (Post & { picture: number })[] = p.posts.map((q, i) => {
    const id = `p${String(i).padStart(3, '0')}`;
    const picture = q.copyOf === null ? i : q.copyOf % p.posts.length;
    const phash = flip(p.pictures[picture]!, q.flips);
    const sha = Buffer.from(`${id}`.padEnd(32, '.')).toString('hex');
    media.set(sha, {
      sha256: sha, pixelSha256: `${sha}px`, format: 'png', width: 64, height: 64, bytes: 100, phash, phashQuality: 100,
      dataMining: q.dataMining, digitalSourceType: q.ai ? AI : null, c2paTraining: null, hasGps: false, thumb: null,
    });
    if (q.visibilityChange) events.push({ id: `e${e++}`, source: 's', type: 'post.visibility', at: day(q.day + q.visibilityChange.after), postId: id, visibility: q.visibilityChange.to });
    if (q.deletedAfter) events.push({ id: `e${e++}`, source: 's', type: 'post.deleted', at: day(q.day + q.deletedAfter), postId: id });
    if (q.objectionAfter) events.push({ id: `e${e++}`, source: 's', type: 'post.objection', at: day(q.day + q.objectionAfter), postId: id });
    return {
      id, source: 's', accountId: `a${q.account % p.accounts.length}`, createdAt: day(q.day), visibility: q.visibility, caption: 'c', language: 'en',
      captions: {}, altText: null, licence: q.licence, rightsHolder: null, attribution: null, mediaSha256: sha, mediaProblem: null, picture,
    };
  });
  return { accounts, events, grants, media, posts };
}

function load(store: Store, b: ReturnType<typeof build>) {
  store.transaction(() => {
    for (const a of b.accounts) store.corpus.putAccount(a, a.id);
    for (const m of b.media.values()) store.corpus.putMedia(m);
    for (const { picture: _, ...p } of b.posts) store.corpus.putPost(p, p.id, NOW);
    for (const e of b.events) store.corpus.putEvent(e);
    for (const g of b.grants) store.corpus.putGrant(g);
    store.runs.bumpLedger();
  });
}

/** The oracle: may this post, on its own, be used? Plain restatement of the policy, independent of src/decide/rules. */
function forbiddenOwn(b: ReturnType<typeof build>, post: Post): boolean {
  const evs = b.events.filter((e) => e.at <= NOW);
  const acc = b.accounts.find((a) => a.id === post.accountId)!;
  const accEvents = evs.filter((e) => 'accountId' in e && e.accountId === acc.id).sort((x, y) => (x.at < y.at ? -1 : 1));
  const postEvents = evs.filter((e) => 'postId' in e && e.postId === post.id).sort((x, y) => (x.at < y.at ? -1 : 1));
  const m = b.media.get(post.mediaSha256!)!;
  const privacyAt = (t: string) => {
    let p = acc.privateAtCreation;
    for (const e of accEvents) if (e.type === 'account.privacy' && e.at <= t) p = e.private;
    return p;
  };
  let vis = post.visibility;
  for (const e of postEvents) if (e.type === 'post.visibility') vis = e.visibility;
  let birth = acc.birthDate;
  for (const e of accEvents) if (e.type === 'account.age') birth = e.birthDate;
  let objected = postEvents.some((e) => e.type === 'post.objection');
  let accountObjection = false;
  for (const e of accEvents) {
    if (e.type === 'account.objection') accountObjection = true;
    if (e.type === 'account.objection-withdrawn') accountObjection = false;
  }
  objected ||= accountObjection;
  const deleted = postEvents.some((e) => e.type === 'post.deleted') || accEvents.some((e) => e.type === 'account.deleted');
  const minorOrUnknown = birth === null || new Date(post.createdAt) < new Date(`${Number(birth.slice(0, 4)) + 18}${birth.slice(4)}T00:00:00Z`);
  const granted = b.grants.some((g) => g.accountId === acc.id && g.grantedAt <= NOW);
  const licensed = granted || (post.licence !== null && ['Apache-2.0', 'CC-BY-4.0'].includes(post.licence));
  return (
    vis !== 'public' || privacyAt(NOW) || privacyAt(post.createdAt) || minorOrUnknown || objected || deleted ||
    (m.dataMining?.startsWith('DMI-PROHIBITED') ?? false) || m.digitalSourceType === AI || !licensed
  );
}

describe('decide, over random platforms', () => {
  it('never lets a forbidden post or a copy of a forbidden original through; one primary reason each; idempotent', () => {
    fc.assert(
      fc.property(platformArb, (p) => {
        const b = build(p);
        const store = openStore(':memory:');
        try {
          load(store, b);
          const first = decide(store, policy, { now: NOW });
          const byPicture = new Map<number, (typeof b.posts)[number][]>();
          for (const post of b.posts) (byPicture.get(post.picture) ?? byPicture.set(post.picture, []).get(post.picture)!).push(post);
          for (const [, members] of byPicture) {
            const original = [...members].sort((x, y) => (x.createdAt < y.createdAt || (x.createdAt === y.createdAt && x.id < y.id) ? -1 : 1))[0]!;
            let eligibleInCluster = 0;
            for (const post of members) {
              const d = store.decisions.get(post.id)!;
              if (d.eligible) {
                eligibleInCluster += 1;
                expect(forbiddenOwn(b, post), `post ${post.id} is forbidden but eligible`).toBe(false);
                expect(forbiddenOwn(b, original), `post ${post.id} copies forbidden ${original.id} but is eligible`).toBe(false);
                expect(d.reason).toBeNull();
                expect(d.reasons).toEqual([]);
              } else {
                expect(d.reason).not.toBeNull();
                expect(d.reasons[0]!.reason).toBe(d.reason);
              }
            }
            expect(eligibleInCluster).toBeLessThanOrEqual(1);
            // And the converse for originals: a permitted original is used.
            if (!forbiddenOwn(b, original)) expect(store.decisions.get(original.id)!.eligible).toBe(true);
          }
          const second = decide(store, policy, { now: NOW });
          expect(second.changed).toBe(0);
          expect(second.counts).toEqual(first.counts);
        } finally {
          store.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
