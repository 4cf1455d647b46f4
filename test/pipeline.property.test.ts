/**
 * The privacy guarantee end to end, through real files: random small
 * platforms (real images, real copies re-encoded as JPEG and resized) are
 * written as dumps, ingested, decided and snapshotted; then the shards
 * themselves are read back. No forbidden post's id, caption token or
 * picture — nor any copy of it — is in any shard.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openStore, FileMediaStore } from '../src/store/index.ts';
import { ingest } from '../src/ingest/index.ts';
import { decide } from '../src/decide/index.ts';
import { loadPolicy } from '../src/decide/policy.ts';
import { createSnapshot } from '../src/snapshot/index.ts';
import { readTar } from '../src/snapshot/tar.ts';
import { phashOfImage, hammingHex } from '../src/decide/phash.ts';
import type { DumpEvent, Visibility } from '../src/core/dump.ts';
import { photo, writeDump } from './helpers/dump.ts';

const root = mkdtempSync(join(tmpdir(), 'vitrine-pipeline-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const policy = loadPolicy();
const COLOURS = ['#d33', '#3a3', '#33d', '#eb2', '#2bb', '#b2b', '#777', '#f72', '#5d8', '#85d', '#d85', '#2d2'];

const postArb = fc.record({
  account: fc.nat({ max: 4 }),
  visibility: fc.constantFrom<Visibility>('public', 'public', 'public', 'followers', 'direct', 'unlisted'),
  copyOf: fc.option(fc.nat(), { nil: undefined }),
  jpeg: fc.boolean(),
  /** How a re-poster changed the picture: re-encoded and resized, lightly cropped, or shifted. */
  transform: fc.constantFrom('resize', 'crop', 'shift'),
  cut: fc.record({ l: fc.integer({ min: 0, max: 8 }), t: fc.integer({ min: 0, max: 8 }), dx: fc.integer({ min: -4, max: 4 }) }),
  licence: fc.constantFrom('Apache-2.0', 'CC-BY-4.0', 'CC-BY-4.0', null),
  deleted: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
  objected: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
});
const accountArb = fc.record({ minor: fc.integer({ min: 0, max: 4 }).map((n) => n === 0), private: fc.integer({ min: 0, max: 4 }).map((n) => n === 0) });

let run = 0;
describe('ingest → decide → snapshot, over random platforms', () => {
  it('no forbidden post or copy of one ever reaches a shard', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(accountArb, { minLength: 5, maxLength: 5 }), fc.array(postArb, { minLength: 2, maxLength: 12 }), async (accounts, posts) => {
        const dir = join(root, `r${run++}`);
        const files: Record<string, Buffer> = {};
        const pictureOf: number[] = [];
        const events: DumpEvent[] = [];
        for (const [i, p] of posts.entries()) {
          // A copy shows an earlier post's picture, re-encoded and resized, as re-posters do.
          const picture = p.copyOf !== undefined && i > 0 ? pictureOf[p.copyOf % i]! : i;
          pictureOf.push(picture);
          let img = await photo(COLOURS[picture % COLOURS.length]!, picture);
          if (picture !== i) {
            let s = sharp(img);
            if (p.transform === 'crop') s = sharp(await s.extract({ left: p.cut.l * 1.28 | 0, top: p.cut.t * 1.28 | 0, width: 118, height: 116 }).toBuffer());
            if (p.transform === 'shift') {
              const wide = await s.extend({ left: Math.max(0, p.cut.dx), right: Math.max(0, -p.cut.dx), extendWith: 'copy' }).toBuffer();
              s = sharp(await sharp(wide).extract({ left: Math.max(0, -p.cut.dx), top: 0, width: 128, height: 128 }).toBuffer());
            }
            img = await s.resize(100, 100, { fit: 'fill' }).jpeg({ quality: p.jpeg ? 70 : 90 }).toBuffer();
          }
          files[`media/p${i}.png`] = img;
          if (p.deleted) events.push({ id: `d${i}`, at: '2025-01-01T00:00:00Z', type: 'post.deleted', postId: `p${i}` });
          if (p.objected) events.push({ id: `o${i}`, at: '2025-01-01T00:00:00Z', type: 'post.objection', postId: `p${i}` });
        }
        writeDump(dir, {
          accounts: accounts.map((a, i) => ({ id: `a${i}`, birthDate: a.minor ? '2012-01-01' : '1990-01-01', private: a.private })),
          posts: posts.map((p, i) => ({
            id: `p${i}`, accountId: `a${p.account}`, visibility: p.visibility, licence: p.licence,
            createdAt: new Date(Date.UTC(2024, 0, 1 + i)).toISOString(), caption: `token-p${i}-x picture`,
          })),
          events,
          files,
        });
        const store = openStore(join(dir, 'data', 'vitrine.db'));
        try {
          const media = new FileMediaStore(join(dir, 'data', 'media'));
          await ingest(store, media, dir);
          decide(store, policy);
          const snap = await createSnapshot(store, media, join(dir, 'data'), policy);

          const forbiddenOwn = (i: number) => {
            const p = posts[i]!;
            const a = accounts[p.account]!;
            return p.visibility !== 'public' || a.minor || a.private || p.deleted || p.objected || p.licence === null;
          };
          // A picture is forbidden when its original (its first post) is forbidden.
          const forbiddenPictures = new Set(posts.map((_, i) => i).filter((i) => pictureOf[i] === i && forbiddenOwn(i)));
          const forbiddenPosts = new Set(posts.map((_, i) => i).filter((i) => forbiddenOwn(i) || forbiddenPictures.has(pictureOf[i]!)));

          const forbiddenHashes = await Promise.all([...forbiddenPictures].map(async (pic) => (await phashOfImage(files[`media/p${pic}.png`]!)).hash));
          const shardFiles = readdirSync(snap.path).filter((f) => f.endsWith('.tar'));
          let items = 0;
          for (const f of shardFiles) {
            for (const e of readTar(readFileSync(join(snap.path, f)))) {
              if (e.name.endsWith('.json')) {
                items += 1;
                const rec = JSON.parse(e.data.toString());
                const i = Number(String(rec.postId).slice(1));
                expect(forbiddenPosts.has(i), `forbidden post p${i} is in a shard`).toBe(false);
                for (const j of forbiddenPosts) expect(e.data.toString()).not.toContain(`token-p${j}-x`);
              } else {
                const h = (await phashOfImage(e.data)).hash;
                for (const fh of forbiddenHashes) expect(hammingHex(h, fh), `a forbidden picture is in ${e.name}`).toBeGreaterThan(policy.dedup.threshold);
              }
            }
          }
          // And what may be used is used: one item per permitted picture.
          const permittedPictures = new Set(posts.map((_, i) => pictureOf[i]!).filter((pic) => !forbiddenPictures.has(pic)));
          const usable = [...permittedPictures].filter((pic) => posts.some((_, i) => pictureOf[i] === pic && !forbiddenOwn(i)));
          expect(items).toBe(usable.length);
        } finally {
          store.close();
        }
      }),
      // A failure shrinks for at most 2 minutes, then reports the smallest counterexample found so
      // far (rather than the test timing out with none: CI once did).
      { numRuns: 25, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true },
    );
  }, 240_000);
});
