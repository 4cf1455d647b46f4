/**
 * The cropped-copy pairs of the whole corpus, kept in the store and brought up
 * to date incrementally: only media ingested since the last search are
 * compared (against everything), unless the detector's settings changed.
 * Signatures stay in memory (~300 bytes a picture); thumbnails are read back
 * only for the candidates that need them, so memory does not hold the corpus.
 */
import type { Store } from '../store/index.ts';
import type { Policy } from './policy.ts';
import { croppedCopyPairs, signature, type CopySignature, type Thumb } from './copy-match.ts';

/** Bump when copy-match.ts changes what it finds. */
const MATCHER_VERSION = 2;

export function croppedPairs(store: Store, dedup: Policy['dedup'], onProgress?: (done: number, total: number) => void): [string, string][] {
  const params = `copy-match/${MATCHER_VERSION} maxAlignedDifference=${dedup.maxAlignedDifference}`;
  const state = store.copies.state();
  const reset = state.params !== params;
  const upto = reset ? 0 : state.upto;
  const last = store.copies.lastMediaRow();
  if (!reset && upto >= last) return store.copies.all();

  const shas: string[] = [];
  const rows: number[] = [];
  const sigs: (CopySignature | null)[] = [];
  for (const m of store.copies.mediaThumbs()) {
    shas.push(m.sha256);
    rows.push(m.row);
    sigs.push(m.thumb ? signature(m.thumb, false) : null);
  }
  const cache = new Map<number, Thumb>();
  const thumb = (i: number): Thumb => {
    let t = cache.get(i);
    if (!t) {
      if (cache.size >= 20_000) cache.clear();
      t = store.copies.thumbOf(shas[i]!)!;
      cache.set(i, t);
    }
    return t;
  };
  const found = croppedCopyPairs(sigs, {
    maxDifference: dedup.maxAlignedDifference,
    thumb,
    ...(reset ? {} : { involving: (i: number) => rows[i]! > upto }),
    onProgress,
  });
  store.copies.save(params, last, found.map(([i, j]) => [shas[i]!, shas[j]!]), reset);
  return store.copies.all();
}

/** The same pairs as indices into a list of posts (`mediaOf[i]`: post i's media), for clustering. */
export function croppedPostPairs(
  store: Store,
  dedup: Policy['dedup'],
  mediaOf: readonly (string | null)[],
  onProgress?: (done: number, total: number) => void,
): [number, number][] {
  // Posts sharing one media file are exact copies already; one of them stands for the file.
  const first = new Map<string, number>();
  mediaOf.forEach((m, i) => m && !first.has(m) && first.set(m, i));
  const out: [number, number][] = [];
  for (const [a, b] of croppedPairs(store, dedup, onProgress)) {
    const i = first.get(a);
    const j = first.get(b);
    if (i !== undefined && j !== undefined) out.push([i, j]);
  }
  return out;
}
