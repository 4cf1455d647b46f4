/**
 * What one planned post looks like once written: its picture, caption, alt
 * text, licence fields and metadata, and the rule cases it exercises. Every
 * function here is a pure function of (plan, post index), which is what lets
 * posts be produced in any order, in parallel, and re-posts re-paint their
 * original instead of keeping it in memory.
 */
import type { DumpPost } from '../../core/dump.ts';
import { ARTWORK, type EmojiEntry } from './emoji.ts';
import { LANG_PACKS, hashtag, type Lang, type LangPack } from './languages.ts';
import {
  EXTENSIONS,
  MEDIA_TYPES,
  buildXmp,
  dmiValue,
  encode,
  encodeRepost,
  gpsExif,
  makeRecipe,
  paint,
  randomTransform,
  type EmojiCache,
  type PictureRecipe,
} from './picture.ts';
import {
  PII_EMAIL,
  PII_MENTION,
  PII_PHONE,
  PII_URL,
  birthday,
  isCanaryRepost,
  isoTime,
  type Plan,
  type PlanAccount,
  type PlanPost,
} from './plan.ts';
import { Rng } from '../../core/prng.ts';

/** The rule cases a post can exercise, as listed in demo-truth.jsonl (always in this order). */
export const PLANTED_CASES = [
  'visibility-unlisted',
  'visibility-followers',
  'visibility-direct',
  'visibility-narrowed',
  'visibility-widened',
  'account-private',
  'account-made-public',
  'private-period',
  'minor',
  'turned-adult',
  'age-unknown',
  'age-supplied-later',
  'objection-before-post',
  'objection-after-post',
  'objection-withdrawn',
  'post-objection',
  'post-deleted',
  'account-deleted',
  'licence-apache',
  'licence-cc-by',
  'licence-none',
  'licence-all-rights-reserved',
  'licence-cc0',
  'xmp-dmi-prohibited',
  'xmp-dmi-allowed',
  'xmp-dmi-unspecified',
  'xmp-ai-generated',
  'exif-gps',
  'media-webp',
  'repost',
  'repost-of-private',
  'canary',
  'canary-repost',
  'pii-email',
  'pii-phone',
  'pii-mention',
  'pii-url',
  'no-alt-text',
  'caption-translations',
] as const;
export type PlantedCase = (typeof PLANTED_CASES)[number];

/** One line of demo-truth.jsonl. */
export interface DemoTruthLine {
  postId: string;
  /** For re-posts: the post whose photo was copied. */
  originalPostId: string | null;
  artwork: { set: string; unified: string[] };
  isCanary: boolean;
  planted: PlantedCase[];
}

export interface Context {
  plan: Plan;
  catalogue: readonly EmojiEntry[];
}

export const ALL_RIGHTS_RESERVED = 'LicenseRef-All-Rights-Reserved';

function post(ctx: Context, index: number): PlanPost {
  const p = ctx.plan.posts[index];
  if (!p) throw new RangeError(`No post #${index} in the plan`);
  return p;
}

function account(ctx: Context, index: number): PlanAccount {
  const a = ctx.plan.accounts[index];
  if (!a) throw new RangeError(`No account #${index} in the plan`);
  return a;
}

/** The picture an original shows (for a re-post: its original's). */
export function recipeOf(ctx: Context, p: PlanPost): PictureRecipe {
  const o = p.original === null ? p : post(ctx, p.original);
  return makeRecipe(new Rng(ctx.plan.seed, 'picture', o.index), {
    set: o.set,
    emoji: o.emoji,
    style: account(ctx, o.account).style,
    canary: o.canary !== null,
  });
}

function describe(ctx: Context, lang: Lang, recipe: PictureRecipe): { what: string; bg: string } {
  const pack = LANG_PACKS[lang];
  const what = recipe.placements
    .map((pl) => pack.place((ctx.catalogue[pl.emoji] as EmojiEntry).labels[lang], pl.pos))
    .join(pack.and);
  return { what, bg: pack.background(recipe.background) };
}

function contactLines(ctx: Context, p: PlanPost, pack: LangPack, rng: Rng): string[] {
  const acc = account(ctx, p.account);
  const lines: string[] = [];
  if (p.pii & PII_EMAIL) {
    const domain = rng.pick(['example.com', 'example.org', 'example.net']);
    const local = rng.chance(0.5) ? acc.latinName : acc.handle.replace(/_/g, '.');
    lines.push(pack.contact.email(`${local}@${domain}`));
  }
  if (p.pii & PII_PHONE) lines.push(pack.contact.phone(pack.phone(rng)));
  if (p.pii & PII_MENTION) {
    const n = ctx.plan.accounts.length;
    const other = n > 1 ? (p.account + rng.int(1, n - 1)) % n : p.account;
    lines.push(pack.contact.mention(`@${account(ctx, other).handle}`));
  }
  if (p.pii & PII_URL) {
    const slug = acc.handle.replace(/[._]/g, '-');
    lines.push(
      pack.contact.url(
        rng.pick([
          `https://example.com/${acc.handle}`,
          `https://www.example.org/portfolio/${slug}/${rng.hex(6)}`,
          `https://${slug}.example.net/`,
        ]),
      ),
    );
  }
  return lines;
}

export interface PostText {
  caption: string;
  captions: Record<string, string> | null;
  altText: string | null;
  /** PII_* bits present in the caption. */
  pii: number;
}

/** Caption, translations and alt text of a post. */
export function textOf(ctx: Context, p: PlanPost): PostText {
  const rng = new Rng(ctx.plan.seed, 'text', p.index);
  const acc = account(ctx, p.account);
  const lang = acc.language;
  const pack = LANG_PACKS[lang];
  const recipe = recipeOf(ctx, p);
  const { what, bg } = describe(ctx, lang, recipe);
  const lines: string[] = [];
  let pii = p.pii;
  let captions: Record<string, string> | null = null;

  if (p.original === null) {
    const k = rng.int(0, pack.captions.length - 1);
    lines.push((pack.captions[k] as (w: string, b: string) => string)(what, bg));
    lines.push(...contactLines(ctx, p, pack, rng));
    const first = ctx.catalogue[recipe.placements[0]?.emoji ?? 0] as EmojiEntry;
    const tags = rng
      .shuffle([...first.tags[lang]])
      .slice(0, rng.int(1, 2))
      .map(hashtag)
      .filter((t): t is string => t !== null);
    if (rng.chance(0.6)) tags.push(rng.pick(pack.hashtags));
    const tagLine = [...new Set(tags)].join(' ');
    if (p.canary !== null) lines.push(tagLine ? `${tagLine} ${p.canary}` : p.canary);
    else if (tagLine) lines.push(tagLine);
    if (p.translated) {
      const other: Lang = lang === 'en' ? 'fr' : 'en';
      const otherPack = LANG_PACKS[other];
      const d = describe(ctx, other, recipe);
      const template = otherPack.captions[k % otherPack.captions.length] as (w: string, b: string) => string;
      captions = { [other]: template(d.what, d.bg) };
    }
  } else {
    const orig = post(ctx, p.original);
    const handle = `@${account(ctx, orig.account).handle}`;
    if (p.quote) {
      const quoted = textOf(ctx, orig);
      lines.push(rng.pick(pack.repost.quote)(handle, pack.quote(quoted.caption)));
      pii |= quoted.pii | PII_MENTION;
    } else if (rng.chance(0.55)) {
      lines.push(rng.pick(pack.repost.credit)(handle));
      pii |= PII_MENTION;
    } else {
      lines.push(rng.pick(pack.repost.plain));
    }
    lines.push(...contactLines(ctx, p, pack, rng));
    if (rng.chance(0.4)) lines.push('#repost');
  }
  const altText = p.alt ? rng.pick(pack.alts)(what, bg) : null;
  return { caption: lines.join('\n'), captions, altText, pii };
}

export function licenceOf(ctx: Context, p: PlanPost): Pick<DumpPost, 'licence' | 'rightsHolder' | 'attribution'> {
  const o = p.original === null ? p : post(ctx, p.original);
  if (o.licence === 'arr') {
    return { licence: ALL_RIGHTS_RESERVED, rightsHolder: account(ctx, o.account).displayName, attribution: null };
  }
  if (o.licence === 'cc0') return { licence: 'CC0-1.0', rightsHolder: account(ctx, o.account).displayName, attribution: null };
  const a = ARTWORK[o.set];
  return { licence: a.licence, rightsHolder: a.rightsHolder, attribution: a.attribution };
}

/** The XMP packet an original carries, or null. */
function originalXmp(ctx: Context, o: PlanPost): string | null {
  if (o.dmi === null && !o.ai) return null;
  const rng = new Rng(ctx.plan.seed, 'xmp', o.index);
  return buildXmp({
    dataMining: o.dmi === null ? undefined : dmiValue(rng, o.dmi),
    aiGenerated: o.ai,
    form: rng.pick(['attribute', 'element', 'resource'] as const),
  });
}

/** Whether the post's file carries the original's XMP. */
function carriesXmp(ctx: Context, p: PlanPost): PlanPost | null {
  const o = p.original === null ? p : post(ctx, p.original);
  if (o.dmi === null && !o.ai) return null;
  return p.original === null || p.keepXmp ? o : null;
}

export function mediaPathOf(p: PlanPost): string {
  return `media/${String(Math.floor(p.index / 1000)).padStart(3, '0')}/${p.id}.${EXTENSIONS[p.format]}`;
}

/** The post's file bytes. */
export async function mediaOf(ctx: Context, p: PlanPost, emoji: EmojiCache): Promise<Buffer> {
  const recipe = recipeOf(ctx, p);
  const raw = await paint(recipe, emoji);
  if (p.original === null) {
    const rng = new Rng(ctx.plan.seed, 'encode', p.index);
    return encode(raw, {
      format: p.format,
      quality: rng.int(80, 94),
      xmp: originalXmp(ctx, p),
      exif: p.gps ? gpsExif(new Rng(ctx.plan.seed, 'exif', p.index)) : null,
    });
  }
  const t = randomTransform(
    new Rng(ctx.plan.seed, 'repost', p.index),
    raw.width,
    raw.height,
    isCanaryRepost(ctx.plan.posts, p),
  );
  const kept = carriesXmp(ctx, p);
  return encodeRepost(raw, t, kept ? originalXmp(ctx, kept) : null);
}

/** The dump line of a post. */
export function dumpPostOf(ctx: Context, p: PlanPost, text: PostText): DumpPost {
  const acc = account(ctx, p.account);
  return {
    id: p.id,
    accountId: acc.id,
    createdAt: isoTime(p.createdAt),
    visibility: p.visibility,
    caption: text.caption,
    language: acc.language,
    ...(text.captions ? { captions: text.captions } : {}),
    altText: text.altText,
    ...licenceOf(ctx, p),
    media: { path: mediaPathOf(p), mediaType: MEDIA_TYPES[p.format] },
  };
}

/** The rule cases this post exercises, from its final planned state. */
export function plantedOf(ctx: Context, p: PlanPost, text: PostText): PlantedCase[] {
  const acc = account(ctx, p.account);
  const t = p.createdAt;
  const cases = new Set<PlantedCase>();
  if (p.visibility !== 'public') cases.add(`visibility-${p.visibility}`);
  if (p.visibilityChange?.to === 'followers') cases.add('visibility-narrowed');
  if (p.visibilityChange?.to === 'public') cases.add('visibility-widened');
  if (acc.private && (acc.publicAt === null || t < acc.publicAt)) cases.add('account-private');
  if (acc.publicAt !== null && t > acc.publicAt) cases.add('account-made-public');
  if (acc.privateFrom !== null && acc.privateUntil !== null && t > acc.privateFrom && t < acc.privateUntil) {
    cases.add('private-period');
  }
  const birth = acc.birthDate ?? acc.ageBirthDate;
  if (birth === null) cases.add('age-unknown');
  else if (t < birthday(birth, 18)) cases.add('minor');
  else if (acc.role === 'turns-adult') cases.add('turned-adult');
  if (acc.ageAt !== null) cases.add('age-supplied-later');
  if (acc.objectedAt !== null) cases.add(acc.objectedAt < t ? 'objection-before-post' : 'objection-after-post');
  if (acc.withdrawnAt !== null) cases.add('objection-withdrawn');
  if (p.objectedAt !== null) cases.add('post-objection');
  if (p.deletedAt !== null) cases.add('post-deleted');
  if (acc.deletedAt !== null) cases.add('account-deleted');

  const { licence } = licenceOf(ctx, p);
  if (licence === 'Apache-2.0') cases.add('licence-apache');
  else if (licence === 'CC-BY-4.0') cases.add('licence-cc-by');
  else if (licence === null) cases.add('licence-none');
  else if (licence === ALL_RIGHTS_RESERVED) cases.add('licence-all-rights-reserved');
  else if (licence === 'CC0-1.0') cases.add('licence-cc0');

  const x = carriesXmp(ctx, p);
  if (x?.dmi) cases.add(`xmp-dmi-${x.dmi}`);
  if (x?.ai) cases.add('xmp-ai-generated');
  if (p.gps && p.original === null) cases.add('exif-gps');
  if (p.format === 'webp') cases.add('media-webp');

  if (p.original !== null) {
    cases.add('repost');
    const o = post(ctx, p.original);
    if ((o.visibility === 'followers' || o.visibility === 'direct') && (p.visibility === 'public' || p.visibility === 'unlisted')) {
      cases.add('repost-of-private');
    }
    if (isCanaryRepost(ctx.plan.posts, p)) cases.add('canary-repost');
  }
  if (p.canary !== null) cases.add('canary');
  if (text.pii & PII_EMAIL) cases.add('pii-email');
  if (text.pii & PII_PHONE) cases.add('pii-phone');
  if (text.pii & PII_MENTION) cases.add('pii-mention');
  if (text.pii & PII_URL) cases.add('pii-url');
  if (text.altText === null) cases.add('no-alt-text');
  if (text.captions) cases.add('caption-translations');
  return PLANTED_CASES.filter((c) => cases.has(c));
}

export function truthOf(ctx: Context, p: PlanPost, text: PostText): DemoTruthLine {
  const recipe = recipeOf(ctx, p);
  return {
    postId: p.id,
    originalPostId: p.original === null ? null : post(ctx, p.original).id,
    artwork: {
      set: recipe.set,
      unified: recipe.placements.map((pl) => (ctx.catalogue[pl.emoji] as EmojiEntry).unified),
    },
    isCanary: p.canary !== null,
    planted: plantedOf(ctx, p, text),
  };
}
