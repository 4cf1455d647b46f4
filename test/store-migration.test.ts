/**
 * Upgrading a store: one made by the previous release (schema 4: corpus,
 * decisions, snapshots, models) and holding data is opened by this code, which
 * migrates it to schema 5 (the imagine service) and keeps every row; the new
 * tables work at once, a second open changes nothing, and a store newer than
 * the code is refused rather than touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../src/store/migrations/index.ts';
import { SqliteCorpus } from '../src/store/sqlite/corpus.ts';
import { openStore } from '../src/store/index.ts';
import { createUser, issueCredential, authenticate } from '../src/service/auth.ts';
import { recordFeedback } from '../src/feedback/events.ts';
import { account, media, post } from './helpers/facts.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vitrine-migrate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A store as the release before the service made it: migrations 1 to 4 only, with data in it. */
function storeAtVersion4(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  const corpus = new SqliteCorpus(db);
  corpus.putAccount(account({ id: 'a1', handle: 'ana' }), 'hash-a1');
  corpus.putMedia(media({ sha256: 'a'.repeat(64) }));
  corpus.putPost(post({ id: 'p1', accountId: 'a1', mediaSha256: 'a'.repeat(64) }), 'hash-p1', '2025-01-01T00:00:00.000Z');
  db.prepare("INSERT INTO snapshots (id, path, created_at, policy_version, decide_run_id, items, datasheet_json) VALUES ('snap-1', '/s', '2025-02-01T00:00:00.000Z', 'default@1', 1, 1, '{}')").run();
  db.prepare("INSERT INTO snapshot_items (snapshot_id, key, post_id, media_sha256, image_sha256) VALUES ('snap-1', 'k1', 'p1', ?, ?)").run('a'.repeat(64), 'b'.repeat(64));
  db.prepare(
    `INSERT INTO models (id, path, created_at, kind, snapshot_id, policy_version, parent_id, config_name, config_json, code_version, train_seconds, images_seen, hardware_json, card_json)
     VALUES ('model-1', '/m', '2025-03-01T00:00:00.000Z', 'text-to-image', 'snap-1', 'default@1', NULL, 'tiny', '{"steps":1}', 'c0de', 12.5, 640, '{}', '{"id":"model-1"}')`,
  ).run();
  db.prepare("INSERT INTO model_evals (model_id, judge_id, created_at, results_json) VALUES ('model-1', 'judge-1', '2025-03-02T00:00:00.000Z', '{\"fid\":1.5}')").run();
  expect(db.pragma('user_version', { simple: true })).toBe(4);
  db.close();
}

const tables = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      names: (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name),
      integrity: db.pragma('integrity_check', { simple: true }),
      foreignKeys: db.pragma('foreign_key_check') as unknown[],
    };
  } finally {
    db.close();
  }
};

describe('migration 4 -> 5', () => {
  it('opens a store of schema 4, migrates it to 5 and keeps its data', async () => {
    const file = join(dir, 'v4.db');
    storeAtVersion4(file);
    const before = tables(file);
    expect(before.names).not.toContain('users');

    const store = openStore(file);
    try {
      const after = tables(file);
      expect(after.version).toBe(5);
      expect(after.version).toBe(MIGRATIONS.at(-1)!.version);
      for (const t of ['users', 'credentials', 'feedback_terms', 'generations', 'generation_images', 'feedback_events', 'favourites', 'service_state']) expect(after.names).toContain(t);
      for (const t of before.names) expect(after.names).toContain(t);
      expect(after.integrity).toBe('ok');
      expect(after.foreignKeys).toEqual([]);

      // The old data, through the current code.
      expect(store.corpus.getAccount('a1')).toMatchObject({ id: 'a1', handle: 'ana' });
      expect(store.corpus.getPost('p1')).toMatchObject({ id: 'p1', accountId: 'a1', caption: 'un renard sur fond bleu' });
      expect(store.corpus.counts()).toMatchObject({ accounts: 1, posts: 1, media: 1 });
      expect(store.snapshots.get('snap-1')).toMatchObject({ id: 'snap-1', items: 1 });
      expect(store.snapshots.containing('p1')).toEqual(['snap-1']);
      expect(store.models.get('model-1')).toMatchObject({ id: 'model-1', kind: 'text-to-image', snapshotId: 'snap-1', config: { steps: 1 }, imagesSeen: 640 });
      expect(store.models.evals('model-1')).toEqual([{ modelId: 'model-1', judgeId: 'judge-1', createdAt: '2025-03-02T00:00:00.000Z', results: { fid: 1.5 } }]);
      expect(store.models.trainedOn('snap-1').map((m) => m.id)).toEqual(['model-1']);
      // Nothing promoted yet: the committed default is in use.
      expect(store.models.active()).toBeNull();

      // The new tables work at once.
      const u = await createUser(store, 'ana-user', 'a long password');
      const { secret } = issueCredential(store, u.id, 'api', 'script');
      expect(authenticate(store, secret)?.user.id).toBe(u.id);
      store.users.setFeedbackTerms(u.id, true, 'feedback-terms-1', '2026-01-01T00:00:00.000Z');
      store.generations.create({
        id: 'gen-1', userId: u.id, prompt: 'imagine a fox', modelId: 'model-1', variationOf: null, status: 'queued', error: null,
        settings: { seed: 1, steps: 2, guidance: 4, method: 'euler', shift: 1, size: 32, count: 4, candidates: 4, reward: null, strength: null },
        createdAt: '2026-01-01T00:00:00.000Z', finishedAt: null, milliseconds: null, images: [],
      });
      store.generations.finish('gen-1', [0, 1, 2, 3].map((index) => ({ index, sha256: `${index}`.repeat(64), nativeSha256: `${index}`.repeat(64), candidate: index, score: null })), '2026-01-01T00:00:01.000Z', 1000);
      recordFeedback(store, u, { generation: 'gen-1', index: 2, kind: 'pick' }, '2026-01-01T00:00:02.000Z');
      store.models.setActive('model-1');
    } finally {
      store.close();
    }

    // Opened again: nothing is migrated twice, and everything is still there.
    const again = openStore(file);
    try {
      expect(tables(file).version).toBe(5);
      expect(again.corpus.getAccount('a1')?.handle).toBe('ana');
      expect(again.users.byName('ana-user')?.name).toBe('ana-user');
      expect(again.users.contributors().size).toBe(1);
      expect(again.generations.get('gen-1')).toMatchObject({ status: 'done', images: [{ index: 0 }, { index: 1 }, { index: 2 }, { index: 3 }] });
      expect(again.generations.feedbackFor('gen-1').map((e) => e.kind)).toEqual(['pick']);
      expect(again.models.active()).toBe('model-1');
    } finally {
      again.close();
    }
  });

  it('a fresh store is created at the latest schema', () => {
    const file = join(dir, 'fresh.db');
    openStore(file).close();
    expect(tables(file).version).toBe(MIGRATIONS.at(-1)!.version);
  });

  it('a store newer than this code is refused, and left as it was', () => {
    const file = join(dir, 'future.db');
    openStore(file).close();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openStore(file)).toThrow(/schema version 99, newer than this vitrine knows \(5\)/);
    expect(tables(file).version).toBe(99);
  });

  it('a migration that fails leaves the store at its previous version', () => {
    const file = join(dir, 'clash.db');
    storeAtVersion4(file);
    // Something in the way of migration 5: a table of that name already there.
    const db = new Database(file);
    db.exec('CREATE TABLE favourites (x)');
    db.close();
    expect(() => openStore(file)).toThrow(/favourites/);
    const t = tables(file);
    expect(t.version).toBe(4);
    expect(t.names).not.toContain('users');
  });
});
