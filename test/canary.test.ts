/**
 * Canaries: the demo plants private photos whose picture and caption token
 * are unique and recorded, some of them re-posted publicly by others. After
 * ingest → decide → snapshot, no shard may hold a canary's token, its post,
 * its picture, or any copy of its picture.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo, type DemoResult } from '../src/ingest/demo/index.ts';
import { openStore, FileMediaStore, type Store } from '../src/store/index.ts';
import { ingest } from '../src/ingest/index.ts';
import { decide } from '../src/decide/index.ts';
import { loadPolicy } from '../src/decide/policy.ts';
import { createSnapshot, type SnapshotResult } from '../src/snapshot/index.ts';
import { readTar } from '../src/snapshot/tar.ts';
import { hammingHex, phashOfImage } from '../src/decide/phash.ts';

let dir: string;
let demo: DemoResult;
let store: Store;
let snap: SnapshotResult;
const policy = loadPolicy();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vitrine-canary-'));
  demo = await generateDemo({ accounts: 60, posts: 800, seed: 11, out: join(dir, 'demo') });
  store = openStore(join(dir, 'data', 'vitrine.db'));
  const media = new FileMediaStore(join(dir, 'data', 'media'));
  await ingest(store, media, demo.path);
  decide(store, policy);
  snap = await createSnapshot(store, media, join(dir, 'data'), policy);
}, 240_000);
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('canaries', () => {
  it('the demo planted canaries, some re-posted publicly by others', () => {
    expect(demo.canaries.length).toBeGreaterThanOrEqual(5);
    const truth = readFileSync(join(demo.path, 'demo-truth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const canaryIds = new Set(demo.canaries.map((c) => c.postId));
    const reposts = truth.filter((t) => t.originalPostId && canaryIds.has(t.originalPostId));
    expect(reposts.length).toBeGreaterThan(0);
    const posts = readFileSync(join(demo.path, 'posts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const publicReposts = reposts.filter((r) => posts.find((p) => p.id === r.postId)?.visibility === 'public');
    expect(publicReposts.length).toBeGreaterThan(0);
  });

  it('no canary post, token, picture or copy of a picture is in any shard', async () => {
    const canaryHashes = await Promise.all(
      demo.canaries.map(async (c) => {
        const post = store.corpus.getPost(c.postId)!;
        return (await phashOfImage(readFileSync(join(dir, 'data', 'media', post.mediaSha256!.slice(0, 2), post.mediaSha256!.slice(2, 4), post.mediaSha256!)))).hash;
      }),
    );
    const canaryIds = new Set(demo.canaries.map((c) => c.postId));
    let images = 0;
    for (const f of readdirSync(snap.path).filter((n) => n.endsWith('.tar'))) {
      for (const e of readTar(readFileSync(join(snap.path, f)))) {
        if (e.name.endsWith('.json')) {
          const text = e.data.toString('utf8');
          for (const c of demo.canaries) expect(text, `canary token ${c.token} leaked into ${f}/${e.name}`).not.toContain(c.token);
          expect(canaryIds.has(JSON.parse(text).postId)).toBe(false);
        } else {
          images += 1;
          const h = (await phashOfImage(e.data)).hash;
          for (const ch of canaryHashes) expect(hammingHex(h, ch), `a canary picture is in ${f}/${e.name}`).toBeGreaterThan(policy.dedup.threshold);
        }
      }
    }
    expect(images).toBe(snap.items);
    expect(images).toBeGreaterThan(50);
  });

  it('every re-post of a canary was kept out as a copy of a restricted original (or for its own reason)', () => {
    const truth = readFileSync(join(demo.path, 'demo-truth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const canaryIds = new Set(demo.canaries.map((c) => c.postId));
    for (const t of truth.filter((x) => x.originalPostId && canaryIds.has(x.originalPostId))) {
      const d = store.decisions.get(t.postId)!;
      expect(d.eligible, `re-post ${t.postId} of canary ${t.originalPostId}`).toBe(false);
    }
  });
});

describe('what a shard holds', () => {
  it('images carry no metadata (no EXIF, GPS, XMP, ICC: only IHDR, IDAT, IEND) and captions no personal data', async () => {
    const posts = readFileSync(join(demo.path, 'posts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // The demo planted personal data in captions, and GPS in images: there was something to remove.
    expect(posts.some((p) => /@\S+\.\w{2,}/.test(p.caption))).toBe(true);
    const gpsPosts = posts.filter((p) => store.corpus.getPost(p.id)?.mediaSha256 && store.corpus.getMedia(store.corpus.getPost(p.id)!.mediaSha256!)!.hasGps);
    expect(gpsPosts.length).toBeGreaterThan(0);
    const datasheet = JSON.parse(readFileSync(join(snap.path, 'datasheet.json'), 'utf8'));
    expect(datasheet.processing.removedFromCaptions.emails + datasheet.processing.removedFromCaptions.handles).toBeGreaterThan(0);

    for (const f of readdirSync(snap.path).filter((n) => n.endsWith('.tar'))) {
      for (const e of readTar(readFileSync(join(snap.path, f)))) {
        if (e.name.endsWith('.png')) {
          const chunks: string[] = [];
          for (let off = 8; off < e.data.length; ) {
            const len = e.data.readUInt32BE(off);
            chunks.push(e.data.toString('latin1', off + 4, off + 8));
            off += 12 + len;
          }
          expect(chunks, e.name).toEqual(['IHDR', 'IDAT', 'IEND']);
        } else {
          const rec = JSON.parse(e.data.toString('utf8'));
          for (const c of rec.captions) {
            expect(c.text, e.name).not.toMatch(/[\w.+-]+@[\w-]+\.\w{2,}|https?:\/\/|(?<![\w])@\w/);
            expect(c.text.replace(/\D/g, '').length >= 8 && /\d[\d\s().-]{6,}\d/.test(c.text), `${e.name}: ${c.text}`).toBe(false);
          }
        }
      }
    }
  });
});

