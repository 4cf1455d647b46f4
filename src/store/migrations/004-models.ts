import type { Migration } from './index.ts';

/**
 * Trained models and their lineage: the snapshot they learnt from (and through
 * snapshot_items, every post), the policy that made it, the config, the code
 * and the machine. Evaluations are kept per model and judge.
 */
export const m004_models: Migration = {
  version: 4,
  name: 'models',
  sql: `
CREATE TABLE models (
  id TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  created_at TEXT NOT NULL,
  kind TEXT NOT NULL,
  snapshot_id TEXT NOT NULL REFERENCES snapshots(id),
  policy_version TEXT NOT NULL,
  parent_id TEXT REFERENCES models(id),
  config_name TEXT NOT NULL,
  config_json TEXT NOT NULL,
  code_version TEXT NOT NULL,
  train_seconds REAL NOT NULL,
  images_seen INTEGER NOT NULL,
  hardware_json TEXT NOT NULL,
  card_json TEXT NOT NULL
);
CREATE INDEX models_snapshot ON models (snapshot_id);
CREATE TABLE model_evals (
  model_id TEXT NOT NULL REFERENCES models(id),
  judge_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  results_json TEXT NOT NULL,
  PRIMARY KEY (model_id, judge_id, created_at)
);
`,
};
