import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, readdirSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, FileMediaStore, type Store } from '../store/index.ts';
import { ingest } from './index.ts';
import { png, writeDump } from '../../test/helpers/dump.ts';
import { crc32 } from './pixels.ts';

let dir: string;
let store: Store;
let media: FileMediaStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vitrine-ingest-'));
  store = openStore(join(dir, 'data', 'vitrine.db'));
  media = new FileMediaStore(join(dir, 'data', 'media'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A PNG header claiming 100000×100000 pixels, with a valid CRC: a decompression bomb's calling card. */
function bombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100000, 0);
  ihdr.writeUInt32BE(100000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const body = Buffer.concat([Buffer.from('IHDR'), ihdr]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(13);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc32(body));
  const iend = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), len, body, c, iend]);
}

describe('ingest of a platform dump', () => {
  it('stores accounts, posts, media and events, and is idempotent', async () => {
    const root = writeDump(join(dir, 'dump'), {
      accounts: [{ id: 'a1' }, { id: 'a2' }],
      posts: [{ id: 'p1', accountId: 'a1' }, { id: 'p2', accountId: 'a2' }],
      events: [{ id: 'e1', at: '2025-01-01T00:00:00Z', type: 'account.objection', accountId: 'a2' }],
      files: { 'media/p1.png': await png('#f00'), 'media/p2.png': await png('#00f', 96, 3) },
    });
    const r1 = await ingest(store, media, root);
    expect(r1.counts).toMatchObject({ accounts: 2, posts: 2, events: 1, issues: 0 });
    const post = store.corpus.getPost('p1')!;
    expect(post.mediaSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await media.has(post.mediaSha256!)).toBe(true);
    const ledger = store.runs.ledgerVersion();

    const r2 = await ingest(store, media, root);
    expect(r2.counts).toMatchObject({ accounts: 0, posts: 0, events: 0, issues: 0 });
    expect(r2.counts.unchanged).toBe(5);
    expect(store.corpus.counts()).toMatchObject({ accounts: 2, posts: 2, events: 1 });
    expect(store.runs.ledgerVersion()).toBe(ledger);
  });

  it('takes a newer dump incrementally: new events join the ledger', async () => {
    const files = { 'media/p1.png': await png('#f00') };
    const root = writeDump(join(dir, 'd1'), { accounts: [{ id: 'a1' }], posts: [{ id: 'p1', accountId: 'a1' }], files });
    await ingest(store, media, root);
    const newer = writeDump(join(dir, 'd2'), {
      accounts: [{ id: 'a1' }],
      posts: [{ id: 'p1', accountId: 'a1' }],
      events: [{ id: 'e9', at: '2025-05-05T00:00:00Z', type: 'post.deleted', postId: 'p1' }],
      files,
    });
    const r = await ingest(store, media, newer);
    expect(r.counts).toMatchObject({ posts: 0, events: 1 });
    expect(store.corpus.eventsFor({ postId: 'p1' }).map((e) => e.type)).toEqual(['post.deleted']);
  });

  it('records every bad item with a clear reason, keeps going, and loses nothing stored', async () => {
    const good = await png('#0a0');
    const root = writeDump(join(dir, 'bad'), {
      accounts: [{ id: 'a1' }],
      posts: [
        { id: 'good', accountId: 'a1' },
        { id: 'missing', accountId: 'a1' },
        { id: 'empty', accountId: 'a1' },
        { id: 'text', accountId: 'a1' },
        { id: 'bomb', accountId: 'a1' },
        { id: 'escape', accountId: 'a1', media: { path: '../../etc/passwd' } },
        { id: 'absolute', accountId: 'a1', media: { path: '/etc/hostname' } },
        { id: 'link', accountId: 'a1', media: { path: 'media/link.png' } },
        { id: 'truncpng', accountId: 'a1' },
        { id: 'orphan', accountId: 'nobody' },
        { id: 'badvis', accountId: 'a1', visibility: 'friends' as never },
      ],
      rawLines: { 'posts.jsonl': ['{"id": "broken", "accountId": "a1", '], 'events.jsonl': ['{"id":"e1","at":"2025-01-01T00:00:00Z","type":"post.liked","postId":"good"}'] },
      truncatedTail: { 'posts.jsonl': '{"id":"cut","accountId":"a1","createdAt":"2024-03-01T00:00:00Z","visibility":"pub' },
      files: {
        'media/good.png': good,
        'media/empty.png': Buffer.alloc(0),
        'media/text.png': 'this is not an image, just text under an image name\n',
        'media/bomb.png': bombPng(),
        'media/truncpng.png': good.subarray(0, Math.floor(good.length / 2)),
      },
    });
    symlinkSync('/etc/hostname', join(root, 'media', 'link.png'));
    const r = await ingest(store, media, root);
    const issues = store.runs.issues(r.runId);
    const byItem = (needle: string) => issues.find((i) => i.item.includes(needle));
    expect(byItem('post missing')?.code).toBe('media_missing');
    expect(byItem('post empty')?.code).toBe('media_empty');
    expect(byItem('post text')?.code).toBe('media_not_image');
    expect(byItem('post bomb')?.code).toBe('media_too_large');
    expect(byItem('post escape')?.code).toBe('media_path_escape');
    expect(byItem('post absolute')?.code).toBe('media_path_escape');
    expect(byItem('post link')?.code).toBe('media_path_escape');
    expect(byItem('post truncpng')?.code).toBe('media_corrupt');
    expect(byItem('post orphan')?.code).toBe('unknown_account');
    expect(issues.find((i) => i.code === 'invalid_record')?.detail).toMatch(/visibility/);
    expect(issues.find((i) => i.code === 'malformed_json')?.item).toMatch(/^posts\.jsonl:\d+$/);
    expect(issues.find((i) => i.code === 'truncated_line')?.item).toMatch(/^posts\.jsonl:\d+$/);
    expect(issues.find((i) => i.code === 'unknown_event_type')?.detail).toMatch(/post\.liked/);
    for (const i of issues) expect(i.detail.length).toBeGreaterThan(5);

    // The good post is stored; the posts with bad media are stored as unusable, with the reason.
    expect(store.corpus.getPost('good')!.mediaSha256).not.toBeNull();
    expect(store.corpus.getPost('bomb')!.mediaProblem).toBe('media_too_large');
    expect(store.corpus.getPost('orphan')).toBeNull();
    // Nothing was written outside the data folder, and only the good image was stored.
    const stored = readdirSync(join(dir, 'data', 'media'), { recursive: true }).filter((f) => String(f).length > 10);
    expect(stored).toHaveLength(1);
  });

  it('never replaces a good stored image with a failure from a later, broken dump', async () => {
    const files = { 'media/p1.png': await png('#f00') };
    await ingest(store, media, writeDump(join(dir, 'd1'), { accounts: [{ id: 'a1' }], posts: [{ id: 'p1', accountId: 'a1' }], files }));
    const before = store.corpus.getPost('p1')!;
    await ingest(store, media, writeDump(join(dir, 'd2'), { accounts: [{ id: 'a1' }], posts: [{ id: 'p1', accountId: 'a1', caption: 'edited' }], files: { 'media/p1.png': Buffer.alloc(0) } }));
    expect(store.corpus.getPost('p1')!.mediaSha256).toBe(before.mediaSha256);
  });

  it('retries media that failed once the file is fixed', async () => {
    const root = writeDump(join(dir, 'd'), { accounts: [{ id: 'a1' }], posts: [{ id: 'p1', accountId: 'a1' }], files: { 'media/p1.png': Buffer.alloc(0) } });
    await ingest(store, media, root);
    expect(store.corpus.getPost('p1')!.mediaProblem).toBe('media_empty');
    writeFileSync(join(root, 'media/p1.png'), await png('#f00'));
    await ingest(store, media, root);
    expect(store.corpus.getPost('p1')!.mediaProblem).toBeNull();
  });

  it('rejects a folder that is not a dump with a message naming it', async () => {
    await expect(ingest(store, media, join(dir, 'nothing'))).rejects.toThrow(/nothing.*not an export vitrine can read/);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'vitrine-platform-dump', version: 99, platform: 'x', exportedAt: '2025-01-01T00:00:00Z' }));
    await expect(ingest(store, media, dir)).rejects.toThrow(/version 99 is not supported/);
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toContain('99');
  });
});
