/** What entered and left between two snapshots, and why, from the decision log. */
import type { ReasonCode } from '../core/reasons.ts';
import type { Store } from '../store/index.ts';
import { VitrineError } from '../core/errors.ts';

export interface DiffEntry {
  postId: string;
  /** For an item that left: its reason at B. For one that entered: its reason at A (null: not in the store yet, or not decided). */
  reason: ReasonCode | null;
  signal: string | null;
}

export interface SnapshotDiff {
  from: string;
  to: string;
  entered: DiffEntry[];
  left: DiffEntry[];
  kept: number;
  /** Counts per reason, for a summary line. */
  leftByReason: Record<string, number>;
  enteredByPreviousReason: Record<string, number>;
}

export function diffSnapshots(store: Store, a: string, b: string): SnapshotDiff {
  const A = store.snapshots.get(a);
  const B = store.snapshots.get(b);
  if (!A) throw new VitrineError(`No snapshot "${a}" in this store (see \`vitrine snapshot list\`)`, 'usage');
  if (!B) throw new VitrineError(`No snapshot "${b}" in this store (see \`vitrine snapshot list\`)`, 'usage');
  const inA = new Set(store.snapshots.items(a).map((i) => i.postId));
  const inB = new Set(store.snapshots.items(b).map((i) => i.postId));
  const entered: DiffEntry[] = [];
  const left: DiffEntry[] = [];
  const leftByReason: Record<string, number> = {};
  const enteredByPreviousReason: Record<string, number> = {};
  let kept = 0;
  for (const id of [...inB].sort()) {
    if (inA.has(id)) {
      kept += 1;
      continue;
    }
    const then = store.decisions.asOfRun(id, A.decideRunId);
    const e = { postId: id, reason: then && !then.eligible ? then.reason : null, signal: then && !then.eligible ? then.signal : null };
    entered.push(e);
    const k = e.reason ?? (then ? 'changed' : 'new');
    enteredByPreviousReason[k] = (enteredByPreviousReason[k] ?? 0) + 1;
  }
  for (const id of [...inA].sort()) {
    if (inB.has(id)) continue;
    const then = store.decisions.asOfRun(id, B.decideRunId);
    const e = { postId: id, reason: then?.reason ?? null, signal: then?.signal ?? null };
    left.push(e);
    const k = e.reason ?? 'unknown';
    leftByReason[k] = (leftByReason[k] ?? 0) + 1;
  }
  return { from: a, to: b, entered, left, kept, leftByReason, enteredByPreviousReason };
}
