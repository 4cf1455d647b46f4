import { describe, expect, it } from 'vitest';
import { scrubPii, trainingCaptions, type ScrubCounts } from './captions.ts';
import { post } from '../../test/helpers/facts.ts';

const zero = (): ScrubCounts => ({ emails: 0, phones: 0, handles: 0, urls: 0 });

describe('scrubPii', () => {
  const cases: [string, string, Partial<ScrubCounts>][] = [
    ['Un renard sur fond bleu, écrivez-moi à léa.martin@exemple.fr !', 'Un renard sur fond bleu, écrivez-moi à!', { emails: 1 }],
    ['Call me +33 6 12 34 56 78 for prints', 'Call me for prints', { phones: 1 }],
    ['Ruf an: 030 1234567', 'Ruf an', { phones: 1 }],
    ['thanks @ana_b and @bob@mastodon.social', 'thanks and', { handles: 2 }],
    ['more at https://example.com/p/123?x=1 and www.foo.org', 'more at and', { urls: 2 }],
    ['voir exemple.fr/galerie', 'voir', { urls: 1 }],
  ];
  for (const [input, expected, counts] of cases)
    it(`scrubs "${input}"`, () => {
      const c = zero();
      expect(scrubPii(input, c)).toBe(expected);
      expect(c).toEqual({ ...zero(), ...counts });
    });

  it('keeps what is not personal: hashtags, years, counts, emoji names, accents', () => {
    const text = 'Mon chat 🐱 en 2024, 3 photos #chat #été — 12 000 vues';
    expect(scrubPii(text)).toBe(text);
  });

  it('handles Japanese and Russian text around personal data', () => {
    expect(scrubPii('青い背景のキツネ mail: kitsune@example.jp')).toBe('青い背景のキツネ mail');
    expect(scrubPii('Лиса на синем фоне, пишите @lisa_ru')).toBe('Лиса на синем фоне, пишите');
  });
});

describe('trainingCaptions', () => {
  it('keeps the caption, every translation and the alt text, each with its language, scrubbed', () => {
    const p = post({
      caption: 'Un renard en haut à gauche, contact: a@b.fr',
      language: 'fr',
      captions: { en: 'A fox at the top left', de: 'Ein Fuchs oben links' },
      altText: 'Renard orange sur fond bleu',
    });
    expect(trainingCaptions(p)).toEqual([
      { lang: 'fr', kind: 'caption', text: 'Un renard en haut à gauche, contact' },
      { lang: 'de', kind: 'caption', text: 'Ein Fuchs oben links' },
      { lang: 'en', kind: 'caption', text: 'A fox at the top left' },
      { lang: 'fr', kind: 'alt', text: 'Renard orange sur fond bleu' },
    ]);
  });
  it('drops a caption that was nothing but personal data', () => {
    expect(trainingCaptions(post({ caption: 'https://x.com/a', altText: null }))).toEqual([]);
  });
});
