/**
 * `vitrine decide`: every post gets a decision — eligible, or dropped with a
 * primary reason code — stored with rule, signal, policy version and time.
 * Deciding twice on the same store changes nothing (idempotent).
 */
import type { Account, Decision, LedgerEvent, LicenceGrant, Post } from '../core/types.ts';
import type { ReasonCode } from '../core/reasons.ts';
import type { Store } from '../store/index.ts';
import { clusterCopies, type DedupEntry } from './dedup.ts';
import { croppedPostPairs } from './copy-pairs.ts';
import { byPriority, evaluatePost, type RuleDrop } from './evaluate.ts';
import type { PostFacts } from './facts.ts';
import { policyVersion, type Policy } from './policy.ts';

export interface DecideOptions {
  now?: string;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface DecideResult {
  runId: number;
  policyVersion: string;
  posts: number;
  changed: number;
  counts: Record<ReasonCode | 'eligible', number>;
  clusters: number;
  withdrawalsFound: number;
}

/** Grants indexed by the scope they cover. */
class GrantIndex {
  private byPost = new Map<string, LicenceGrant[]>();
  private byAccount = new Map<string, LicenceGrant[]>();
  private byHolder = new Map<string, LicenceGrant[]>();
  constructor(grants: readonly LicenceGrant[]) {
    const add = (m: Map<string, LicenceGrant[]>, k: string | null, g: LicenceGrant) => k && (m.get(k) ?? m.set(k, []).get(k)!).push(g);
    for (const g of grants) {
      add(this.byPost, g.postId, g);
      add(this.byAccount, g.accountId, g);
      add(this.byHolder, g.rightsHolder, g);
    }
  }
  for(postId: string, accountId: string, holder: string | null): LicenceGrant[] {
    const out = [...(this.byPost.get(postId) ?? []), ...(this.byAccount.get(accountId) ?? []), ...((holder && this.byHolder.get(holder)) || [])];
    return out.sort((a, b) => (a.grantedAt < b.grantedAt ? -1 : a.grantedAt > b.grantedAt ? 1 : 0));
  }
}

/** Loads what the rules need besides the post itself. Accounts and events are far fewer than posts. */
export type DecideContext = ReturnType<typeof loadContext>;

export function loadContext(store: Store) {
  const accounts = new Map<string, Account>();
  for (const a of store.corpus.allAccounts()) accounts.set(a.id, a);
  const postEvents = new Map<string, LedgerEvent[]>();
  const accountEvents = new Map<string, LedgerEvent[]>();
  for (const e of store.corpus.allEvents()) {
    if ('postId' in e && e.postId) (postEvents.get(e.postId) ?? postEvents.set(e.postId, []).get(e.postId)!).push(e);
    else if ('accountId' in e && e.accountId) (accountEvents.get(e.accountId) ?? accountEvents.set(e.accountId, []).get(e.accountId)!).push(e);
  }
  return { accounts, postEvents, accountEvents, grants: new GrantIndex(store.corpus.grants()) };
}

export function buildFacts(store: Store, ctx: DecideContext, post: Post): PostFacts {
  const account = ctx.accounts.get(post.accountId);
  if (!account) throw new Error(`Store inconsistency: post ${post.id} refers to missing account ${post.accountId}`);
  return {
    post,
    account,
    media: post.mediaSha256 ? store.corpus.getMedia(post.mediaSha256) : null,
    postEvents: ctx.postEvents.get(post.id) ?? [],
    accountEvents: ctx.accountEvents.get(post.accountId) ?? [],
    grants: ctx.grants.for(post.id, post.accountId, post.rightsHolder),
  };
}

export function decide(store: Store, policy: Policy, opts: DecideOptions = {}): DecideResult {
  const now = opts.now ?? new Date().toISOString();
  const version = policyVersion(policy);
  const runId = store.decisions.startRun(version, store.runs.ledgerVersion(), now);
  const ctx = loadContext(store);
  const total = store.corpus.counts().posts;

  // 1. Rules, post by post.
  const entries: DedupEntry[] = [];
  const drops: RuleDrop[][] = [];
  const mediaOf: (string | null)[] = [];
  let done = 0;
  for (const post of store.corpus.allPosts()) {
    const facts = buildFacts(store, ctx, post);
    const d = byPriority(evaluatePost(facts, { policy, now }));
    drops.push(d);
    mediaOf.push(post.mediaSha256);
    entries.push({
      postId: post.id, createdAt: post.createdAt, pixelSha256: facts.media?.pixelSha256 ?? null, phash: facts.media?.phash ?? null,
      phashQuality: facts.media?.phashQuality ?? 0, usable: d.length === 0, ownReason: d[0]?.reason ?? null,
    });
    if (++done % 2000 === 0) opts.onProgress?.('rules', done, total);
  }
  opts.onProgress?.('rules', done, total);

  // 2. Copies: a cluster follows its original.
  const cropped = croppedPostPairs(store, policy.dedup, mediaOf, (d, t) => opts.onProgress?.('dedup: crops', d, t));
  const dedup = clusterCopies(entries, { ...policy.dedup, croppedPairs: cropped, onProgress: opts.onProgress });

  // 3. Store, in batches; only changes are written and logged.
  let changed = 0;
  const batch = 2000;
  for (let start = 0; start < entries.length; start += batch) {
    store.transaction(() => {
      for (let i = start; i < Math.min(entries.length, start + batch); i++) {
        const e = entries[i]!;
        const out = dedup.outcomes[i]!;
        const all = drops[i]!;
        if (out.kind === 'restricted')
          all.push({ reason: 'copy_of_restricted_original', rule: 'dedup', signal: `copy of post ${out.original} (${out.originalReason})` });
        else if (out.kind === 'duplicate') all.push({ reason: 'duplicate', rule: 'dedup', signal: `same picture as post ${out.keptPost}` });
        const primary = byPriority(all)[0];
        const decision: Decision = {
          postId: e.postId, eligible: !primary, reason: primary?.reason ?? null, rule: primary?.rule ?? null,
          signal: primary?.signal ?? null, reasons: all, policyVersion: version, decidedAt: now, runId,
        };
        const original = out.kind === 'unique' ? null : out.original;
        if (store.decisions.put(decision, original === e.postId ? null : original)) changed += 1;
      }
    });
    opts.onProgress?.('store', Math.min(entries.length, start + batch), entries.length);
  }

  const withdrawalsFound = store.snapshots.recordWithdrawals(now);
  const counts = store.decisions.countsByReason();
  store.decisions.finishRun(runId, counts, new Date().toISOString());
  return { runId, policyVersion: version, posts: entries.length, changed, counts, clusters: dedup.clusters, withdrawalsFound };
}
