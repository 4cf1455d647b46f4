/** Opens the embedded SQLite store: WAL, foreign keys, migrations, one repo per table group. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { VitrineError } from '../../core/errors.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import type { Store } from '../index.ts';
import { SqliteCorpus } from './corpus.ts';
import { SqliteRuns } from './runs.ts';
import { SqliteDecisions } from './decisions.ts';
import { SqliteSnapshots } from './snapshots.ts';
import { SqliteCopies } from './copies.ts';
import { SqliteModels } from './models.ts';
import { SqliteUsers } from './users.ts';
import { SqliteGenerations } from './generations.ts';

export type DB = Database.Database;

export function migrate(db: DB): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest)
    throw new VitrineError(`The store is at schema version ${current}, newer than this vitrine knows (${latest}): upgrade vitrine.`, 'store');
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return latest;
}

export function openStore(file: string): Store {
  mkdirSync(dirname(file), { recursive: true });
  let db: DB;
  try {
    db = new Database(file);
  } catch (e) {
    throw new VitrineError(`Cannot open the store ${file}: ${(e as Error).message}`, 'store');
  }
  db.pragma('journal_mode = WAL');
  // NORMAL is durable at each checkpoint and never corrupts under WAL; a crash loses at most the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return {
    corpus: new SqliteCorpus(db),
    runs: new SqliteRuns(db),
    decisions: new SqliteDecisions(db),
    snapshots: new SqliteSnapshots(db),
    copies: new SqliteCopies(db),
    models: new SqliteModels(db),
    users: new SqliteUsers(db),
    generations: new SqliteGenerations(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    close: () => db.close(),
  };
}
