/**
 * Training captions: every text a post carries (caption, translations, alt
 * text), each tagged with its language, with personal data removed — e-mail
 * addresses, phone numbers, @handles and URLs never reach a shard.
 */
import type { Post } from '../core/types.ts';

export interface CaptionText {
  lang: string | null;
  kind: 'caption' | 'alt';
  text: string;
}

export interface ScrubCounts {
  emails: number;
  phones: number;
  handles: number;
  urls: number;
}

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|fr|de|es|it|nl|be|ch|uk|co|eu|info|app|dev|me|jp|ru|pl|pt|se|br)\b(?:\/[^\s<>"]*)?/giu;
// @user or @user@instance (fediverse); not e-mails (already removed) nor "x @ y".
const HANDLE = /(?<![\p{L}\p{N}_])@[\p{L}\p{N}_](?:[\p{L}\p{N}_.-]*[\p{L}\p{N}_])?(?:@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+)?/gu;
// Candidate phone numbers: digit groups with separators; kept only with 8 to 15 digits (E.164), so years and counts survive.
const PHONE = /(?<![\p{L}\p{N}])\+?\(?\d[\d\s().-]{6,}\d(?![\p{L}\p{N}])/gu;

export function scrubPii(text: string, counts?: ScrubCounts): string {
  const count = (k: keyof ScrubCounts) => () => {
    if (counts) counts[k] += 1;
    return ' ';
  };
  // Handles first: @user@instance would otherwise read as an e-mail address behind a stray "@".
  let t = text.replace(HANDLE, count('handles'));
  t = t.replace(EMAIL, count('emails'));
  t = t.replace(URL_RE, count('urls'));
  t = t.replace(PHONE, (m) => {
    const digits = m.replace(/\D/g, '').length;
    if (digits < 8 || digits > 15) return m;
    if (counts) counts.phones += 1;
    return ' ';
  });
  // Tidy what removal leaves: doubled spaces, spaces before punctuation, dangling separators.
  return t
    .replace(/[ \t]+/g, ' ')
    .replace(/ +([,.;:!?)])/g, '$1')
    .replace(/\( *\)/g, '')
    .replace(/(?:[:\-–—,] *)+$/g, '')
    .replace(/ +\n/g, '\n')
    .trim();
}

export function trainingCaptions(post: Post, counts?: ScrubCounts): CaptionText[] {
  const out: CaptionText[] = [];
  const push = (lang: string | null, kind: CaptionText['kind'], raw: string | null | undefined) => {
    if (!raw) return;
    const text = scrubPii(raw, counts);
    if (text && !out.some((c) => c.text === text)) out.push({ lang, kind, text });
  };
  push(post.language, 'caption', post.caption);
  for (const lang of Object.keys(post.captions).sort()) push(lang, 'caption', post.captions[lang]);
  push(post.language, 'alt', post.altText);
  return out;
}
