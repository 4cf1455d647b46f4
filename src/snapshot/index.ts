/**
 * `vitrine snapshot`: the eligible posts as an immutable, content-addressed
 * training set — WebDataset tar shards (KEY.png + KEY.json), manifest.jsonl,
 * datasheet.json and attributions.jsonl. The id is a hash of the manifest and
 * the datasheet, so the same inputs and policy give the same id (and the same
 * bytes); a snapshot folder is written aside and renamed into place whole.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Post } from '../core/types.ts';
import type { MediaStore, SnapshotItemRecord, Store } from '../store/index.ts';
import { normaliseForTraining } from '../ingest/media.ts';
import { trainingVariant } from '../ingest/index.ts';
import { canonicalJson, policyVersion, type Policy } from '../decide/policy.ts';
import { TarWriter } from './tar.ts';
import { buildFacts, loadContext } from '../decide/index.ts';
import { grantAt } from '../decide/facts.ts';
import { trainingCaptions, type ScrubCounts } from './captions.ts';
import { buildDatasheet, type DatasheetInput } from './datasheet.ts';

export interface SnapshotOptions {
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  now?: string;
}

export interface SnapshotResult {
  id: string;
  path: string;
  items: number;
  /** False when an identical snapshot already existed. */
  created: boolean;
}

export interface ManifestLine {
  key: string;
  postId: string;
  source: string;
  shard: string;
  image: string;
  json: string;
  licence: string;
}

/** A WebDataset key: stable per post, no dots or slashes. */
export function itemKey(source: string, postId: string): string {
  return createHash('sha256').update(`${source}\u0000${postId}`).digest('hex').slice(0, 24);
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The training copy, made at ingest while the image was decoded; made now (and kept) when missing. */
async function trainingCopy(media: MediaStore, mediaSha: string, size: number): Promise<Buffer> {
  const variant = trainingVariant(size);
  const cached = await media.getVariant(mediaSha, variant);
  if (cached) return cached;
  const png = await normaliseForTraining(await media.get(mediaSha), size);
  await media.putVariant(mediaSha, variant, png);
  return png;
}

/** Folders left by a snapshot process that died (killed, power cut): its pid is gone. */
async function removeAbandoned(dir: string): Promise<void> {
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^\.tmp-(\d+)-/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) await rm(join(dir, n), { recursive: true, force: true });
  }
}

export async function createSnapshot(store: Store, media: MediaStore, dataDir: string, policy: Policy, opts: SnapshotOptions = {}): Promise<SnapshotResult> {
  const run = store.decisions.lastFinishedRun();
  if (!run) throw new Error('No decisions yet: run `vitrine decide` before `vitrine snapshot`.');
  const version = policyVersion(policy);
  const size = policy.snapshot.imageSize;
  const concurrency = opts.concurrency ?? 4;

  const items: { key: string; post: Post; grantLicence: string | null }[] = [];
  for (const postId of store.decisions.eligiblePostIds()) {
    const post = store.corpus.getPost(postId);
    if (!post || !post.mediaSha256) throw new Error(`Store inconsistency: eligible post ${postId} has no stored image`);
    items.push({ key: itemKey(post.source, post.id), post, grantLicence: null });
  }
  items.sort((a, b) => (a.key < b.key ? -1 : 1));
  // A grant that made a post eligible is named in its record: the licence actually relied on.
  const ctx = loadContext(store);
  for (const it of items) {
    if (it.post.licence && policy.licences.allowed.includes(it.post.licence)) continue;
    it.grantLicence = grantAt(buildFacts(store, ctx, it.post), run.startedAt)?.licence ?? null;
  }

  const snapshotsDir = join(dataDir, 'snapshots');
  await removeAbandoned(snapshotsDir);
  const tmp = join(snapshotsDir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    const scrub: ScrubCounts = { emails: 0, phones: 0, handles: 0, urls: 0 };
    const manifest: ManifestLine[] = [];
    const records: SnapshotItemRecord[] = [];
    const attributions: string[] = [];
    const shards: { name: string; items: number; bytes: number; sha256: string }[] = [];
    const tally: DatasheetInput['tally'] = { licences: {}, languages: {}, sources: {}, withGps: 0, attributionRequired: 0 };
    const inc = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

    let done = 0;
    for (let s = 0; s * policy.snapshot.shardSize < items.length || (s === 0 && items.length === 0); s++) {
      const chunk = items.slice(s * policy.snapshot.shardSize, (s + 1) * policy.snapshot.shardSize);
      if (chunk.length === 0) break;
      const name = `shard-${String(s).padStart(6, '0')}.tar`;
      // Images for the whole shard, a few at a time (sharp works off the main thread).
      const pngs: Buffer[] = new Array(chunk.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(concurrency, chunk.length) }, async () => {
          while (next < chunk.length) {
            const i = next++;
            pngs[i] = await trainingCopy(media, chunk[i]!.post.mediaSha256!, size);
            opts.onProgress?.(++done, items.length);
          }
        }),
      );
      const tar = new TarWriter(join(tmp, name));
      chunk.forEach(({ key, post, grantLicence }, i) => {
        const info = store.corpus.getMedia(post.mediaSha256!)!;
        const licence = grantLicence ?? post.licence!;
        const account = store.corpus.getAccount(post.accountId);
        const needsAttribution = policy.licences.attributionRequired.includes(licence);
        const attribution = needsAttribution
          ? [post.attribution, account ? `Photo by @${account.handle}` : null].filter(Boolean).join('; ')
          : post.attribution;
        const record = {
          key,
          postId: post.id,
          source: post.source,
          accountId: post.accountId,
          createdAt: post.createdAt,
          captions: trainingCaptions(post, scrub),
          licence,
          licenceGranted: grantLicence !== null,
          rightsHolder: post.rightsHolder,
          attribution: attribution || null,
          media: { sha256: post.mediaSha256, pixelSha256: info.pixelSha256, width: info.width, height: info.height },
          policyVersion: version,
        };
        const json = Buffer.from(`${JSON.stringify(record)}\n`);
        const png = pngs[i]!;
        tar.add(`${key}.png`, png);
        tar.add(`${key}.json`, json);
        const imageSha = sha256(png);
        manifest.push({ key, postId: post.id, source: post.source, shard: name, image: imageSha, json: sha256(json), licence });
        records.push({ key, postId: post.id, mediaSha256: post.mediaSha256!, imageSha256: imageSha });
        if (needsAttribution) {
          tally.attributionRequired += 1;
          attributions.push(JSON.stringify({ key, postId: post.id, licence, attribution: record.attribution }));
        }
        inc(tally.licences, licence);
        inc(tally.languages, post.language ?? 'und');
        inc(tally.sources, post.source);
        if (info.hasGps) tally.withGps += 1;
      });
      tar.close();
      const shardBytes = await readFile(join(tmp, name));
      shards.push({ name, items: chunk.length, bytes: shardBytes.length, sha256: sha256(shardBytes) });
    }

    const manifestText = manifest.map((m) => JSON.stringify(m)).join('\n') + (manifest.length ? '\n' : '');
    const datasheetBody = buildDatasheet({
      policy, policyVersion: version, items: items.length, imageSize: size, shards, tally, scrub,
      decisions: store.decisions.countsByReason(),
    });
    const id = `snap-${sha256(`${manifestText}\n${canonicalJson(datasheetBody)}`).slice(0, 20)}`;
    const datasheet = { id, ...datasheetBody };
    await writeFile(join(tmp, 'manifest.jsonl'), manifestText);
    await writeFile(join(tmp, 'attributions.jsonl'), attributions.map((a) => `${a}\n`).join(''));
    await writeFile(join(tmp, 'datasheet.json'), `${JSON.stringify(datasheet, null, 2)}\n`);

    const final = join(snapshotsDir, id);
    let created = false;
    if (existsSync(final)) await rm(tmp, { recursive: true, force: true });
    else {
      await rename(tmp, final);
      created = true;
    }
    const registered = store.snapshots.register(
      { id, path: final, createdAt: opts.now ?? new Date().toISOString(), policyVersion: version, decideRunId: run.id, items: items.length, datasheet },
      records,
    );
    return { id, path: final, items: items.length, created: created || registered };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
