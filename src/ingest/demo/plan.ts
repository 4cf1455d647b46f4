/**
 * The demo platform's history, decided before anything is written: who the
 * accounts are, when they post, which posts are re-posts of whose photo, and
 * every change that happens later (the events). Pure and deterministic: the
 * same (accounts, posts, seed) always gives the same plan.
 *
 * Rule cases are planted deterministically first (each case gets an exact
 * number of accounts or posts, at least one or two even at tiny scale), then
 * everything else is filled in at random.
 *
 * Memory: a few hundred bytes per post and per account; captions and pixels
 * are not held here, they are made from (seed, post index) when written.
 */
import type { DumpEvent, Visibility } from '../../core/dump.ts';
import { ARTWORK_SETS, type ArtworkSet } from './emoji.ts';
import { LANGUAGE_WEIGHTS, LANG_PACKS, asciiSlug, type Lang } from './languages.ts';
import { randomStyle, type AccountStyle, type DmiClass, type ImageFormat } from './picture.ts';
import { Rng } from '../../core/prng.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const YEAR_DAYS = 365.25;

/** Timeline of every demo platform: accounts open during the first 240 days, posts run to day 540. */
export const BASE_TIME = Date.UTC(2024, 0, 1);
const ACCOUNT_SPAN = 240 * DAY;
export const POST_END = BASE_TIME + 540 * DAY;
/** Later than every post; events happen up to here. */
export const EVENT_END = POST_END + 30 * DAY;
export const EXPORTED_AT = EVENT_END + DAY;

/**
 * At most one consent-related role per account, so each case is clean to test.
 * `plain`: adult with a known birth date, public, never objects.
 */
export type AccountRole =
  | 'plain'
  | 'private'
  | 'private-then-public'
  | 'private-period'
  | 'minor'
  | 'turns-adult'
  | 'age-unknown'
  | 'age-later'
  | 'age-later-minor'
  | 'objection'
  | 'objection-withdrawn'
  | 'deleted';

/** Role, share of accounts, posts the account needs for the role to make sense. */
const ROLE_SPECS: readonly (readonly [Exclude<AccountRole, 'plain'>, number, number])[] = [
  // Most important first: when accounts are few, the last ones may get none.
  ['objection', 0.08, 2],
  ['private', 0.03, 1],
  ['minor', 0.04, 1],
  ['age-unknown', 0.08, 1],
  ['deleted', 0.02, 1],
  ['private-period', 0.03, 3],
  ['objection-withdrawn', 0.025, 3],
  ['age-later', 0.03, 2],
  ['private-then-public', 0.02, 2],
  ['turns-adult', 0.02, 2],
  ['age-later-minor', 0.015, 1],
];

export interface PlanAccount {
  index: number;
  id: string;
  handle: string;
  displayName: string;
  /** Latin-letter first and last names, for e-mail addresses. */
  latinName: string;
  language: Lang;
  createdAt: number;
  /** Birth date at creation (YYYY-MM-DD), null when unknown. */
  birthDate: string | null;
  private: boolean;
  mainSet: ArtworkSet;
  /** Share of posts made with another artwork set. */
  mixRate: number;
  style: AccountStyle;
  role: AccountRole;
  /** Indices of the account's posts, oldest first. */
  posts: number[];
  /** account.privacy false (private-then-public). */
  publicAt: number | null;
  /** account.privacy true then false (private-period). */
  privateFrom: number | null;
  privateUntil: number | null;
  /** account.age: when, and the birth date it supplies. */
  ageAt: number | null;
  ageBirthDate: string | null;
  objectedAt: number | null;
  withdrawnAt: number | null;
  deletedAt: number | null;
}

export type LicenceChoice = 'artwork' | 'arr' | 'cc0';

export const PII_EMAIL = 1;
export const PII_PHONE = 2;
export const PII_MENTION = 4;
export const PII_URL = 8;

export interface PlanPost {
  index: number;
  id: string;
  account: number;
  createdAt: number;
  visibility: Visibility;
  /** Index of the original post for a re-post, else null. */
  original: number | null;
  /** Artwork set and catalogue indices of the emoji shown (copied from the original for re-posts). */
  set: ArtworkSet;
  emoji: number[];
  /** The canary token, for canary originals. */
  canary: string | null;
  /** Re-posts: the caption quotes the original's. */
  quote: boolean;
  /** Re-posts: the copy keeps the original's XMP. */
  keepXmp: boolean;
  format: ImageFormat;
  licence: LicenceChoice;
  dmi: DmiClass | null;
  ai: boolean;
  gps: boolean;
  /** PII_* bits: contact details added to the caption. */
  pii: number;
  alt: boolean;
  translated: boolean;
  visibilityChange: { at: number; to: Visibility } | null;
  deletedAt: number | null;
  objectedAt: number | null;
}

export interface Plan {
  seed: number;
  accounts: PlanAccount[];
  posts: PlanPost[];
  /** Emoji catalogue size the plan was made for. */
  catalogueSize: number;
}

export function padId(prefix: string, n: number, total: number): string {
  return prefix + String(n).padStart(Math.max(7, String(total).length), '0');
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Start (UTC midnight) of the day on which someone born on `birthDate` turns `years`. */
export function birthday(birthDate: string, years: number): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  // Date.UTC rolls 29 February over to 1 March in non-leap years.
  return Date.UTC(y + years, m - 1, d);
}

/** Birth date whose 18th birthday starts on the day containing `ms` (never 29 February). */
function bornEighteenYearsBefore(ms: number): string {
  const day = new Date(Math.floor(ms / DAY) * DAY);
  let y = day.getUTCFullYear() - 18;
  let m = day.getUTCMonth() + 1;
  let d = day.getUTCDate();
  if (m === 2 && d === 29) {
    m = 3;
    d = 1;
  }
  if (y < 1900) y = 1900;
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function adultBirthDate(rng: Rng, createdAt: number): string {
  return isoDate(createdAt - Math.floor(rng.real(18.3, 66) * YEAR_DAYS) * DAY);
}

/** A random instant strictly between a and b (ms), at whole seconds when there is room. */
function between(rng: Rng, a: number, b: number): number {
  const gap = Math.floor((b - a) / 1000);
  if (gap >= 2) return a + rng.int(1, gap - 1) * 1000;
  return a + Math.floor((b - a) / 2);
}

function countFor(rate: number, of: number, min: number): number {
  return Math.min(of, Math.max(min, Math.round(rate * of)));
}

export function buildPlan(opts: { accounts: number; posts: number; seed: number }, catalogueSize: number): Plan {
  const { seed } = opts;
  const accounts = makeAccounts(opts.accounts, seed);
  const counts = allocatePosts(accounts, opts.posts, seed);
  assignRoles(accounts, counts, seed);
  const times = schedule(accounts, counts, seed);
  const posts = makePosts(accounts, times, opts.posts);
  plantCanaries(accounts, posts, seed);
  assignVisibility(posts, seed);
  chooseReposts(posts, seed);
  chooseArtwork(accounts, posts, seed, catalogueSize);
  plantPostCases(posts, seed);
  plantPostEvents(accounts, posts, seed);
  return { seed, accounts, posts, catalogueSize };
}

// ------------------------------------------------------------------ accounts

function makeAccounts(n: number, seed: number): PlanAccount[] {
  const rng = new Rng(seed, 'accounts');
  const taken = new Set<string>();
  const out: PlanAccount[] = [];
  for (let i = 0; i < n; i++) {
    const language = rng.weighted(LANGUAGE_WEIGHTS);
    const names = LANG_PACKS[language].names;
    const [firstNative, firstLatin] = rng.pick(names.first);
    const [lastNative, lastLatin] = rng.pick(names.last);
    const displayName = names.display(firstNative, lastNative);
    const sep = rng.pick(['.', '_', '']);
    const base = `${asciiSlug(firstLatin)}${sep}${asciiSlug(lastLatin)}`.slice(0, 24);
    let handle = rng.chance(0.5) ? `${base}${rng.int(1, 99)}` : base;
    while (taken.has(handle)) handle = `${base}${rng.int(1, 9999)}`;
    taken.add(handle);
    out.push({
      index: i,
      id: padId('a', i + 1, n),
      handle,
      displayName,
      latinName: `${asciiSlug(firstLatin)}.${asciiSlug(lastLatin)}`,
      language,
      createdAt: BASE_TIME + rng.int(0, ACCOUNT_SPAN / 1000) * 1000,
      birthDate: null,
      private: false,
      mainSet: rng.weighted<ArtworkSet>([
        ['google', 47],
        ['twitter', 45],
        ['facebook', 8],
      ]),
      mixRate: rng.chance(0.3) ? 0.25 : 0.04,
      style: randomStyle(rng),
      role: 'plain',
      posts: [],
      publicAt: null,
      privateFrom: null,
      privateUntil: null,
      ageAt: null,
      ageBirthDate: null,
      objectedAt: null,
      withdrawnAt: null,
      deletedAt: null,
    });
  }
  return out;
}

/** Posts per account: log-normal activity, exact total by largest remainder. */
function allocatePosts(accounts: PlanAccount[], total: number, seed: number): number[] {
  const rng = new Rng(seed, 'activity');
  const weights = accounts.map(() => Math.exp(0.9 * rng.normal()));
  const sum = weights.reduce((a, b) => a + b, 0);
  const quotas = weights.map((w) => (total * w) / sum);
  const counts = quotas.map((q) => Math.floor(q));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => [q - Math.floor(q), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) {
    const i = (order[k] as readonly [number, number])[1];
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

/**
 * Gives each role its share of accounts: one account per role first, then the
 * rest of each share, keeping at least 40 % of accounts plain (canaries and
 * their re-posters come from those).
 */
function assignRoles(accounts: PlanAccount[], counts: number[], seed: number): void {
  const rng = new Rng(seed, 'roles');
  const order = rng.shuffle(accounts.map((a) => a.index));
  let budget = Math.max(0, accounts.length - Math.max(3, Math.ceil(accounts.length * 0.4)));
  const give = (role: AccountRole, minPosts: number, want: number): void => {
    for (const i of order) {
      if (want === 0 || budget === 0) return;
      const acc = accounts[i] as PlanAccount;
      if (acc.role !== 'plain' || (counts[i] as number) < minPosts) continue;
      acc.role = role;
      want--;
      budget--;
    }
  };
  for (const [role, , minPosts] of ROLE_SPECS) give(role, minPosts, 1);
  for (const [role, rate, minPosts] of ROLE_SPECS) give(role, minPosts, Math.max(0, Math.round(rate * accounts.length) - 1));
}

/** Post times per account, and the times of each account's role events. */
function schedule(accounts: PlanAccount[], counts: number[], seed: number): number[][] {
  const out: number[][] = [];
  for (const acc of accounts) {
    const rng = new Rng(seed, 'schedule', acc.index);
    const n = counts[acc.index] as number;
    const start = acc.createdAt + HOUR;
    const t: number[] = [];
    for (let k = 0; k < n; k++) t.push(start + rng.int(0, (POST_END - start) / 1000) * 1000);
    t.sort((a, b) => a - b);
    // A minute at least between two posts of one account leaves room for events in between.
    for (let k = 1; k < n; k++) if ((t[k] as number) < (t[k - 1] as number) + 60_000) t[k] = (t[k - 1] as number) + 60_000;
    out.push(t);
    decideAccountEvents(acc, t, rng);
  }
  return out;
}

function decideAccountEvents(acc: PlanAccount, t: number[], rng: Rng): void {
  const n = t.length;
  const at = (k: number): number => t[k] as number;
  const last = n > 0 ? at(n - 1) : acc.createdAt;
  /** A gap index in the middle half of the account's posts (between post k and k+1). */
  const middleGap = (): number => {
    const gaps = n - 1;
    const lo = Math.floor(gaps / 4);
    const hi = Math.max(lo, Math.ceil((3 * gaps) / 4) - 1);
    return Math.min(gaps - 1, rng.int(lo, hi));
  };
  const twoGaps = (): [number, number] => {
    const i = rng.int(0, Math.max(0, n - 3));
    const j = rng.int(i + 1, n - 2);
    return [i, j];
  };
  const minorBirthDate = (): string => {
    // Under 18 at the last post, at least 13 when the account opened.
    const lo = Math.floor(last / DAY) + 1;
    const hi = Math.max(lo, Math.floor((acc.createdAt + 5 * 365 * DAY) / DAY) - 1);
    return bornEighteenYearsBefore(rng.int(lo, hi) * DAY);
  };

  acc.birthDate = adultBirthDate(rng, acc.createdAt);
  switch (acc.role) {
    case 'plain':
      break;
    case 'private':
      acc.private = true;
      break;
    case 'private-then-public': {
      acc.private = true;
      const k = middleGap();
      acc.publicAt = between(rng, at(k), at(k + 1));
      break;
    }
    case 'private-period': {
      const [i, j] = twoGaps();
      acc.privateFrom = between(rng, at(i), at(i + 1));
      acc.privateUntil = between(rng, at(j), at(j + 1));
      break;
    }
    case 'minor':
      acc.birthDate = minorBirthDate();
      break;
    case 'turns-adult': {
      // The 18th birthday falls between two posts on different days, near the middle.
      const gaps: number[] = [];
      for (let k = 0; k < n - 1; k++) if (Math.floor(at(k + 1) / DAY) > Math.floor(at(k) / DAY)) gaps.push(k);
      if (gaps.length === 0) {
        acc.role = 'minor';
        acc.birthDate = minorBirthDate();
        break;
      }
      const k = gaps[Math.floor(gaps.length / 2)] as number;
      const lo = Math.floor(at(k) / DAY) + 1;
      const hi = Math.floor(at(k + 1) / DAY);
      let day = rng.int(lo, hi);
      const dd = new Date(day * DAY);
      if (dd.getUTCMonth() === 1 && dd.getUTCDate() === 29) day = day === hi ? day - 1 : day + 1;
      if (day < lo) {
        acc.role = 'minor';
        acc.birthDate = minorBirthDate();
        break;
      }
      acc.birthDate = bornEighteenYearsBefore(day * DAY);
      break;
    }
    case 'age-unknown':
      acc.birthDate = null;
      break;
    case 'age-later': {
      acc.ageBirthDate = acc.birthDate;
      acc.birthDate = null;
      const k = middleGap();
      acc.ageAt = between(rng, at(k), at(k + 1));
      break;
    }
    case 'age-later-minor': {
      acc.birthDate = null;
      acc.ageBirthDate = minorBirthDate();
      acc.ageAt = n >= 2 ? between(rng, at(0), at(1)) : last + rng.int(1, 20 * 24) * HOUR;
      break;
    }
    case 'objection': {
      const k = middleGap();
      acc.objectedAt = between(rng, at(k), at(k + 1));
      break;
    }
    case 'objection-withdrawn': {
      const [i, j] = twoGaps();
      acc.objectedAt = between(rng, at(i), at(i + 1));
      acc.withdrawnAt = between(rng, at(j), at(j + 1));
      break;
    }
    case 'deleted':
      acc.deletedAt = last + rng.int(24, 28 * 24) * HOUR;
      break;
  }
}

// ------------------------------------------------------------------ posts

function makePosts(accounts: PlanAccount[], times: number[][], total: number): PlanPost[] {
  const slots: [number, number, number][] = [];
  times.forEach((t, a) => t.forEach((ms, k) => slots.push([ms, a, k])));
  slots.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  return slots.map(([ms, a], index) => {
    (accounts[a] as PlanAccount).posts.push(index);
    return {
      index,
      id: padId('p', index + 1, total),
      account: a,
      createdAt: ms,
      visibility: 'public',
      original: null,
      set: 'google',
      emoji: [],
      canary: null,
      quote: false,
      keepXmp: false,
      format: 'jpeg',
      licence: 'artwork',
      dmi: null,
      ai: false,
      gps: false,
      pii: 0,
      alt: false,
      translated: false,
      visibilityChange: null,
      deletedAt: null,
      objectedAt: null,
    };
  });
}

/** A public copy of a canary. */
export function isCanaryRepost(posts: readonly PlanPost[], p: PlanPost): boolean {
  return p.original !== null && (posts[p.original] as PlanPost).canary !== null;
}

function plantCanaries(accounts: PlanAccount[], posts: PlanPost[], seed: number): void {
  const rng = new Rng(seed, 'canaries');
  const want = Math.max(5, Math.floor(posts.length / 2000));
  const plain = (p: PlanPost): boolean => (accounts[p.account] as PlanAccount).role === 'plain';
  const candidates = rng.shuffle(posts.filter((p) => plain(p) && p.index < posts.length * 0.75).map((p) => p.index));
  const usedAccounts = new Set<number>();
  const chosen: PlanPost[] = [];
  const tokens = new Set<string>();
  for (const pass of [0, 1]) {
    for (const i of candidates) {
      if (chosen.length >= want) break;
      const p = posts[i] as PlanPost;
      if (p.canary !== null || (pass === 0 && usedAccounts.has(p.account))) continue;
      let token = `canary-${rng.hex(10)}`;
      while (tokens.has(token)) token = `canary-${rng.hex(10)}`;
      tokens.add(token);
      p.canary = token;
      p.visibility = rng.chance(0.6) ? 'followers' : 'direct';
      usedAccounts.add(p.account);
      chosen.push(p);
    }
  }
  // About half of the canaries get re-posted publicly by someone else, once or twice.
  const reposted = chosen.slice(0, Math.ceil(chosen.length / 2));
  let first = true;
  for (const c of reposted) {
    const later = posts.filter(
      (p) =>
        p.index > c.index &&
        p.createdAt > c.createdAt &&
        p.account !== c.account &&
        plain(p) &&
        p.canary === null &&
        p.original === null,
    );
    const copies = Math.min(later.length, rng.int(1, 2));
    for (let k = 0; k < copies; k++) {
      const p = rng.pick(later.filter((q) => q.original === null));
      p.original = c.index;
      p.visibility = 'public';
      // The first copy always quotes the caption (token included); the others sometimes.
      p.quote = first || rng.chance(0.4);
      first = false;
    }
  }
}

function assignVisibility(posts: PlanPost[], seed: number): void {
  const rng = new Rng(seed, 'visibility');
  const pool = rng.shuffle(posts.filter((p) => p.canary === null && !isCanaryRepost(posts, p)));
  let k = 0;
  for (const [vis, rate] of [
    ['unlisted', 0.08],
    ['followers', 0.12],
    ['direct', 0.05],
  ] as const) {
    const n = countFor(rate, pool.length, 2);
    for (let end = Math.min(pool.length, k + n); k < end; k++) (pool[k] as PlanPost).visibility = vis;
  }
}

const isPrivateVisibility = (v: Visibility): boolean => v === 'followers' || v === 'direct';

function chooseReposts(posts: PlanPost[], seed: number): void {
  const rng = new Rng(seed, 'reposts');
  const already = posts.filter((p) => isCanaryRepost(posts, p)).length;
  const want = Math.max(4, Math.round(posts.length * 0.1)) - already;
  const pool = rng.shuffle(posts.filter((p) => p.index > 0 && p.canary === null && p.original === null).map((p) => p.index));
  const slots = new Set(pool.slice(0, Math.max(0, want)));
  // Some re-posts must copy a followers-only or direct photo into public view.
  let needPrivate = Math.max(3, Math.round(posts.length * 0.004));
  const originals: number[] = [];
  const privateOriginals: number[] = [];
  for (const p of posts) {
    if (p.canary !== null || p.original !== null) continue;
    if (slots.has(p.index)) {
      const wantPrivate = needPrivate > 0 && privateOriginals.length > 0 && p.visibility !== 'followers' && p.visibility !== 'direct';
      const from = wantPrivate ? privateOriginals : originals;
      let found: PlanPost | null = null;
      for (let attempt = 0; attempt < 8 && from.length > 0; attempt++) {
        const o = posts[rng.pick(from)] as PlanPost;
        if (o.account !== p.account && o.createdAt < p.createdAt) {
          found = o;
          break;
        }
      }
      if (found) {
        p.original = found.index;
        p.quote = rng.chance(0.25);
        p.keepXmp = rng.chance(0.5);
        if (wantPrivate) needPrivate--;
        continue;
      }
    }
    originals.push(p.index);
    if (isPrivateVisibility(p.visibility)) privateOriginals.push(p.index);
  }
}

function chooseArtwork(accounts: PlanAccount[], posts: PlanPost[], seed: number, catalogueSize: number): void {
  const rng = new Rng(seed, 'artwork');
  const cycles = new Map<ArtworkSet, { order: number[]; next: number }>();
  for (const set of ARTWORK_SETS) {
    const order = new Rng(seed, 'emoji-cycle', set).shuffle(Array.from({ length: catalogueSize }, (_, i) => i));
    cycles.set(set, { order, next: 0 });
  }
  const draw = (set: ArtworkSet): number => {
    const c = cycles.get(set) as { order: number[]; next: number };
    const e = c.order[c.next % c.order.length] as number;
    c.next++;
    return e;
  };
  const originals = posts.filter((p) => p.original === null);
  for (const p of originals) {
    const acc = accounts[p.account] as PlanAccount;
    p.set = rng.chance(acc.mixRate)
      ? rng.weighted(ARTWORK_SETS.filter((s) => s !== acc.mainSet).map((s) => [s, s === 'facebook' ? 1 : 3] as const))
      : acc.mainSet;
    p.emoji = [draw(p.set)];
    if (p.canary === null && rng.chance(0.15)) p.emoji.push(draw(p.set));
  }
  // Small platforms still get a few pictures of every set (every emoji exists in all three).
  for (const set of ARTWORK_SETS) {
    let missing = Math.min(2, originals.length) - originals.filter((p) => p.set === set).length;
    for (const p of rng.shuffle([...originals])) {
      if (missing <= 0) break;
      if (p.canary !== null || originals.filter((q) => q.set === p.set).length <= 2) continue;
      p.set = set;
      missing--;
    }
  }
  for (const p of posts) {
    if (p.original === null) continue;
    const o = posts[p.original] as PlanPost;
    p.set = o.set;
    p.emoji = o.emoji;
  }
}

function plantPostCases(posts: PlanPost[], seed: number): void {
  const rng = new Rng(seed, 'post-cases');
  const originals = posts.filter((p) => p.original === null && p.canary === null);
  /** Marks `n` posts of the pool (shuffled) that pass `ok`, returning how many were marked. */
  const mark = (pool: PlanPost[], n: number, ok: (p: PlanPost) => boolean, apply: (p: PlanPost) => void): void => {
    for (const p of rng.shuffle([...pool])) {
      if (n === 0) return;
      if (!ok(p)) continue;
      apply(p);
      n--;
    }
  };
  const N = originals.length;
  mark(originals, countFor(0.006, N, 2), (p) => p.licence === 'artwork', (p) => (p.licence = 'arr'));
  mark(originals, countFor(0.006, N, 2), (p) => p.licence === 'artwork', (p) => (p.licence = 'cc0'));
  mark(originals, countFor(0.015, N, 3), (p) => p.dmi === null, (p) => (p.dmi = 'prohibited'));
  mark(originals, countFor(0.006, N, 2), (p) => p.dmi === null, (p) => (p.dmi = 'allowed'));
  mark(originals, countFor(0.006, N, 2), (p) => p.dmi === null, (p) => (p.dmi = 'unspecified'));
  mark(originals, countFor(0.008, N, 2), () => true, (p) => (p.ai = true));
  mark(originals, countFor(0.015, N, 2), () => true, (p) => (p.gps = true));
  mark(originals, countFor(0.04, N, 2), () => true, (p) => (p.translated = true));

  mark(originals, countFor(0.03, N, 2), (p) => !p.gps, (p) => (p.format = 'webp'));
  for (const p of posts) {
    if (p.original !== null) {
      p.format = 'jpeg';
      p.alt = rng.chance(0.3);
      continue;
    }
    p.alt = p.canary !== null || rng.chance(0.6);
    if (p.format !== 'webp') p.format = p.gps || rng.chance(0.57) ? 'jpeg' : 'png';
  }

  const free = posts.filter((p) => p.canary === null && !isCanaryRepost(posts, p));
  const P = posts.length;
  mark(free, countFor(0.03, P, 2), () => true, (p) => (p.pii |= PII_EMAIL));
  mark(free, countFor(0.03, P, 2), () => true, (p) => (p.pii |= PII_PHONE));
  mark(free, countFor(0.05, P, 2), () => true, (p) => (p.pii |= PII_MENTION));
  mark(free, countFor(0.04, P, 2), () => true, (p) => (p.pii |= PII_URL));
}

function plantPostEvents(accounts: PlanAccount[], posts: PlanPost[], seed: number): void {
  const rng = new Rng(seed, 'post-events');
  const free = rng.shuffle(posts.filter((p) => p.canary === null && !isCanaryRepost(posts, p)));
  const limit = (p: PlanPost): number => Math.min((accounts[p.account] as PlanAccount).deletedAt ?? EVENT_END, EVENT_END);
  const eventTime = (p: PlanPost): number => between(rng, p.createdAt, limit(p));
  const untouched = (p: PlanPost): boolean => p.visibilityChange === null && p.deletedAt === null && p.objectedAt === null;
  const take = (n: number, ok: (p: PlanPost) => boolean, apply: (p: PlanPost) => void): void => {
    for (const p of free) {
      if (n === 0) return;
      if (!untouched(p) || !ok(p)) continue;
      apply(p);
      n--;
    }
  };
  const P = posts.length;
  const publicCount = free.filter((p) => p.visibility === 'public').length;
  const followersCount = free.filter((p) => p.visibility === 'followers').length;
  take(countFor(0.03, publicCount, 2), (p) => p.visibility === 'public', (p) => {
    p.visibilityChange = { at: eventTime(p), to: 'followers' };
  });
  take(countFor(0.1, followersCount, 2), (p) => p.visibility === 'followers', (p) => {
    p.visibilityChange = { at: eventTime(p), to: 'public' };
  });
  rng.shuffle(free);
  take(countFor(0.015, P, 2), () => true, (p) => {
    p.deletedAt = eventTime(p);
  });
  take(countFor(0.01, P, 2), () => true, (p) => {
    p.objectedAt = eventTime(p);
  });
}

// ------------------------------------------------------------------ events

type EventBody = DumpEvent extends infer E ? (E extends DumpEvent ? Omit<E, 'id'> : never) : never;

/** Every change after creation, sorted by time, with ids e0000001… in that order. */
export function planEvents(plan: Plan): DumpEvent[] {
  const out: { body: EventBody; ms: number; key: string }[] = [];
  const add = (ms: number, key: string, body: EventBody): void => {
    out.push({ ms, key, body });
  };
  for (const a of plan.accounts) {
    if (a.publicAt !== null) add(a.publicAt, a.id, { type: 'account.privacy', at: isoTime(a.publicAt), accountId: a.id, private: false });
    if (a.privateFrom !== null) {
      add(a.privateFrom, a.id, { type: 'account.privacy', at: isoTime(a.privateFrom), accountId: a.id, private: true });
    }
    if (a.privateUntil !== null) {
      add(a.privateUntil, a.id, { type: 'account.privacy', at: isoTime(a.privateUntil), accountId: a.id, private: false });
    }
    if (a.ageAt !== null && a.ageBirthDate !== null) {
      add(a.ageAt, a.id, { type: 'account.age', at: isoTime(a.ageAt), accountId: a.id, birthDate: a.ageBirthDate });
    }
    if (a.objectedAt !== null) add(a.objectedAt, a.id, { type: 'account.objection', at: isoTime(a.objectedAt), accountId: a.id });
    if (a.withdrawnAt !== null) {
      add(a.withdrawnAt, a.id, { type: 'account.objection-withdrawn', at: isoTime(a.withdrawnAt), accountId: a.id });
    }
    if (a.deletedAt !== null) add(a.deletedAt, a.id, { type: 'account.deleted', at: isoTime(a.deletedAt), accountId: a.id });
  }
  for (const p of plan.posts) {
    if (p.visibilityChange) {
      const { at, to } = p.visibilityChange;
      add(at, p.id, { type: 'post.visibility', at: isoTime(at), postId: p.id, visibility: to });
    }
    if (p.objectedAt !== null) add(p.objectedAt, p.id, { type: 'post.objection', at: isoTime(p.objectedAt), postId: p.id });
    if (p.deletedAt !== null) add(p.deletedAt, p.id, { type: 'post.deleted', at: isoTime(p.deletedAt), postId: p.id });
  }
  out.sort((x, y) => x.ms - y.ms || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0) || x.body.type.localeCompare(y.body.type));
  return out.map((e, i) => ({ id: padId('e', i + 1, out.length), ...e.body }) as DumpEvent);
}
