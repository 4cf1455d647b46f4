/** Trained models (lineage) and their evaluations. */
import type { Statement } from 'better-sqlite3';
import type { ModelEval, ModelRecord, ModelsRepo } from '../index.ts';
import type { DB } from './db.ts';

interface ModelRow {
  id: string; path: string; created_at: string; kind: string; snapshot_id: string; policy_version: string; parent_id: string | null;
  config_name: string; config_json: string; code_version: string; train_seconds: number; images_seen: number; hardware_json: string; card_json: string;
}
const toModel = (r: ModelRow): ModelRecord => ({
  id: r.id, path: r.path, createdAt: r.created_at, kind: r.kind, snapshotId: r.snapshot_id, policyVersion: r.policy_version,
  parentId: r.parent_id, configName: r.config_name, config: JSON.parse(r.config_json), codeVersion: r.code_version,
  trainSeconds: r.train_seconds, imagesSeen: r.images_seen, hardware: JSON.parse(r.hardware_json), card: JSON.parse(r.card_json),
});

export class SqliteModels implements ModelsRepo {
  private s: Record<string, Statement>;
  constructor(db: DB) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      get: p('SELECT * FROM models WHERE id = ?'),
      list: p('SELECT * FROM models ORDER BY created_at, id'),
      trainedOn: p('SELECT * FROM models WHERE snapshot_id = ? ORDER BY created_at, id'),
      insert: p(`INSERT OR IGNORE INTO models (id, path, created_at, kind, snapshot_id, policy_version, parent_id, config_name, config_json,
        code_version, train_seconds, images_seen, hardware_json, card_json) VALUES (@id, @path, @createdAt, @kind, @snapshotId, @policyVersion,
        @parentId, @configName, @configJson, @codeVersion, @trainSeconds, @imagesSeen, @hardwareJson, @cardJson)`),
      putEval: p('INSERT OR REPLACE INTO model_evals (model_id, judge_id, created_at, results_json) VALUES (?, ?, ?, ?)'),
      active: p("SELECT value FROM service_state WHERE key = 'active_model'"),
      setActive: p("INSERT INTO service_state (key, value) VALUES ('active_model', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      clearActive: p("DELETE FROM service_state WHERE key = 'active_model'"),
      evals: p('SELECT model_id modelId, judge_id judgeId, created_at createdAt, results_json results FROM model_evals WHERE model_id = ? ORDER BY created_at'),
    };
  }
  register(m: ModelRecord): boolean {
    return (
      this.s.insert!.run({
        ...m,
        configJson: JSON.stringify(m.config),
        hardwareJson: JSON.stringify(m.hardware),
        cardJson: JSON.stringify(m.card),
      }).changes === 1
    );
  }
  get(id: string): ModelRecord | null {
    const r = this.s.get!.get(id) as ModelRow | undefined;
    return r ? toModel(r) : null;
  }
  list(): ModelRecord[] {
    return (this.s.list!.all() as ModelRow[]).map(toModel);
  }
  trainedOn(snapshotId: string): ModelRecord[] {
    return (this.s.trainedOn!.all(snapshotId) as ModelRow[]).map(toModel);
  }
  putEval(e: ModelEval): void {
    this.s.putEval!.run(e.modelId, e.judgeId, e.createdAt, JSON.stringify(e.results));
  }
  evals(modelId: string): ModelEval[] {
    return (this.s.evals!.all(modelId) as (Omit<ModelEval, 'results'> & { results: string })[]).map((r) => ({ ...r, results: JSON.parse(r.results) }));
  }
  active(): string | null {
    return (this.s.active!.get() as { value: string } | undefined)?.value ?? null;
  }
  setActive(id: string | null): void {
    if (id === null) this.s.clearActive!.run();
    else this.s.setActive!.run(id);
  }
}
