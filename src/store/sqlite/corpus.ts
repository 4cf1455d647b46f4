/** Accounts, posts, media, events and licence grants: the ingested corpus. */
import type { Statement } from 'better-sqlite3';
import type { Account, LedgerEvent, LicenceGrant, MediaInfo, MediaProblem, Post } from '../../core/types.ts';
import type { Visibility } from '../../core/dump.ts';
import type { CorpusRepo } from '../index.ts';
import type { DB } from './db.ts';

interface AccountRow {
  id: string; source: string; handle: string; display_name: string | null; language: string | null;
  created_at: string; birth_date: string | null; private_at_creation: number;
}
interface PostRow {
  id: string; source: string; account_id: string; created_at: string; visibility: string; caption: string;
  language: string | null; captions_json: string; alt_text: string | null; licence: string | null;
  rights_holder: string | null; attribution: string | null; media_sha256: string | null; media_problem: string | null;
}
interface MediaRow {
  sha256: string; pixel_sha256: string; format: string; width: number; height: number; bytes: number; phash: string;
  phash_quality: number; data_mining: string | null; digital_source_type: string | null; c2pa_training: string | null; has_gps: number;
  thumb: Buffer | null;
}
interface GrantRow {
  id: string; licence: string; account_id: string | null; post_id: string | null; rights_holder: string | null;
  granted_at: string; note: string | null; origin: string;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id, source: r.source, handle: r.handle, displayName: r.display_name, language: r.language,
  createdAt: r.created_at, birthDate: r.birth_date, privateAtCreation: r.private_at_creation === 1,
});
const toPost = (r: PostRow): Post => ({
  id: r.id, source: r.source, accountId: r.account_id, createdAt: r.created_at, visibility: r.visibility as Visibility,
  caption: r.caption, language: r.language, captions: JSON.parse(r.captions_json) as Record<string, string>,
  altText: r.alt_text, licence: r.licence, rightsHolder: r.rights_holder, attribution: r.attribution,
  mediaSha256: r.media_sha256, mediaProblem: r.media_problem as MediaProblem | null,
});
const toMedia = (r: MediaRow): MediaInfo => ({
  sha256: r.sha256, pixelSha256: r.pixel_sha256, format: r.format, width: r.width, height: r.height, bytes: r.bytes,
  phash: r.phash, phashQuality: r.phash_quality, dataMining: r.data_mining, digitalSourceType: r.digital_source_type,
  c2paTraining: r.c2pa_training as MediaInfo['c2paTraining'], hasGps: r.has_gps === 1,
  thumb: r.thumb ? new Uint8Array(r.thumb.buffer, r.thumb.byteOffset, r.thumb.byteLength) : null,
});
const toGrant = (r: GrantRow): LicenceGrant => ({
  id: r.id, licence: r.licence, accountId: r.account_id, postId: r.post_id, rightsHolder: r.rights_holder,
  grantedAt: r.granted_at, note: r.note, origin: r.origin as LicenceGrant['origin'],
});

export class SqliteCorpus implements CorpusRepo {
  private s: Record<string, Statement>;

  constructor(private db: DB) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      accountHash: p('SELECT record_hash FROM accounts WHERE id = ?'),
      putAccount: p(`INSERT INTO accounts (id, source, handle, display_name, language, created_at, birth_date, private_at_creation, record_hash)
        VALUES (@id, @source, @handle, @displayName, @language, @createdAt, @birthDate, @privateAtCreation, @recordHash)
        ON CONFLICT(id) DO UPDATE SET source=excluded.source, handle=excluded.handle, display_name=excluded.display_name,
        language=excluded.language, created_at=excluded.created_at, birth_date=excluded.birth_date,
        private_at_creation=excluded.private_at_creation, record_hash=excluded.record_hash`),
      getAccount: p('SELECT * FROM accounts WHERE id = ?'),
      allAccounts: p('SELECT * FROM accounts ORDER BY id'),
      postHash: p('SELECT record_hash FROM posts WHERE id = ?'),
      putPost: p(`INSERT INTO posts (id, source, account_id, created_at, visibility, caption, language, captions_json, alt_text, licence,
        rights_holder, attribution, media_sha256, media_problem, record_hash, ingested_at)
        VALUES (@id, @source, @accountId, @createdAt, @visibility, @caption, @language, @captionsJson, @altText, @licence,
        @rightsHolder, @attribution, @mediaSha256, @mediaProblem, @recordHash, @ingestedAt)
        ON CONFLICT(id) DO UPDATE SET source=excluded.source, account_id=excluded.account_id, created_at=excluded.created_at,
        visibility=excluded.visibility, caption=excluded.caption, language=excluded.language, captions_json=excluded.captions_json,
        alt_text=excluded.alt_text, licence=excluded.licence, rights_holder=excluded.rights_holder, attribution=excluded.attribution,
        media_sha256=excluded.media_sha256, media_problem=excluded.media_problem, record_hash=excluded.record_hash,
        ingested_at=excluded.ingested_at`),
      getPost: p('SELECT * FROM posts WHERE id = ?'),
      postsPage: p('SELECT * FROM posts WHERE id > ? ORDER BY id LIMIT 2000'),
      putMedia: p(`INSERT OR IGNORE INTO media (sha256, pixel_sha256, format, width, height, bytes, phash, phash_quality, data_mining,
        digital_source_type, c2pa_training, has_gps, thumb) VALUES (@sha256, @pixelSha256, @format, @width, @height, @bytes, @phash,
        @phashQuality, @dataMining, @digitalSourceType, @c2paTraining, @hasGps, @thumb)`),
      getMedia: p('SELECT * FROM media WHERE sha256 = ?'),
      allMedia: p('SELECT * FROM media ORDER BY sha256'),
      putEvent: p(`INSERT OR IGNORE INTO events (id, source, type, at, account_id, post_id, payload_json)
        VALUES (@id, @source, @type, @at, @accountId, @postId, @payload)`),
      eventsForPost: p('SELECT payload_json FROM events WHERE post_id = ? ORDER BY at, id'),
      eventsForAccount: p('SELECT payload_json FROM events WHERE account_id = ? AND post_id IS NULL ORDER BY at, id'),
      allEvents: p('SELECT payload_json FROM events ORDER BY at, id'),
      putGrant: p(`INSERT OR IGNORE INTO licence_grants (id, licence, account_id, post_id, rights_holder, granted_at, note, origin)
        VALUES (@id, @licence, @accountId, @postId, @rightsHolder, @grantedAt, @note, @origin)`),
      grants: p('SELECT * FROM licence_grants ORDER BY granted_at, id'),
      counts: p(`SELECT (SELECT count(*) FROM accounts) accounts, (SELECT count(*) FROM posts) posts, (SELECT count(*) FROM media) media,
        (SELECT count(*) FROM events) events, (SELECT count(*) FROM licence_grants) grants`),
    };
  }

  accountRecordHash(id: string): string | null {
    return (this.s.accountHash!.get(id) as { record_hash: string } | undefined)?.record_hash ?? null;
  }
  postRecordHash(id: string): string | null {
    return (this.s.postHash!.get(id) as { record_hash: string } | undefined)?.record_hash ?? null;
  }
  hasAccount(id: string): boolean {
    return this.accountRecordHash(id) !== null;
  }

  putAccount(a: Account, recordHash: string): boolean {
    if (this.accountRecordHash(a.id) === recordHash) return false;
    this.s.putAccount!.run({ ...a, privateAtCreation: a.privateAtCreation ? 1 : 0, recordHash });
    return true;
  }

  putPost(p: Post, recordHash: string, ingestedAt: string): boolean {
    if (this.postRecordHash(p.id) === recordHash) return false;
    this.s.putPost!.run({ ...p, captionsJson: JSON.stringify(p.captions), recordHash, ingestedAt });
    return true;
  }

  putMedia(m: MediaInfo): void {
    this.s.putMedia!.run({ ...m, hasGps: m.hasGps ? 1 : 0, thumb: m.thumb ? Buffer.from(m.thumb) : null });
  }

  putEvent(e: LedgerEvent): boolean {
    const postId = 'postId' in e ? (e.postId ?? null) : null;
    const accountId = 'accountId' in e ? (e.accountId ?? null) : null;
    return this.s.putEvent!.run({ id: e.id, source: e.source, type: e.type, at: e.at, accountId, postId, payload: JSON.stringify(e) }).changes > 0;
  }

  putGrant(g: LicenceGrant): boolean {
    return this.s.putGrant!.run(g).changes > 0;
  }

  getAccount(id: string): Account | null {
    const r = this.s.getAccount!.get(id) as AccountRow | undefined;
    return r ? toAccount(r) : null;
  }
  getPost(id: string): Post | null {
    const r = this.s.getPost!.get(id) as PostRow | undefined;
    return r ? toPost(r) : null;
  }
  getMedia(sha256: string): MediaInfo | null {
    const r = this.s.getMedia!.get(sha256) as MediaRow | undefined;
    return r ? toMedia(r) : null;
  }

  *allAccounts(): IterableIterator<Account> {
    for (const r of this.s.allAccounts!.iterate()) yield toAccount(r as AccountRow);
  }
  /** Keyset pages rather than one open cursor, so callers may write to the store between items. */
  *allPosts(): IterableIterator<Post> {
    let after = '';
    for (;;) {
      const rows = this.s.postsPage!.all(after) as PostRow[];
      for (const r of rows) yield toPost(r);
      if (rows.length < 2000) return;
      after = rows[rows.length - 1]!.id;
    }
  }
  *allMedia(): IterableIterator<MediaInfo> {
    for (const r of this.s.allMedia!.iterate()) yield toMedia(r as MediaRow);
  }
  *allEvents(): IterableIterator<LedgerEvent> {
    for (const r of this.s.allEvents!.iterate()) yield JSON.parse((r as { payload_json: string }).payload_json) as LedgerEvent;
  }

  eventsFor(t: { postId?: string; accountId?: string }): LedgerEvent[] {
    const rows = t.postId ? this.s.eventsForPost!.all(t.postId) : this.s.eventsForAccount!.all(t.accountId);
    return (rows as { payload_json: string }[]).map((r) => JSON.parse(r.payload_json) as LedgerEvent);
  }

  grants(): LicenceGrant[] {
    return (this.s.grants!.all() as GrantRow[]).map(toGrant);
  }

  counts() {
    return this.s.counts!.get() as { accounts: number; posts: number; media: number; events: number; grants: number };
  }
}
