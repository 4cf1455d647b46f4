import type { Migration } from './index.ts';

export const m001_initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  handle TEXT NOT NULL,
  display_name TEXT,
  language TEXT,
  created_at TEXT NOT NULL,
  birth_date TEXT,
  private_at_creation INTEGER NOT NULL,
  record_hash TEXT NOT NULL
);

CREATE TABLE media (
  sha256 TEXT PRIMARY KEY,
  pixel_sha256 TEXT NOT NULL,
  format TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  phash TEXT NOT NULL,
  phash_quality INTEGER NOT NULL,
  data_mining TEXT,
  digital_source_type TEXT,
  c2pa_training TEXT,
  has_gps INTEGER NOT NULL
);

CREATE TABLE posts (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  account_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  visibility TEXT NOT NULL,
  caption TEXT NOT NULL,
  language TEXT,
  captions_json TEXT NOT NULL,
  alt_text TEXT,
  licence TEXT,
  rights_holder TEXT,
  attribution TEXT,
  media_sha256 TEXT REFERENCES media(sha256),
  media_problem TEXT,
  record_hash TEXT NOT NULL,
  ingested_at TEXT NOT NULL
);
CREATE INDEX posts_account ON posts(account_id);
CREATE INDEX posts_media ON posts(media_sha256);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  account_id TEXT,
  post_id TEXT,
  payload_json TEXT NOT NULL
);
CREATE INDEX events_post ON events(post_id, at);
CREATE INDEX events_account ON events(account_id, at);

CREATE TABLE licence_grants (
  id TEXT PRIMARY KEY,
  licence TEXT NOT NULL,
  account_id TEXT,
  post_id TEXT,
  rights_holder TEXT,
  granted_at TEXT NOT NULL,
  note TEXT,
  origin TEXT NOT NULL
);

CREATE TABLE ingest_runs (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  source TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,
  counts_json TEXT
);

CREATE TABLE ingest_issues (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES ingest_runs(id),
  item TEXT NOT NULL,
  code TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX ingest_issues_run ON ingest_issues(run_id);

CREATE TABLE decide_runs (
  id INTEGER PRIMARY KEY,
  policy_version TEXT NOT NULL,
  ledger_version INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  counts_json TEXT
);

CREATE TABLE decisions (
  post_id TEXT PRIMARY KEY,
  eligible INTEGER NOT NULL,
  reason TEXT,
  rule TEXT,
  signal TEXT,
  reasons_json TEXT NOT NULL,
  cluster_original TEXT,
  policy_version TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  run_id INTEGER NOT NULL
);
CREATE INDEX decisions_eligible ON decisions(eligible, post_id);

-- One row each time a post's decision changes: "why was it out then?"
CREATE TABLE decision_log (
  post_id TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  eligible INTEGER NOT NULL,
  reason TEXT,
  rule TEXT,
  signal TEXT,
  policy_version TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  PRIMARY KEY (post_id, run_id)
);

CREATE TABLE snapshots (
  id TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  created_at TEXT NOT NULL,
  policy_version TEXT NOT NULL,
  decide_run_id INTEGER NOT NULL,
  items INTEGER NOT NULL,
  datasheet_json TEXT NOT NULL
);

CREATE TABLE snapshot_items (
  snapshot_id TEXT NOT NULL REFERENCES snapshots(id),
  key TEXT NOT NULL,
  post_id TEXT NOT NULL,
  media_sha256 TEXT NOT NULL,
  image_sha256 TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, key)
);
CREATE INDEX snapshot_items_post ON snapshot_items(post_id);

CREATE TABLE withdrawals (
  snapshot_id TEXT NOT NULL REFERENCES snapshots(id),
  post_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  signal TEXT NOT NULL,
  detected_at TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, post_id)
);
`,
};
