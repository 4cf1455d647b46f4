/**
 * Everything the rules may look at for one post, assembled by the store, and
 * the pure helpers that read a history of events "as of" a time. Rules never
 * query anything: if a rule needs a fact, it belongs here.
 */
import type { Visibility } from '../core/dump.ts';
import type { Account, LedgerEvent, LicenceGrant, MediaInfo, Post } from '../core/types.ts';
import type { Policy } from './policy.ts';

export interface PostFacts {
  post: Post;
  account: Account;
  media: MediaInfo | null;
  /** Events about this post, sorted by time then id. */
  postEvents: readonly LedgerEvent[];
  /** Events about its account, sorted by time then id. */
  accountEvents: readonly LedgerEvent[];
  /** Licence grants whose scope covers this post (by post, account or rights holder). */
  grants: readonly LicenceGrant[];
}

export interface RuleContext {
  policy: Policy;
  /** The decision time: events later than this have not happened yet. */
  now: string;
}

type EventOf<T extends LedgerEvent['type']> = Extract<LedgerEvent, { type: T }>;

function effective<T extends LedgerEvent['type']>(events: readonly LedgerEvent[], type: T, at: string): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type && e.at <= at);
}

function last<T>(xs: readonly T[]): T | undefined {
  return xs[xs.length - 1];
}

/** The post's audience at time `at`, with the time it took that value. */
export function visibilityAt(f: PostFacts, at: string): { visibility: Visibility; since: string } {
  const change = last(effective(f.postEvents, 'post.visibility', at));
  return change ? { visibility: change.visibility, since: change.at } : { visibility: f.post.visibility, since: f.post.createdAt };
}

/** Whether the account was private at time `at`. */
export function accountPrivateAt(f: PostFacts, at: string): { private: boolean; since: string } {
  const change = last(effective(f.accountEvents, 'account.privacy', at));
  return change ? { private: change.private, since: change.at } : { private: f.account.privateAtCreation, since: f.account.createdAt };
}

/** The best known birth date as of `at`: the latest age record, else the account's own. */
export function birthDateAt(f: PostFacts, at: string): string | null {
  const record = last(effective(f.accountEvents, 'account.age', at));
  return record ? record.birthDate : f.account.birthDate;
}

/** Whole years between a YYYY-MM-DD birth date and an ISO time. */
export function ageAt(birthDate: string, at: string): number {
  const [by, bm, bd] = birthDate.slice(0, 10).split('-').map(Number) as [number, number, number];
  const t = new Date(at);
  let age = t.getUTCFullYear() - by;
  const m = t.getUTCMonth() + 1;
  if (m < bm || (m === bm && t.getUTCDate() < bd)) age -= 1;
  return age;
}

/** The objection in force at `at` (the account's or the post's own), if any. */
export function objectionAt(f: PostFacts, at: string): { scope: 'account' | 'post'; since: string } | null {
  const postObjection = effective(f.postEvents, 'post.objection', at)[0];
  if (postObjection) return { scope: 'post', since: postObjection.at };
  // An account objection holds until a later withdrawal; the last of the two wins.
  let since: string | null = null;
  for (const e of f.accountEvents) {
    if (e.at > at) break;
    if (e.type === 'account.objection') since ??= e.at;
    else if (e.type === 'account.objection-withdrawn') since = null;
  }
  return since ? { scope: 'account', since } : null;
}

export function deletedAt(f: PostFacts, at: string): { scope: 'post' | 'account'; since: string } | null {
  const p = effective(f.postEvents, 'post.deleted', at)[0];
  if (p) return { scope: 'post', since: p.at };
  const a = effective(f.accountEvents, 'account.deleted', at)[0];
  return a ? { scope: 'account', since: a.at } : null;
}

/** The most recent grant in force at `at`, if any. */
export function grantAt(f: PostFacts, at: string): LicenceGrant | undefined {
  return last(f.grants.filter((g) => g.grantedAt <= at));
}
