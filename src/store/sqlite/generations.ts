/** Generations (a prompt's images), feedback events and favourites. */
import type { Statement } from 'better-sqlite3';
import type { FeedbackEvent, FeedbackKind, Generation, GenerationImage, GenerationsRepo, GenerationStatus } from '../index.ts';
import type { DB } from './db.ts';

interface GenRow {
  id: string; user_id: string; prompt: string; settings_json: string; model_id: string; variation_of: string | null; variation_index: number | null;
  status: GenerationStatus; error: string | null; created_at: string; finished_at: string | null; milliseconds: number | null;
}
interface ImageRow { generation_id: string; idx: number; sha256: string; native_sha256: string; candidate: number; score: number | null }
interface FeedbackRow { id: number; user_id: string; generation_id: string; idx: number; kind: FeedbackKind; reason: string | null; at: string }

const toFeedback = (r: FeedbackRow): FeedbackEvent => ({
  id: r.id, userId: r.user_id, generationId: r.generation_id, index: r.idx, kind: r.kind, reason: r.reason, at: r.at,
});

export class SqliteGenerations implements GenerationsRepo {
  private s: Record<string, Statement>;
  constructor(private db: DB) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insert: p(`INSERT INTO generations (id, user_id, prompt, settings_json, model_id, variation_of, variation_index, status, error, created_at, finished_at, milliseconds)
        VALUES (@id, @userId, @prompt, @settings, @modelId, @variationOf, @variationIndex, @status, @error, @createdAt, @finishedAt, @milliseconds)`),
      status: p('UPDATE generations SET status = ?, finished_at = COALESCE(?, finished_at), error = ? WHERE id = ?'),
      done: p("UPDATE generations SET status = 'done', finished_at = ?, milliseconds = ?, error = NULL WHERE id = ?"),
      image: p('INSERT INTO generation_images (generation_id, idx, sha256, native_sha256, candidate, score) VALUES (?, ?, ?, ?, ?, ?)'),
      get: p('SELECT * FROM generations WHERE id = ?'),
      images: p('SELECT * FROM generation_images WHERE generation_id = ? ORDER BY idx'),
      history: p('SELECT * FROM generations WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?'),
      // The cursor must be one of the same user's generations: any generation id used to work as a cursor,
      // which told a user when someone else's generation was made (and paged past nothing of theirs).
      historyBefore: p(`SELECT * FROM generations WHERE user_id = @userId
        AND (created_at, id) < (SELECT created_at, id FROM generations WHERE id = @before AND user_id = @userId)
        ORDER BY created_at DESC, id DESC LIMIT @limit`),
      failUnfinished: p("UPDATE generations SET status = 'failed', finished_at = ?, error = 'The service stopped before these images were made; ask again.' WHERE status IN ('queued', 'running')"),
      addFeedback: p('INSERT INTO feedback_events (user_id, generation_id, idx, kind, reason, at) VALUES (?, ?, ?, ?, ?, ?)'),
      feedbackFor: p('SELECT * FROM feedback_events WHERE generation_id = ? ORDER BY id'),
      allFeedback: p('SELECT * FROM feedback_events ORDER BY id'),
      favOn: p('INSERT OR IGNORE INTO favourites (user_id, generation_id, idx, at) VALUES (?, ?, ?, ?)'),
      favOff: p('DELETE FROM favourites WHERE user_id = ? AND generation_id = ? AND idx = ?'),
      favourites: p('SELECT generation_id generationId, idx "index", at FROM favourites WHERE user_id = ? ORDER BY at DESC, generation_id, idx'),
      volume: p("SELECT substr(at, 1, 10) day, kind, COUNT(*) count FROM feedback_events GROUP BY day, kind ORDER BY day, kind"),
      counts: p('SELECT status, COUNT(*) n FROM generations GROUP BY status'),
    };
  }
  private toGeneration(r: GenRow): Generation {
    const images = (this.s.images!.all(r.id) as ImageRow[]).map(
      (i): GenerationImage => ({ index: i.idx, sha256: i.sha256, nativeSha256: i.native_sha256, candidate: i.candidate, score: i.score }),
    );
    return {
      id: r.id, userId: r.user_id, prompt: r.prompt, settings: JSON.parse(r.settings_json), modelId: r.model_id,
      variationOf: r.variation_of === null ? null : { generation: r.variation_of, index: r.variation_index ?? 0 },
      status: r.status, error: r.error, createdAt: r.created_at, finishedAt: r.finished_at, milliseconds: r.milliseconds, images,
    };
  }
  create(g: Generation): void {
    this.s.insert!.run({
      ...g, settings: JSON.stringify(g.settings), variationOf: g.variationOf?.generation ?? null, variationIndex: g.variationOf?.index ?? null,
    });
  }
  setStatus(id: string, status: GenerationStatus, at: string | null, error: string | null = null): void {
    this.s.status!.run(status, at, error, id);
  }
  finish(id: string, images: readonly GenerationImage[], at: string, milliseconds: number): void {
    this.db.transaction(() => {
      for (const i of images) this.s.image!.run(id, i.index, i.sha256, i.nativeSha256, i.candidate, i.score);
      this.s.done!.run(at, milliseconds, id);
    })();
  }
  get(id: string): Generation | null {
    const r = this.s.get!.get(id) as GenRow | undefined;
    return r ? this.toGeneration(r) : null;
  }
  history(userId: string, limit: number, before?: string): Generation[] {
    const rows = (before ? this.s.historyBefore!.all({ userId, before, limit }) : this.s.history!.all(userId, limit)) as GenRow[];
    return rows.map((r) => this.toGeneration(r));
  }
  failUnfinished(at: string): number {
    return this.s.failUnfinished!.run(at).changes;
  }
  addFeedback(e: Omit<FeedbackEvent, 'id'>): number {
    return Number(this.s.addFeedback!.run(e.userId, e.generationId, e.index, e.kind, e.reason, e.at).lastInsertRowid);
  }
  feedbackFor(generationId: string): FeedbackEvent[] {
    return (this.s.feedbackFor!.all(generationId) as FeedbackRow[]).map(toFeedback);
  }
  *allFeedback(): IterableIterator<FeedbackEvent> {
    for (const r of this.s.allFeedback!.iterate() as IterableIterator<FeedbackRow>) yield toFeedback(r);
  }
  setFavourite(userId: string, generationId: string, index: number, on: boolean, at: string): boolean {
    const r = on ? this.s.favOn!.run(userId, generationId, index, at) : this.s.favOff!.run(userId, generationId, index);
    return r.changes === 1;
  }
  favourites(userId: string): { generationId: string; index: number; at: string }[] {
    return this.s.favourites!.all(userId) as { generationId: string; index: number; at: string }[];
  }
  feedbackVolume(): { day: string; kind: FeedbackKind; count: number }[] {
    return this.s.volume!.all() as { day: string; kind: FeedbackKind; count: number }[];
  }
  counts(): Record<GenerationStatus, number> {
    const out: Record<GenerationStatus, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
    for (const r of this.s.counts!.all() as { status: GenerationStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }
}
