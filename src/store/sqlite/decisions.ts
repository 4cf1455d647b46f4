/** Current decisions per post, their change log, and decision runs. */
import type { Statement } from 'better-sqlite3';
import { REASON_CODES, type ReasonCode } from '../../core/reasons.ts';
import type { Decision } from '../../core/types.ts';
import type { DecideRun, DecisionsRepo } from '../index.ts';
import type { DB } from './db.ts';

interface DecisionRow {
  post_id: string; eligible: number; reason: string | null; rule: string | null; signal: string | null; reasons_json: string;
  cluster_original: string | null; policy_version: string; decided_at: string; run_id: number;
}
interface RunRow {
  id: number; policy_version: string; ledger_version: number; started_at: string; finished_at: string | null; counts_json: string | null;
}
const toRun = (r: RunRow): DecideRun => ({
  id: r.id, policyVersion: r.policy_version, ledgerVersion: r.ledger_version, startedAt: r.started_at, finishedAt: r.finished_at,
  counts: r.counts_json ? (JSON.parse(r.counts_json) as Record<string, number>) : null,
});

export class SqliteDecisions implements DecisionsRepo {
  private s: Record<string, Statement>;
  constructor(db: DB) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      start: p('INSERT INTO decide_runs (policy_version, ledger_version, started_at) VALUES (?, ?, ?)'),
      finish: p('UPDATE decide_runs SET counts_json = ?, finished_at = ? WHERE id = ?'),
      last: p('SELECT * FROM decide_runs ORDER BY id DESC LIMIT 1'),
      lastFinished: p('SELECT * FROM decide_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1'),
      get: p('SELECT * FROM decisions WHERE post_id = ?'),
      put: p(`INSERT INTO decisions (post_id, eligible, reason, rule, signal, reasons_json, cluster_original, policy_version, decided_at, run_id)
        VALUES (@postId, @eligible, @reason, @rule, @signal, @reasonsJson, @clusterOriginal, @policyVersion, @decidedAt, @runId)
        ON CONFLICT(post_id) DO UPDATE SET eligible=excluded.eligible, reason=excluded.reason, rule=excluded.rule, signal=excluded.signal,
        reasons_json=excluded.reasons_json, cluster_original=excluded.cluster_original, policy_version=excluded.policy_version,
        decided_at=excluded.decided_at, run_id=excluded.run_id`),
      log: p(`INSERT OR REPLACE INTO decision_log (post_id, run_id, eligible, reason, rule, signal, policy_version, decided_at)
        VALUES (@postId, @runId, @eligible, @reason, @rule, @signal, @policyVersion, @decidedAt)`),
      asOf: p(`SELECT eligible, reason, signal, run_id FROM decision_log WHERE post_id = ? AND run_id <= ? ORDER BY run_id DESC LIMIT 1`),
      eligible: p('SELECT post_id FROM decisions WHERE eligible = 1 ORDER BY post_id'),
      counts: p('SELECT eligible, reason, count(*) n FROM decisions GROUP BY eligible, reason'),
    };
  }

  startRun(policyVersion: string, ledgerVersion: number, startedAt: string): number {
    return Number(this.s.start!.run(policyVersion, ledgerVersion, startedAt).lastInsertRowid);
  }
  finishRun(id: number, counts: Record<string, number>, at: string): void {
    this.s.finish!.run(JSON.stringify(counts), at, id);
  }
  lastRun(): DecideRun | null {
    const r = this.s.last!.get() as RunRow | undefined;
    return r ? toRun(r) : null;
  }
  lastFinishedRun(): DecideRun | null {
    const r = this.s.lastFinished!.get() as RunRow | undefined;
    return r ? toRun(r) : null;
  }

  put(d: Decision, clusterOriginal: string | null): boolean {
    const prev = this.s.get!.get(d.postId) as DecisionRow | undefined;
    const reasonsJson = JSON.stringify(d.reasons);
    const same =
      prev !== undefined &&
      prev.eligible === (d.eligible ? 1 : 0) &&
      prev.reasons_json === reasonsJson &&
      prev.policy_version === d.policyVersion &&
      prev.cluster_original === clusterOriginal;
    // Unchanged decisions keep their original time and run: "decided at" is when it became so.
    if (same) return false;
    const row = { ...d, eligible: d.eligible ? 1 : 0, reasonsJson, clusterOriginal };
    this.s.put!.run(row);
    this.s.log!.run(row);
    return true;
  }

  get(postId: string) {
    const r = this.s.get!.get(postId) as DecisionRow | undefined;
    if (!r) return null;
    return {
      postId: r.post_id, eligible: r.eligible === 1, reason: r.reason as ReasonCode | null, rule: r.rule, signal: r.signal,
      reasons: JSON.parse(r.reasons_json) as Decision['reasons'], policyVersion: r.policy_version, decidedAt: r.decided_at,
      runId: r.run_id, clusterOriginal: r.cluster_original,
    };
  }

  asOfRun(postId: string, runId: number) {
    const r = this.s.asOf!.get(postId, runId) as { eligible: number; reason: string | null; signal: string | null; run_id: number } | undefined;
    return r ? { eligible: r.eligible === 1, reason: r.reason as ReasonCode | null, signal: r.signal, runId: r.run_id } : null;
  }

  *eligiblePostIds(): IterableIterator<string> {
    // Materialised first: callers write snapshots while walking the list.
    const ids = (this.s.eligible!.all() as { post_id: string }[]).map((r) => r.post_id);
    yield* ids;
  }

  countsByReason(): Record<ReasonCode | 'eligible', number> {
    const out = Object.fromEntries([['eligible', 0], ...REASON_CODES.map((c) => [c, 0])]) as Record<ReasonCode | 'eligible', number>;
    for (const r of this.s.counts!.all() as { eligible: number; reason: string | null; n: number }[]) {
      if (r.eligible === 1) out.eligible += r.n;
      else if (r.reason) out[r.reason as ReasonCode] = r.n;
    }
    return out;
  }
}
