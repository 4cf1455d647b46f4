/** Ingest runs, their per-item issues, and the ledger version counter. */
import type { Statement } from 'better-sqlite3';
import type { IngestIssue, IngestRun, RunsRepo } from '../index.ts';
import type { DB } from './db.ts';

interface RunRow {
  id: number; path: string; source: string | null; started_at: string; finished_at: string | null; status: string; counts_json: string | null;
}

export class SqliteRuns implements RunsRepo {
  private s: Record<string, Statement>;
  constructor(db: DB) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      start: p("INSERT INTO ingest_runs (path, started_at, status) VALUES (?, ?, 'running')"),
      finish: p('UPDATE ingest_runs SET status = ?, source = ?, counts_json = ?, finished_at = ? WHERE id = ?'),
      issue: p('INSERT INTO ingest_issues (run_id, item, code, detail) VALUES (@runId, @item, @code, @detail)'),
      issues: p('SELECT run_id runId, item, code, detail FROM ingest_issues WHERE run_id = ? ORDER BY id'),
      last: p('SELECT * FROM ingest_runs ORDER BY id DESC LIMIT 1'),
      getLedger: p("SELECT value FROM meta WHERE key = 'ledger_version'"),
      bump: p(`INSERT INTO meta (key, value) VALUES ('ledger_version', '1')
        ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)`),
    };
  }
  startIngest(path: string, startedAt: string): number {
    return Number(this.s.start!.run(path, startedAt).lastInsertRowid);
  }
  finishIngest(id: number, status: 'done' | 'failed', source: string | null, counts: Record<string, number>, at: string): void {
    this.s.finish!.run(status, source, JSON.stringify(counts), at, id);
  }
  addIssue(i: IngestIssue): void {
    this.s.issue!.run(i);
  }
  issues(runId: number): IngestIssue[] {
    return this.s.issues!.all(runId) as IngestIssue[];
  }
  lastIngest(): IngestRun | null {
    const r = this.s.last!.get() as RunRow | undefined;
    if (!r) return null;
    return {
      id: r.id, path: r.path, source: r.source, startedAt: r.started_at, finishedAt: r.finished_at,
      status: r.status as IngestRun['status'], counts: r.counts_json ? (JSON.parse(r.counts_json) as Record<string, number>) : null,
    };
  }
  ledgerVersion(): number {
    const r = this.s.getLedger!.get() as { value: string } | undefined;
    return r ? Number(r.value) : 0;
  }
  bumpLedger(): number {
    this.s.bump!.run();
    return this.ledgerVersion();
  }
}
