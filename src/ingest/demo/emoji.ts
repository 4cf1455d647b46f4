/**
 * The artwork the demo platform's users photograph: the emoji PNGs shipped in
 * the emoji-datasource-* packages (three sets with three different licences),
 * named in many languages from emojibase-data.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LANGUAGES, type Lang } from './languages.ts';

const require = createRequire(import.meta.url);

export type ArtworkSet = 'google' | 'twitter' | 'facebook';
export const ARTWORK_SETS: readonly ArtworkSet[] = ['google', 'twitter', 'facebook'];

export interface ArtworkInfo {
  /** Human name of the artwork set. */
  name: string;
  /** npm package holding the PNGs. */
  packageName: string;
  /** SPDX licence of the artwork, null where none is clearly stated. */
  licence: string | null;
  rightsHolder: string;
  /** Attribution text the licence requires, or null. */
  attribution: string | null;
}

export const ARTWORK: Record<ArtworkSet, ArtworkInfo> = {
  google: {
    name: 'Noto Emoji',
    packageName: 'emoji-datasource-google',
    licence: 'Apache-2.0',
    rightsHolder: 'Google LLC',
    attribution: null,
  },
  twitter: {
    name: 'Twemoji',
    packageName: 'emoji-datasource-twitter',
    licence: 'CC-BY-4.0',
    rightsHolder: 'Twitter, Inc and other contributors',
    attribution: 'Twemoji by Twitter, Inc and other contributors, CC-BY 4.0',
  },
  facebook: {
    name: 'Facebook emoji',
    packageName: 'emoji-datasource-facebook',
    licence: null,
    rightsHolder: 'Meta Platforms, Inc.',
    attribution: null,
  },
};

export interface EmojiEntry {
  /** Uppercase dash-joined code points, as emoji-datasource writes them (e.g. `1F431`). */
  unified: string;
  /** File name of the 64 px PNG in every set (e.g. `1f431.png`). */
  image: string;
  shortName: string;
  category: string;
  subcategory: string;
  /** emojibase label per language (e.g. fr: "tête de chat"). */
  labels: Record<Lang, string>;
  /** emojibase keywords per language. */
  tags: Record<Lang, string[]>;
}

interface DatasourceEmoji {
  unified: string;
  image: string;
  short_name: string;
  category: string;
  subcategory: string;
  sort_order: number;
  has_img_google?: boolean;
  has_img_twitter?: boolean;
  has_img_facebook?: boolean;
}

interface EmojibaseEmoji {
  hexcode: string;
  label?: string;
  tags?: string[];
}

/** Drops FE0F variation selectors: emojibase and emoji-datasource disagree on where they appear. */
export function normaliseHexcode(code: string): string {
  return code
    .toUpperCase()
    .split('-')
    .filter((cp) => cp !== 'FE0F')
    .join('-');
}

const SKIN_TONE = /(^|-)1F3F[B-F](-|$)/;

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/** Absolute path of the 64 px PNG of an emoji in a set. */
export function emojiImagePath(set: ArtworkSet, image: string): string {
  return path.join(packageDir(ARTWORK[set].packageName), 'img', set, '64', image);
}

let cached: Promise<EmojiEntry[]> | undefined;

/**
 * The usable emoji, in the datasource's sort order: present in all three sets,
 * not a component or a skin-tone variant, labelled in every demo language.
 */
export function loadCatalogue(): Promise<EmojiEntry[]> {
  cached ??= buildCatalogue().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

async function buildCatalogue(): Promise<EmojiEntry[]> {
  const all = await readJson<DatasourceEmoji[]>(
    path.join(packageDir('emoji-datasource-google'), 'emoji.json'),
  );
  const byLang = new Map<Lang, Map<string, EmojibaseEmoji>>();
  for (const lang of LANGUAGES) {
    const data = await readJson<EmojibaseEmoji[]>(
      path.join(packageDir('emojibase-data'), lang, 'data.json'),
    );
    const map = new Map<string, EmojibaseEmoji>();
    for (const e of data) map.set(normaliseHexcode(e.hexcode), e);
    byLang.set(lang, map);
  }

  const out: EmojiEntry[] = [];
  const sorted = [...all].sort((a, b) => a.sort_order - b.sort_order);
  for (const e of sorted) {
    if (e.category === 'Component' || SKIN_TONE.test(e.unified)) continue;
    if (!e.has_img_google || !e.has_img_twitter || !e.has_img_facebook) continue;
    const key = normaliseHexcode(e.unified);
    const labels = {} as Record<Lang, string>;
    const tags = {} as Record<Lang, string[]>;
    let complete = true;
    for (const lang of LANGUAGES) {
      const found = byLang.get(lang)?.get(key);
      if (!found?.label) {
        complete = false;
        break;
      }
      labels[lang] = found.label;
      tags[lang] = found.tags ?? [];
    }
    if (!complete) continue;
    out.push({
      unified: e.unified.toUpperCase(),
      image: e.image,
      shortName: e.short_name,
      category: e.category,
      subcategory: e.subcategory,
      labels,
      tags,
    });
  }
  if (out.length < 100) {
    throw new Error(
      `Demo generator: only ${out.length} usable emoji found in emoji-datasource-google/emojibase-data; are the packages installed?`,
    );
  }
  return out;
}
