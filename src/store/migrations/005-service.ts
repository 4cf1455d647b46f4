import type { Migration } from './index.ts';

/**
 * The imagine service: the people who use it (users: not the platform's
 * posting accounts), their sessions and API tokens, their choice about the
 * feedback terms (an append-only log: accepting is revocable, and the last
 * entry is in force), the generations they ask for with their images, and
 * every feedback event. Favourites are a table of their own because they
 * protect images from clean-up and are asked for on every page view.
 */
export const m005_service: Migration = {
  version: 5,
  name: 'service',
  sql: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('user', 'admin')),
  created_at TEXT NOT NULL
);
CREATE TABLE credentials (
  token_hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE INDEX credentials_user ON credentials (user_id, kind);
CREATE TABLE feedback_terms (
  user_id TEXT NOT NULL REFERENCES users(id),
  at TEXT NOT NULL,
  accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
  terms_version TEXT NOT NULL,
  seq INTEGER PRIMARY KEY AUTOINCREMENT
);
CREATE INDEX feedback_terms_user ON feedback_terms (user_id, seq);
CREATE TABLE generations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  prompt TEXT NOT NULL,
  settings_json TEXT NOT NULL,
  model_id TEXT NOT NULL,
  variation_of TEXT REFERENCES generations(id),
  variation_index INTEGER,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  error TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  milliseconds REAL
);
CREATE INDEX generations_user ON generations (user_id, created_at);
CREATE TABLE generation_images (
  generation_id TEXT NOT NULL REFERENCES generations(id),
  idx INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  native_sha256 TEXT NOT NULL,
  candidate INTEGER NOT NULL,
  score REAL,
  PRIMARY KEY (generation_id, idx)
);
CREATE TABLE feedback_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL REFERENCES users(id),
  generation_id TEXT NOT NULL REFERENCES generations(id),
  idx INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('pick', 'reject', 'keep', 'download', 'variation', 'favourite', 'unfavourite')),
  reason TEXT,
  at TEXT NOT NULL
);
CREATE INDEX feedback_generation ON feedback_events (generation_id);
CREATE INDEX feedback_at ON feedback_events (at);
CREATE TABLE favourites (
  user_id TEXT NOT NULL REFERENCES users(id),
  generation_id TEXT NOT NULL REFERENCES generations(id),
  idx INTEGER NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (user_id, generation_id, idx)
);
CREATE TABLE service_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
};
