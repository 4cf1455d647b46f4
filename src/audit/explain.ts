/** Why a post is in or out, in plain words, with where it went. */
import { REASON_TEXT, type ReasonCode } from '../core/reasons.ts';
import { VitrineError } from '../core/errors.ts';
import type { Store } from '../store/index.ts';

export interface Explanation {
  postId: string;
  eligible: boolean;
  reasons: { code: ReasonCode; rule: string; signal: string; text: string }[];
  summary: string;
  policyVersion: string;
  decidedAt: string;
  copyOf: string | null;
  snapshots: string[];
  withdrawnFrom: { snapshotId: string; reason: ReasonCode; detectedAt: string }[];
}

export function explain(store: Store, postId: string): Explanation {
  const post = store.corpus.getPost(postId);
  if (!post) throw new VitrineError(`No post "${postId}" in this store: use the id the export gave the post`, 'not_found');
  const d = store.decisions.get(postId);
  if (!d) throw new VitrineError(`Post "${postId}" has not been decided yet: run \`vitrine decide\``, 'not_found');
  const reasons = d.reasons.map((r) => ({ code: r.reason, rule: r.rule, signal: r.signal, text: REASON_TEXT[r.reason] }));
  const snapshots = store.snapshots.containing(postId);
  const withdrawnFrom = store.snapshots
    .withdrawals()
    .filter((w) => w.postId === postId)
    .map((w) => ({ snapshotId: w.snapshotId, reason: w.reason, detectedAt: w.detectedAt }));
  const summary = d.eligible
    ? 'This post may be used for training: it is public, by an adult, licensed, with no objection or reservation.'
    : `This post is not used for training. ${reasons[0]!.text}`;
  return {
    postId, eligible: d.eligible, reasons, summary, policyVersion: d.policyVersion, decidedAt: d.decidedAt,
    copyOf: d.clusterOriginal, snapshots, withdrawnFrom,
  };
}
