/** Snapshots, their items, and the withdrawals found in them after the fact. */
import type { Statement } from 'better-sqlite3';
import type { ReasonCode } from '../../core/reasons.ts';
import type { SnapshotItemRecord, SnapshotRecord, SnapshotsRepo, Withdrawal } from '../index.ts';
import type { DB } from './db.ts';

interface SnapRow {
  id: string; path: string; created_at: string; policy_version: string; decide_run_id: number; items: number; datasheet_json: string;
}
const toSnap = (r: SnapRow): SnapshotRecord => ({
  id: r.id, path: r.path, createdAt: r.created_at, policyVersion: r.policy_version, decideRunId: r.decide_run_id, items: r.items,
  datasheet: JSON.parse(r.datasheet_json),
});

export class SqliteSnapshots implements SnapshotsRepo {
  private s: Record<string, Statement>;
  constructor(private db: DB) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      get: p('SELECT * FROM snapshots WHERE id = ?'),
      list: p('SELECT * FROM snapshots ORDER BY created_at, id'),
      insert: p(`INSERT INTO snapshots (id, path, created_at, policy_version, decide_run_id, items, datasheet_json)
        VALUES (@id, @path, @createdAt, @policyVersion, @decideRunId, @items, @datasheetJson)`),
      item: p('INSERT INTO snapshot_items (snapshot_id, key, post_id, media_sha256, image_sha256) VALUES (?, ?, ?, ?, ?)'),
      items: p('SELECT key, post_id postId, media_sha256 mediaSha256, image_sha256 imageSha256 FROM snapshot_items WHERE snapshot_id = ? ORDER BY key'),
      containing: p('SELECT DISTINCT snapshot_id id FROM snapshot_items WHERE post_id = ? ORDER BY snapshot_id'),
      withdraw: p(`INSERT OR IGNORE INTO withdrawals (snapshot_id, post_id, reason, signal, detected_at)
        SELECT si.snapshot_id, si.post_id, d.reason, coalesce(d.signal, ''), ? FROM snapshot_items si
        JOIN decisions d ON d.post_id = si.post_id WHERE d.eligible = 0`),
      withdrawals: p(`SELECT snapshot_id snapshotId, post_id postId, reason, signal, detected_at detectedAt FROM withdrawals
        WHERE (? IS NULL OR snapshot_id = ?) ORDER BY snapshot_id, post_id`),
    };
  }

  register(s: SnapshotRecord, items: readonly SnapshotItemRecord[]): boolean {
    return this.db.transaction(() => {
      if (this.s.get!.get(s.id)) return false;
      this.s.insert!.run({ ...s, datasheetJson: JSON.stringify(s.datasheet) });
      for (const i of items) this.s.item!.run(s.id, i.key, i.postId, i.mediaSha256, i.imageSha256);
      return true;
    })();
  }
  get(id: string): SnapshotRecord | null {
    const r = this.s.get!.get(id) as SnapRow | undefined;
    return r ? toSnap(r) : null;
  }
  list(): SnapshotRecord[] {
    return (this.s.list!.all() as SnapRow[]).map(toSnap);
  }
  items(id: string): SnapshotItemRecord[] {
    return this.s.items!.all(id) as SnapshotItemRecord[];
  }
  containing(postId: string): string[] {
    return (this.s.containing!.all(postId) as { id: string }[]).map((r) => r.id);
  }
  recordWithdrawals(at: string): number {
    return this.s.withdraw!.run(at).changes;
  }
  withdrawals(snapshotId?: string): Withdrawal[] {
    const id = snapshotId ?? null;
    return (this.s.withdrawals!.all(id, id) as (Omit<Withdrawal, 'reason'> & { reason: string })[]).map((w) => ({
      ...w,
      reason: w.reason as ReasonCode,
    }));
  }
}
