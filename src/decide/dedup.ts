/**
 * Clusters of copies and the policy that governs them.
 *
 * A cluster is the set of posts whose images are the same picture: identical
 * decoded pixels, perceptual hashes within the policy's Hamming threshold
 * (hashes below the policy's minimum quality match exactly only), or a
 * cropped or shifted copy found by copy-pairs.ts. A cluster
 * belongs to its original, the earliest post. If the original may not be used
 * for any reason, no copy may be used either, whoever re-posted it: a
 * re-poster cannot give away what the author kept private, objected to, or
 * never licensed (reason `copy_of_restricted_original`). Among the usable
 * members, one is kept — the original when usable — and the others are
 * `duplicate`s, so no picture is weighted twice.
 */
import { nearPairs, UnionFind } from './dedup-index.ts';

export interface DedupEntry {
  postId: string;
  createdAt: string;
  pixelSha256: string | null;
  phash: string | null;
  phashQuality: number;
  /** Whether the post passes every rule on its own. */
  usable: boolean;
  /** Its own primary reason, when not usable. */
  ownReason: string | null;
}

export type DedupOutcome =
  | { kind: 'unique' }
  | { kind: 'kept'; original: string }
  | { kind: 'restricted'; original: string; originalReason: string }
  | { kind: 'duplicate'; original: string; keptPost: string };

export interface DedupResult {
  outcomes: DedupOutcome[];
  clusters: number;
  pairs: number;
}

export function clusterCopies(
  entries: readonly DedupEntry[],
  opts: {
    threshold: number;
    minQuality: number;
    /** Pairs of entries found to be cropped or shifted copies (copy-pairs.ts). */
    croppedPairs?: readonly [number, number][];
    onProgress?: (stage: string, done: number, total: number) => void;
  },
): DedupResult {
  const uf = new UnionFind(entries.length);
  // Exact copies: the same decoded pixels, whatever the file format or metadata.
  const byPixels = new Map<string, number>();
  entries.forEach((e, i) => {
    if (!e.pixelSha256) return;
    const j = byPixels.get(e.pixelSha256);
    if (j === undefined) byPixels.set(e.pixelSha256, i);
    else uf.union(i, j);
  });
  // Near copies: perceptual hashes of trustworthy quality.
  const idx: number[] = [];
  entries.forEach((e, i) => {
    if (e.phash && e.phashQuality >= opts.minQuality) idx.push(i);
  });
  const pairs = nearPairs(idx.map((i) => entries[i]!.phash!), opts.threshold, (d, t) => opts.onProgress?.('dedup: hashes', d, t));
  for (const [a, b] of pairs) uf.union(idx[a]!, idx[b]!);
  // Cropped, shifted and re-framed copies, which no global hash catches.
  const cropped = opts.croppedPairs ?? [];
  for (const [a, b] of cropped) uf.union(a, b);

  const members = new Map<number, number[]>();
  entries.forEach((_, i) => {
    const r = uf.find(i);
    const list = members.get(r);
    if (list) list.push(i);
    else members.set(r, [i]);
  });

  const earlier = (a: DedupEntry, b: DedupEntry) => a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.postId < b.postId);
  const outcomes: DedupOutcome[] = entries.map(() => ({ kind: 'unique' }));
  let clusters = 0;
  for (const list of members.values()) {
    if (list.length < 2) continue;
    clusters += 1;
    let orig = list[0]!;
    for (const i of list) if (earlier(entries[i]!, entries[orig]!)) orig = i;
    const o = entries[orig]!;
    if (!o.usable) {
      for (const i of list) if (i !== orig) outcomes[i] = { kind: 'restricted', original: o.postId, originalReason: o.ownReason ?? 'unknown' };
      continue;
    }
    outcomes[orig] = { kind: 'kept', original: o.postId };
    for (const i of list) if (i !== orig) outcomes[i] = { kind: 'duplicate', original: o.postId, keptPost: o.postId };
  }
  return { outcomes, clusters, pairs: pairs.length + cropped.length };
}
