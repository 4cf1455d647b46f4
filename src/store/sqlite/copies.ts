/** Cropped-copy pairs between media files, and how far through the media they have been searched. */
import type { Statement } from 'better-sqlite3';
import type { CopiesRepo } from '../index.ts';
import type { DB } from './db.ts';

export class SqliteCopies implements CopiesRepo {
  private s: Record<string, Statement>;
  constructor(private db: DB) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      getMeta: p('SELECT value FROM meta WHERE key = ?'),
      setMeta: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      clear: p('DELETE FROM copy_pairs'),
      add: p('INSERT OR IGNORE INTO copy_pairs (a, b) VALUES (?, ?)'),
      all: p('SELECT a, b FROM copy_pairs ORDER BY a, b'),
      media: p('SELECT rowid, sha256, thumb FROM media WHERE rowid > ? ORDER BY rowid LIMIT 2000'),
      thumb: p('SELECT thumb FROM media WHERE sha256 = ?'),
      maxRow: p('SELECT coalesce(max(rowid), 0) n FROM media'),
    };
  }
  state() {
    const params = (this.s.getMeta!.get('copy_pairs_params') as { value: string } | undefined)?.value ?? null;
    const upto = Number((this.s.getMeta!.get('copy_pairs_upto') as { value: string } | undefined)?.value ?? 0);
    return { params, upto };
  }
  save(params: string, upto: number, pairs: readonly [string, string][], reset: boolean): void {
    this.db.transaction(() => {
      if (reset) this.s.clear!.run();
      for (const [a, b] of pairs) this.s.add!.run(a < b ? a : b, a < b ? b : a);
      this.s.setMeta!.run('copy_pairs_params', params);
      this.s.setMeta!.run('copy_pairs_upto', String(upto));
    })();
  }
  all(): [string, string][] {
    return (this.s.all!.all() as { a: string; b: string }[]).map((r) => [r.a, r.b]);
  }
  *mediaThumbs(): IterableIterator<{ row: number; sha256: string; thumb: Uint8Array | null }> {
    let after = 0;
    for (;;) {
      const rows = this.s.media!.all(after) as { rowid: number; sha256: string; thumb: Buffer | null }[];
      for (const r of rows) yield { row: r.rowid, sha256: r.sha256, thumb: r.thumb ? new Uint8Array(r.thumb) : null };
      if (rows.length < 2000) return;
      after = rows[rows.length - 1]!.rowid;
    }
  }
  thumbOf(sha256: string): Uint8Array | null {
    const r = this.s.thumb!.get(sha256) as { thumb: Buffer | null } | undefined;
    return r?.thumb ? new Uint8Array(r.thumb) : null;
  }
  lastMediaRow(): number {
    return (this.s.maxRow!.get() as { n: number }).n;
  }
}
