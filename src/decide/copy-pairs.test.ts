import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openStore, FileMediaStore, type Store } from '../store/index.ts';
import { ingest } from '../ingest/index.ts';
import { decide } from './index.ts';
import { loadPolicy } from './policy.ts';
import { photo, writeDump } from '../../test/helpers/dump.ts';

let dir: string;
let store: Store;
let media: FileMediaStore;
const policy = loadPolicy();
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vitrine-copies-'));
  store = openStore(join(dir, 'data', 'vitrine.db'));
  media = new FileMediaStore(join(dir, 'data', 'media'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cropped-copy pairs across decisions', () => {
  it('finds a copy ingested after the original was decided, and keeps it out when the original is private', async () => {
    const original = await photo('#3a3', 5, 160);
    const others = await Promise.all([1, 2, 3].map((n) => photo('#3a3', n * 3, 160)));
    const files = { 'media/orig.png': original, ...Object.fromEntries(others.map((o, k) => [`media/o${k}.png`, o])) };
    const accounts = [{ id: 'a1' }, { id: 'a2' }];
    const posts = [
      { id: 'orig', accountId: 'a1', visibility: 'followers' as const, createdAt: '2024-01-01T00:00:00Z' },
      ...others.map((_, k) => ({ id: `o${k}`, accountId: 'a1', createdAt: '2024-01-02T00:00:00Z' })),
    ];
    await ingest(store, media, writeDump(join(dir, 'd1'), { accounts, posts, files }));
    decide(store, policy);
    expect(store.copies.state().upto).toBeGreaterThan(0);

    // Someone re-posts the private photo publicly, cropped 8 % on two sides and re-encoded.
    const copy = await sharp(original).extract({ left: 13, top: 0, width: 147, height: 147 }).resize(120, 120).jpeg({ quality: 70 }).toBuffer();
    await ingest(store, media, writeDump(join(dir, 'd2'), {
      accounts, posts: [...posts, { id: 'copy', accountId: 'a2', createdAt: '2024-02-01T00:00:00Z' }],
      files: { ...files, 'media/copy.png': copy },
    }));
    decide(store, policy);
    const d = store.decisions.get('copy')!;
    expect(d.reason).toBe('copy_of_restricted_original');
    expect(d.signal).toContain('orig');
    for (let k = 0; k < 3; k++) expect(store.decisions.get(`o${k}`)!.eligible).toBe(true);
  });
});
