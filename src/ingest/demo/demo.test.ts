/**
 * The demo platform generator: determinism, a well-formed platform dump, every
 * planted rule case present even at tiny scale (and the truth file agreeing
 * with the dump), metadata where planted, canaries, and re-posts that look
 * like their originals while different accounts' originals do not.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DUMP_EVENT_TYPES,
  DUMP_FORMAT,
  DUMP_VERSION,
  VISIBILITIES,
  type DumpAccount,
  type DumpEvent,
  type DumpManifest,
  type DumpPost,
} from '../../core/dump.ts';
import {
  DEMO_CANARIES_FILE,
  DEMO_TRUTH_FILE,
  DemoOptionsError,
  PLANTED_CASES,
  TINY_DEMO,
  generateDemo,
  generateTinyDemo,
  type DemoCanary,
  type DemoResult,
  type DemoTruthLine,
  type PlantedCase,
} from './index.ts';

let root: string;
let a: DemoResult;
let b: DemoResult;

interface Dump {
  manifest: DumpManifest;
  accounts: DumpAccount[];
  posts: DumpPost[];
  events: DumpEvent[];
  truth: DemoTruthLine[];
  canaries: DemoCanary[];
}

function jsonl<T>(file: string): T[] {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n'), `${file} ends with a newline`).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      try {
        return JSON.parse(line) as T;
      } catch {
        throw new Error(`${file}:${i + 1} is not JSON: ${line.slice(0, 80)}`);
      }
    });
}

function load(dir: string): Dump {
  return {
    manifest: JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as DumpManifest,
    accounts: jsonl<DumpAccount>(path.join(dir, 'accounts.jsonl')),
    posts: jsonl<DumpPost>(path.join(dir, 'posts.jsonl')),
    events: jsonl<DumpEvent>(path.join(dir, 'events.jsonl')),
    truth: jsonl<DemoTruthLine>(path.join(dir, DEMO_TRUTH_FILE)),
    canaries: JSON.parse(readFileSync(path.join(dir, DEMO_CANARIES_FILE), 'utf8')) as DemoCanary[],
  };
}

function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(path.relative(dir, full), createHash('sha256').update(readFileSync(full)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

let dump: Dump;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'vitrine-demo-'));
  a = await generateTinyDemo(path.join(root, 'a'));
  b = await generateDemo({ ...TINY_DEMO, out: path.join(root, 'b'), concurrency: 3 });
  dump = load(a.path);
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

describe('determinism', () => {
  it('the same accounts, posts and seed give byte-identical files (whatever the concurrency)', () => {
    const ha = hashTree(a.path);
    const hb = hashTree(b.path);
    expect(ha.size).toBe(hb.size);
    expect(ha.size).toBeGreaterThan(TINY_DEMO.posts);
    for (const [file, h] of ha) expect(hb.get(file), file).toBe(h);
    expect(b.canaries).toEqual(a.canaries);
    expect(b.cases).toEqual(a.cases);
  });

  it('another seed gives another platform', async () => {
    const c = await generateDemo({ accounts: 10, posts: 40, seed: 2, out: path.join(root, 'c') });
    const d = await generateDemo({ accounts: 10, posts: 40, seed: 1, out: path.join(root, 'd') });
    expect(readFileSync(path.join(c.path, 'posts.jsonl'), 'utf8')).not.toBe(readFileSync(path.join(d.path, 'posts.jsonl'), 'utf8'));
  });
});

describe('options', () => {
  it('rejects counts that are not positive whole numbers', async () => {
    for (const bad of [{ accounts: 0 }, { accounts: -3 }, { posts: 0 }, { posts: 2.5 }, { posts: Number.NaN }]) {
      const err = await generateDemo({ accounts: 3, posts: 3, seed: 1, out: path.join(root, 'never'), ...bad }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DemoOptionsError);
      expect((err as DemoOptionsError).option).toBe(Object.keys(bad)[0]);
    }
    const seed = await generateDemo({ accounts: 3, posts: 3, seed: 0.5, out: path.join(root, 'never') }).catch((e: unknown) => e);
    expect((seed as DemoOptionsError).option).toBe('seed');
  });

  it('refuses a folder that already holds files, naming it', async () => {
    const full = path.join(root, 'full');
    mkdirSync(full);
    writeFileSync(path.join(full, 'keep.txt'), 'mine');
    await expect(generateDemo({ accounts: 3, posts: 3, seed: 1, out: full })).rejects.toThrow(full);
    expect(readdirSync(full)).toEqual(['keep.txt']);
  });

  it('accepts fewer posts than accounts and an existing empty folder', async () => {
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    const r = await generateDemo({ accounts: 12, posts: 5, seed: 3, out: empty });
    expect(r.accounts).toBe(12);
    expect(r.posts).toBe(5);
    expect(load(r.path).posts).toHaveLength(5);
  });

  it('reports progress up to the total for each stage', async () => {
    const seen = new Map<string, [number, number]>();
    await generateDemo({
      accounts: 5,
      posts: 20,
      seed: 4,
      out: path.join(root, 'progress'),
      onProgress: (done, total, stage) => seen.set(stage, [done, total]),
    });
    expect([...seen.keys()]).toEqual(['plan', 'accounts', 'posts', 'events']);
    for (const [done, total] of seen.values()) expect(done).toBe(total);
  });
});

describe('the dump is well formed', () => {
  it('manifest', () => {
    expect(dump.manifest).toMatchObject({ format: DUMP_FORMAT, version: DUMP_VERSION, platform: 'vitrine-demo' });
    expect(dump.manifest.exportedAt).toMatch(ISO_TIME);
  });

  it('accounts', () => {
    expect(dump.accounts).toHaveLength(TINY_DEMO.accounts);
    const handles = new Set<string>();
    for (const acc of dump.accounts) {
      expect(Object.keys(acc)).toEqual(['id', 'handle', 'displayName', 'language', 'createdAt', 'birthDate', 'private']);
      expect(acc.id).toMatch(/^a\d{7}$/);
      expect(acc.handle).toMatch(/^[a-z0-9._]+$/);
      expect(typeof acc.displayName).toBe('string');
      expect(acc.language).toMatch(/^[a-z]{2}$/);
      expect(acc.createdAt).toMatch(ISO_TIME);
      expect(acc.birthDate === null || ISO_DATE.test(acc.birthDate ?? '')).toBe(true);
      expect(typeof acc.private).toBe('boolean');
      handles.add(acc.handle);
    }
    expect(handles.size).toBe(dump.accounts.length);
    expect(new Set(dump.accounts.map((x) => x.language)).size).toBeGreaterThanOrEqual(5);
  });

  it('posts: fields, order, references', () => {
    const accounts = new Map(dump.accounts.map((x) => [x.id, x]));
    const ids = new Set<string>();
    let previous = '';
    for (const p of dump.posts) {
      expect(p.id).toMatch(/^p\d{7}$/);
      expect(ids.has(p.id)).toBe(false);
      ids.add(p.id);
      const acc = accounts.get(p.accountId);
      expect(acc, `account of ${p.id}`).toBeDefined();
      expect(p.createdAt).toMatch(ISO_TIME);
      expect(p.createdAt > (acc as DumpAccount).createdAt).toBe(true);
      expect(p.createdAt >= previous).toBe(true);
      previous = p.createdAt;
      expect(VISIBILITIES).toContain(p.visibility);
      expect(typeof p.caption).toBe('string');
      expect(p.caption.length).toBeGreaterThan(5);
      expect(p.caption).not.toMatch(/undefined|null|\[object/);
      expect(p.language).toBe((acc as DumpAccount).language);
      expect(p.altText === null || (typeof p.altText === 'string' && p.altText.length > 10)).toBe(true);
      expect(p.licence === null || typeof p.licence === 'string').toBe(true);
      expect(typeof p.rightsHolder).toBe('string');
      if (p.licence === 'CC-BY-4.0') expect(p.attribution).toMatch(/Twemoji/);
      expect(p.media?.path).toMatch(/^media\/\d{3}\/p\d{7}\.(png|jpg|webp)$/);
      expect(p.media?.mediaType).toMatch(/^image\/(png|jpeg|webp)$/);
      if (p.captions) for (const [lang, text] of Object.entries(p.captions)) expect(lang).not.toBe(p.language), expect(text.length).toBeGreaterThan(5);
    }
  });

  it('events: types, ids, order, times after what they change, no licence grants', () => {
    const accounts = new Map(dump.accounts.map((x) => [x.id, x]));
    const posts = new Map(dump.posts.map((x) => [x.id, x]));
    expect(dump.events.length).toBeGreaterThan(10);
    dump.events.forEach((e, i) => {
      expect(e.id).toBe(`e${String(i + 1).padStart(7, '0')}`);
      expect(DUMP_EVENT_TYPES).toContain(e.type);
      expect(e.type).not.toBe('licence.grant');
      expect(e.at).toMatch(ISO_TIME);
      expect(e.at <= dump.manifest.exportedAt).toBe(true);
      if (i > 0) expect(e.at >= (dump.events[i - 1] as DumpEvent).at).toBe(true);
      if ('postId' in e && e.postId !== undefined) {
        const p = posts.get(e.postId);
        expect(p, `${e.id} → ${e.postId}`).toBeDefined();
        expect(e.at > (p as DumpPost).createdAt).toBe(true);
      }
      if ('accountId' in e && e.accountId !== undefined) {
        const acc = accounts.get(e.accountId);
        expect(acc, `${e.id} → ${e.accountId}`).toBeDefined();
        expect(e.at > (acc as DumpAccount).createdAt).toBe(true);
      }
      if (e.type === 'post.visibility') expect(VISIBILITIES).toContain(e.visibility);
      if (e.type === 'account.age') expect(e.birthDate).toMatch(ISO_DATE);
    });
    // Nothing happens to an account after it was deleted.
    const deletedAt = new Map(dump.events.filter((e) => e.type === 'account.deleted').map((e) => [e.accountId, e.at]));
    for (const e of dump.events) {
      const acc = 'accountId' in e ? e.accountId : 'postId' in e ? posts.get(e.postId ?? '')?.accountId : undefined;
      const gone = acc === undefined ? undefined : deletedAt.get(acc);
      if (gone && e.type !== 'account.deleted') expect(e.at < gone, `${e.id} after deletion of ${acc}`).toBe(true);
    }
    for (const p of dump.posts) {
      const gone = deletedAt.get(p.accountId);
      if (gone) expect(p.createdAt < gone).toBe(true);
    }
  });

  it('media files exist, decode, and match their declared type and size range', async () => {
    const formats = new Set<string>();
    for (const p of dump.posts) {
      const file = path.join(a.path, (p.media as { path: string }).path);
      const meta = await sharp(file).metadata();
      const expected = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' }[p.media?.mediaType ?? ''];
      expect(meta.format, p.id).toBe(expected);
      formats.add(meta.format as string);
      expect(meta.width).toBeGreaterThanOrEqual(64);
      expect(meta.width).toBeLessThanOrEqual(256);
      expect(meta.height).toBeGreaterThanOrEqual(64);
      expect(meta.height).toBeLessThanOrEqual(256);
    }
    expect([...formats].sort()).toEqual(['jpeg', 'png', 'webp']);
    const onDisk = readdirSync(path.join(a.path, 'media')).flatMap((d) => readdirSync(path.join(a.path, 'media', d)));
    expect(onDisk).toHaveLength(dump.posts.length);
  });
});

describe('planted cases', () => {
  it('every case is present at tiny scale, and the counts returned match the truth file', () => {
    const counts = Object.fromEntries(PLANTED_CASES.map((c) => [c, 0])) as Record<PlantedCase, number>;
    for (const t of dump.truth) for (const c of t.planted) counts[c]++;
    for (const c of PLANTED_CASES) expect(counts[c], c).toBeGreaterThanOrEqual(1);
    expect(a.cases).toEqual(counts);
    expect(a.canaries.length).toBeGreaterThanOrEqual(5);
  });

  it('the truth file has one line per post, in order, its cases in canonical order', () => {
    expect(dump.truth.map((t) => t.postId)).toEqual(dump.posts.map((p) => p.id));
    for (const t of dump.truth) {
      expect(Object.keys(t)).toEqual(['postId', 'originalPostId', 'artwork', 'isCanary', 'planted']);
      expect(['google', 'twitter', 'facebook']).toContain(t.artwork.set);
      expect(t.artwork.unified.length).toBeGreaterThanOrEqual(1);
      for (const u of t.artwork.unified) expect(u).toMatch(/^[0-9A-F]{4,5}(-[0-9A-F]{4,5})*$/);
      const order = t.planted.map((c) => PLANTED_CASES.indexOf(c));
      expect(order).toEqual([...order].sort((x, y) => x - y));
      expect(order.every((i) => i >= 0)).toBe(true);
    }
  });

  it('the truth agrees with what the dump itself says', () => {
    const posts = new Map(dump.posts.map((p) => [p.id, p]));
    const accounts = new Map(dump.accounts.map((x) => [x.id, x]));
    const postEvents = (id: string): DumpEvent[] => dump.events.filter((e) => 'postId' in e && e.postId === id);
    const accountEvents = (id: string): DumpEvent[] => dump.events.filter((e) => 'accountId' in e && e.accountId === id);
    const turns18 = (birth: string): string => `${Number(birth.slice(0, 4)) + 18}${birth.slice(4)}`;
    for (const t of dump.truth) {
      const p = posts.get(t.postId) as DumpPost;
      const acc = accounts.get(p.accountId) as DumpAccount;
      const has = (c: PlantedCase): boolean => t.planted.includes(c);
      const pe = postEvents(p.id);
      const ae = accountEvents(acc.id);
      expect(has('visibility-followers'), p.id).toBe(p.visibility === 'followers');
      expect(has('visibility-direct'), p.id).toBe(p.visibility === 'direct');
      expect(has('visibility-unlisted'), p.id).toBe(p.visibility === 'unlisted');
      expect(has('visibility-narrowed')).toBe(pe.some((e) => e.type === 'post.visibility' && e.visibility === 'followers'));
      expect(has('visibility-widened')).toBe(pe.some((e) => e.type === 'post.visibility' && e.visibility === 'public'));
      expect(has('post-deleted')).toBe(pe.some((e) => e.type === 'post.deleted'));
      expect(has('post-objection')).toBe(pe.some((e) => e.type === 'post.objection'));
      expect(has('account-deleted')).toBe(ae.some((e) => e.type === 'account.deleted'));
      const objection = ae.find((e) => e.type === 'account.objection');
      expect(has('objection-before-post')).toBe(objection !== undefined && objection.at < p.createdAt);
      expect(has('objection-after-post')).toBe(objection !== undefined && objection.at > p.createdAt);
      expect(has('objection-withdrawn')).toBe(ae.some((e) => e.type === 'account.objection-withdrawn'));
      const age = ae.find((e) => e.type === 'account.age');
      expect(has('age-supplied-later')).toBe(age !== undefined);
      const birth = acc.birthDate ?? (age?.type === 'account.age' ? age.birthDate : null);
      expect(has('age-unknown')).toBe(birth === null);
      if (birth !== null) expect(has('minor'), p.id).toBe(p.createdAt.slice(0, 10) < turns18(birth));
      // Privacy at creation time, replayed from the events.
      let priv = acc.private === true;
      for (const e of ae) if (e.type === 'account.privacy' && e.at < p.createdAt) priv = e.private;
      expect(has('account-private') || has('private-period'), p.id).toBe(priv);
      expect(has('licence-apache')).toBe(p.licence === 'Apache-2.0');
      expect(has('licence-cc-by')).toBe(p.licence === 'CC-BY-4.0');
      expect(has('licence-none')).toBe(p.licence === null);
      expect(has('licence-cc0')).toBe(p.licence === 'CC0-1.0');
      expect(has('licence-all-rights-reserved')).toBe(p.licence === 'LicenseRef-All-Rights-Reserved');
      expect(has('no-alt-text')).toBe(p.altText === null);
      expect(has('caption-translations')).toBe(p.captions !== undefined);
      expect(has('repost')).toBe(t.originalPostId !== null);
      if (t.originalPostId !== null) {
        const o = posts.get(t.originalPostId) as DumpPost;
        expect(o.createdAt < p.createdAt).toBe(true);
        expect(o.accountId).not.toBe(p.accountId);
        expect(dump.truth.find((x) => x.postId === o.id)?.originalPostId).toBeNull();
        expect(t.artwork).toEqual(dump.truth.find((x) => x.postId === o.id)?.artwork);
        expect({ licence: p.licence, rightsHolder: p.rightsHolder }).toEqual({ licence: o.licence, rightsHolder: o.rightsHolder });
        expect(has('repost-of-private')).toBe(
          ['followers', 'direct'].includes(o.visibility) && ['public', 'unlisted'].includes(p.visibility),
        );
      }
      if (has('pii-email')) expect(p.caption).toMatch(/[\w.]+@example\.(com|org|net)/);
      if (has('pii-url')) expect(p.caption).toMatch(/https:\/\/[\w.-]*example\.(com|org|net)/);
      if (has('pii-mention')) expect(p.caption).toMatch(/@[a-z0-9._]+/);
      if (has('pii-phone')) expect(p.caption).toMatch(/\d[\d -]{6,}\d/);
    }
  });

  it('French captions read naturally', () => {
    const fr = dump.posts.filter((p) => p.language === 'fr' && dump.truth.find((t) => t.postId === p.id)?.originalPostId === null);
    expect(fr.length).toBeGreaterThan(0);
    for (const p of fr) {
      expect(p.caption).toMatch(/l'emoji « [^»]+ » (en haut|en bas|à gauche|à droite|au centre)/i);
      expect(p.caption).toMatch(/(sur fond blanc|sur un fond \S+( \S+)? uni|sur un dégradé (vertical|horizontal)|devant|sous un ciel|sur un ciel|sur une plage|sur un paysage|sur un motif)/);
    }
  });
});

/** The XMP packet and EXIF block of a media file, as sharp reads them. */
async function metadataOf(p: DumpPost): Promise<{ xmp: string | null; exif: Buffer | null }> {
  const meta = await sharp(path.join(a.path, (p.media as { path: string }).path)).metadata();
  return { xmp: meta.xmp ? meta.xmp.toString('utf8') : null, exif: meta.exif ?? null };
}

/** Whether a TIFF/EXIF block's IFD0 points to a GPS IFD (tag 0x8825) holding a latitude. */
function exifHasGps(exif: Buffer): boolean {
  const start = exif.indexOf('Exif\0\0') === 0 ? 6 : 0;
  const le = exif.toString('latin1', start, start + 2) === 'II';
  const u16 = (o: number): number => (le ? exif.readUInt16LE(start + o) : exif.readUInt16BE(start + o));
  const u32 = (o: number): number => (le ? exif.readUInt32LE(start + o) : exif.readUInt32BE(start + o));
  const entries = (ifd: number): [number, number][] =>
    Array.from({ length: u16(ifd) }, (_, i) => [u16(ifd + 2 + i * 12), u32(ifd + 2 + i * 12 + 8)] as [number, number]);
  const gps = entries(u32(4)).find(([tag]) => tag === 0x8825);
  if (!gps) return false;
  return entries(gps[1]).some(([tag]) => tag === 0x0002); // GPSLatitude
}

describe('metadata where planted', () => {
  it('XMP data-mining reservations, AI labels and GPS EXIF are in the files that should carry them, and only there', async () => {
    const seen = { prohibited: 0, allowed: 0, unspecified: 0, ai: 0, gps: 0 };
    for (const t of dump.truth) {
      const p = dump.posts.find((x) => x.id === t.postId) as DumpPost;
      const { xmp, exif } = await metadataOf(p);
      const has = (c: PlantedCase): boolean => t.planted.includes(c);
      if (has('xmp-dmi-prohibited')) {
        expect(xmp).toContain('http://ns.useplus.org/ldf/xmp/1.0/');
        expect(xmp).toMatch(/DMI-PROHIBITED/);
        seen.prohibited++;
      }
      if (has('xmp-dmi-allowed')) {
        expect(xmp).toMatch(/DMI-ALLOWED/);
        expect(xmp).not.toMatch(/PROHIBITED/);
        seen.allowed++;
      }
      if (has('xmp-dmi-unspecified')) {
        expect(xmp).toMatch(/DMI-UNSPECIFIED/);
        seen.unspecified++;
      }
      if (!has('xmp-dmi-prohibited') && !has('xmp-dmi-allowed') && !has('xmp-dmi-unspecified')) {
        expect(xmp ?? '', p.id).not.toMatch(/DataMining/);
      }
      if (has('xmp-ai-generated')) {
        expect(xmp).toContain('http://iptc.org/std/Iptc4xmpExt/2008-02-29/');
        expect(xmp).toContain('http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia');
        seen.ai++;
      } else {
        expect(xmp ?? '', p.id).not.toMatch(/trainedAlgorithmicMedia/);
      }
      if (has('exif-gps')) {
        expect(p.media?.mediaType).toBe('image/jpeg');
        expect(exif, p.id).not.toBeNull();
        expect(exifHasGps(exif as Buffer), p.id).toBe(true);
        seen.gps++;
      } else {
        expect(exif === null || !exifHasGps(exif), p.id).toBe(true);
      }
    }
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThanOrEqual(1);
  });
});

describe('canaries', () => {
  it('tokens are unique, canaries.json matches the files, and canaries are private originals', () => {
    expect(dump.canaries).toEqual(a.canaries);
    expect(new Set(dump.canaries.map((c) => c.token)).size).toBe(dump.canaries.length);
    for (const c of dump.canaries) {
      expect(c.token).toMatch(/^canary-[0-9a-f]{10}$/);
      const p = dump.posts.find((x) => x.id === c.postId) as DumpPost;
      expect(['followers', 'direct']).toContain(p.visibility);
      expect(p.caption).toContain(c.token);
      const bytes = readFileSync(path.join(a.path, (p.media as { path: string }).path));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(c.mediaSha256);
      const t = dump.truth.find((x) => x.postId === c.postId) as DemoTruthLine;
      expect(t.isCanary).toBe(true);
      expect(t.originalPostId).toBeNull();
    }
    expect(dump.truth.filter((t) => t.isCanary).map((t) => t.postId)).toEqual(dump.canaries.map((c) => c.postId));
  });

  it('a token appears only in its canary and in re-posts of it; about half the canaries are re-posted publicly', () => {
    const byPost = new Map(dump.truth.map((t) => [t.postId, t]));
    let quoted = 0;
    for (const c of dump.canaries) {
      for (const file of ['posts.jsonl', 'events.jsonl', 'accounts.jsonl']) {
        const lines = readFileSync(path.join(a.path, file), 'utf8').split('\n').filter((l) => l.includes(c.token));
        for (const line of lines) {
          const id = (JSON.parse(line) as { id: string }).id;
          expect(id === c.postId || byPost.get(id)?.originalPostId === c.postId, `${c.token} in ${file} ${id}`).toBe(true);
          if (id !== c.postId) quoted++;
        }
      }
    }
    expect(quoted).toBeGreaterThanOrEqual(1);
    const canaryIds = new Set(dump.canaries.map((c) => c.postId));
    const copies = dump.truth.filter((t) => t.originalPostId !== null && canaryIds.has(t.originalPostId));
    const repostedCanaries = new Set(copies.map((t) => t.originalPostId));
    expect(repostedCanaries.size).toBe(Math.ceil(dump.canaries.length / 2));
    for (const t of copies) {
      expect(t.planted).toContain('canary-repost');
      expect(dump.posts.find((p) => p.id === t.postId)?.visibility).toBe('public');
    }
  });
});

describe('pictures', () => {
  let thumbs: Map<string, Buffer>;
  const distance = (x: Buffer, y: Buffer): number => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += Math.abs((x[i] as number) - (y[i] as number));
    return s / x.length;
  };

  beforeAll(async () => {
    thumbs = new Map();
    for (const p of dump.posts) {
      const file = path.join(a.path, (p.media as { path: string }).path);
      thumbs.set(p.id, await sharp(file).resize(16, 16, { fit: 'fill' }).removeAlpha().raw().toBuffer());
    }
  });

  it('each re-post looks like its original more than like any other original', () => {
    const originals = dump.truth.filter((t) => t.originalPostId === null).map((t) => t.postId);
    const reposts = dump.truth.filter((t) => t.originalPostId !== null);
    expect(reposts.length).toBeGreaterThanOrEqual(20);
    const distances: number[] = [];
    for (const r of reposts) {
      const mine = thumbs.get(r.postId) as Buffer;
      let best = '';
      let bestD = Infinity;
      for (const o of originals) {
        const dd = distance(mine, thumbs.get(o) as Buffer);
        if (dd < bestD) [best, bestD] = [o, dd];
      }
      expect(best, `nearest original of re-post ${r.postId}`).toBe(r.originalPostId);
      distances.push(bestD);
    }
    distances.sort((x, y) => x - y);
    expect(distances[Math.floor(distances.length / 2)]).toBeLessThan(10);
  });

  it('re-posts are JPEG copies that differ in bytes from their original', () => {
    for (const t of dump.truth.filter((x) => x.originalPostId !== null)) {
      const p = dump.posts.find((x) => x.id === t.postId) as DumpPost;
      expect(p.media?.mediaType).toBe('image/jpeg');
      const o = dump.canaries.find((c) => c.postId === t.originalPostId);
      if (o) {
        const bytes = readFileSync(path.join(a.path, (p.media as { path: string }).path));
        expect(createHash('sha256').update(bytes).digest('hex')).not.toBe(o.mediaSha256);
      }
    }
  });

  it('no two accounts have alike originals', () => {
    const originals = dump.truth.filter((t) => t.originalPostId === null);
    const owner = new Map(dump.posts.map((p) => [p.id, p.accountId]));
    let min = Infinity;
    for (let i = 0; i < originals.length; i++) {
      for (let j = i + 1; j < originals.length; j++) {
        const x = originals[i] as DemoTruthLine;
        const y = originals[j] as DemoTruthLine;
        if (owner.get(x.postId) === owner.get(y.postId)) continue;
        min = Math.min(min, distance(thumbs.get(x.postId) as Buffer, thumbs.get(y.postId) as Buffer));
      }
    }
    expect(min).toBeGreaterThan(4);
  });

  it('canary pictures use patterns no other original uses', () => {
    const canaryIds = new Set(dump.canaries.map((c) => c.postId));
    for (const c of canaryIds) {
      for (const t of dump.truth) {
        if (t.postId === c || t.originalPostId === c) continue;
        expect(distance(thumbs.get(c) as Buffer, thumbs.get(t.postId) as Buffer), `${c} vs ${t.postId}`).toBeGreaterThan(20);
      }
    }
  });
});
