/**
 * The plan alone (no pictures): every planted case at small scale for many
 * seeds, role accounts that really have posts on both sides of their events,
 * and the helpers the plan leans on (random streams, catalogue, languages).
 */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLANTED_CASES, plantedOf, textOf, type Context, type PlantedCase } from './content.ts';
import { ARTWORK_SETS, emojiImagePath, loadCatalogue, normaliseHexcode, type EmojiEntry } from './emoji.ts';
import { COLOUR_KEYS, LANGUAGES, LANG_PACKS, PATTERNS, POSITIONS, SCENES, hashtag, ucfirst, type BackgroundDesc } from './languages.ts';
import { EVENT_END, birthday, buildPlan, planEvents, type Plan } from './plan.ts';
import { Rng } from '../../core/prng.ts';

let catalogue: EmojiEntry[];
beforeAll(async () => {
  catalogue = await loadCatalogue();
});

function casesOf(plan: Plan): Record<PlantedCase, number> {
  const ctx: Context = { plan, catalogue };
  const counts = Object.fromEntries(PLANTED_CASES.map((c) => [c, 0])) as Record<PlantedCase, number>;
  for (const p of plan.posts) for (const c of plantedOf(ctx, p, textOf(ctx, p))) counts[c]++;
  return counts;
}

describe('plan', () => {
  it('plants every case from 20 accounts and 200 posts, whatever the seed', () => {
    for (const [accounts, posts] of [
      [20, 200],
      [30, 300],
      [25, 1000],
    ] as const) {
      for (let seed = 1; seed <= 8; seed++) {
        const counts = casesOf(buildPlan({ accounts, posts, seed }, catalogue.length));
        const missing = PLANTED_CASES.filter((c) => counts[c] === 0);
        expect(missing, `accounts=${accounts} posts=${posts} seed=${seed}`).toEqual([]);
      }
    }
  });

  it('is a pure function of (accounts, posts, seed)', () => {
    const x = buildPlan({ accounts: 40, posts: 400, seed: 9 }, catalogue.length);
    const y = buildPlan({ accounts: 40, posts: 400, seed: 9 }, catalogue.length);
    expect(JSON.stringify(y)).toBe(JSON.stringify(x));
    expect(JSON.stringify(planEvents(y))).toBe(JSON.stringify(planEvents(x)));
  });

  it('role events fall between the account’s posts, so posts exist on both sides', () => {
    const plan = buildPlan({ accounts: 200, posts: 2000, seed: 5 }, catalogue.length);
    const timesOf = (a: Plan['accounts'][number]): number[] => a.posts.map((i) => plan.posts[i]?.createdAt as number);
    const around = (t: number[], at: number): [number, number] => [t.filter((x) => x < at).length, t.filter((x) => x > at).length];
    let checked = 0;
    for (const a of plan.accounts) {
      const t = timesOf(a);
      if (a.objectedAt !== null) {
        const [before, after] = around(t, a.objectedAt);
        expect(before, a.id).toBeGreaterThan(0);
        expect(after, a.id).toBeGreaterThan(0);
        checked++;
      }
      if (a.withdrawnAt !== null) expect(a.withdrawnAt).toBeGreaterThan(a.objectedAt as number);
      if (a.privateFrom !== null) {
        expect(a.privateUntil).toBeGreaterThan(a.privateFrom);
        expect(t.some((x) => x > a.privateFrom! && x < a.privateUntil!), a.id).toBe(true);
        checked++;
      }
      if (a.publicAt !== null) {
        const [before, after] = around(t, a.publicAt);
        expect(before * after, a.id).toBeGreaterThan(0);
      }
      if (a.role === 'turns-adult') {
        const b = birthday(a.birthDate as string, 18);
        const [before, after] = around(t, b);
        expect(before * after, a.id).toBeGreaterThan(0);
        checked++;
      }
      if (a.deletedAt !== null) expect(Math.max(...t)).toBeLessThan(a.deletedAt);
      if (a.role === 'minor') expect(Math.max(...t)).toBeLessThan(birthday(a.birthDate as string, 18));
      if (a.birthDate !== null && a.role !== 'minor' && a.role !== 'turns-adult') {
        expect(a.createdAt).toBeGreaterThanOrEqual(birthday(a.birthDate, 18));
      }
    }
    expect(checked).toBeGreaterThan(20);
    for (const e of planEvents(plan)) expect(Date.parse(e.at)).toBeLessThanOrEqual(EVENT_END);
  });

  it('canaries: max(5, posts/2000), private, unique tokens, about half re-posted publicly', () => {
    for (const posts of [300, 12_000]) {
      const plan = buildPlan({ accounts: 100, posts, seed: 3 }, catalogue.length);
      const canaries = plan.posts.filter((p) => p.canary !== null);
      expect(canaries).toHaveLength(Math.max(5, Math.floor(posts / 2000)));
      expect(new Set(canaries.map((p) => p.canary)).size).toBe(canaries.length);
      for (const c of canaries) expect(['followers', 'direct']).toContain(c.visibility);
      const reposted = new Set(plan.posts.filter((p) => p.original !== null && plan.posts[p.original]?.canary).map((p) => p.original));
      expect(reposted.size).toBe(Math.ceil(canaries.length / 2));
    }
  });

  it('re-posts are about a tenth of the posts and Facebook artwork about a tenth of the originals', () => {
    const plan = buildPlan({ accounts: 300, posts: 5000, seed: 1 }, catalogue.length);
    const reposts = plan.posts.filter((p) => p.original !== null).length;
    expect(reposts / plan.posts.length).toBeGreaterThan(0.08);
    expect(reposts / plan.posts.length).toBeLessThan(0.12);
    const originals = plan.posts.filter((p) => p.original === null);
    const facebook = originals.filter((p) => p.set === 'facebook').length / originals.length;
    expect(facebook).toBeGreaterThan(0.05);
    expect(facebook).toBeLessThan(0.16);
  });

  it('birthdays count from UTC midnight; 29 February rolls to 1 March', () => {
    expect(new Date(birthday('2006-05-17', 18)).toISOString()).toBe('2024-05-17T00:00:00.000Z');
    expect(new Date(birthday('2008-02-29', 18)).toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });
});

describe('random streams', () => {
  it('the same seed and key give the same numbers; another key or seed others', () => {
    const draw = (r: Rng): number[] => Array.from({ length: 8 }, () => r.u32());
    expect(draw(new Rng(1, 'x', 3))).toEqual(draw(new Rng(1, 'x', 3)));
    expect(draw(new Rng(1, 'x', 3))).not.toEqual(draw(new Rng(1, 'x', 4)));
    expect(draw(new Rng(1, 'x', 3))).not.toEqual(draw(new Rng(2, 'x', 3)));
  });

  it('stays in range and is roughly uniform', () => {
    const r = new Rng(7, 'uniform');
    let sum = 0;
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
      bins[Math.floor(x * 10)]!++;
      const k = r.int(-2, 2);
      expect(k >= -2 && k <= 2 && Number.isInteger(k)).toBe(true);
    }
    expect(Math.abs(sum / 20_000 - 0.5)).toBeLessThan(0.01);
    for (const b of bins) expect(Math.abs(b - 2000)).toBeLessThan(200);
    expect(r.hex(10)).toMatch(/^[0-9a-f]{10}$/);
    expect(() => r.int(3, 2)).toThrow(RangeError);
  });
});

describe('artwork catalogue', () => {
  it('holds labelled emoji present in all three sets, no components or skin tones', () => {
    expect(catalogue.length).toBeGreaterThan(1500);
    for (const e of catalogue) {
      expect(e.category).not.toBe('Component');
      expect(e.unified).not.toMatch(/1F3F[B-F]/);
      for (const lang of LANGUAGES) expect(e.labels[lang].length, `${e.unified} ${lang}`).toBeGreaterThan(0);
    }
    for (const set of ARTWORK_SETS) {
      for (const e of catalogue.filter((_, i) => i % 50 === 0)) expect(existsSync(emojiImagePath(set, e.image)), `${set} ${e.image}`).toBe(true);
    }
  });

  it('matches hexcodes with and without FE0F variation selectors', () => {
    expect(normaliseHexcode('2764-fe0f')).toBe('2764');
    expect(normaliseHexcode('1F636-200D-1F32B-FE0F')).toBe('1F636-200D-1F32B');
    const heart = catalogue.find((e) => normaliseHexcode(e.unified) === '2764');
    expect(heart?.labels.fr).toBe('cœur rouge');
  });
});

describe('languages', () => {
  const backgrounds: BackgroundDesc[] = [
    { kind: 'white' },
    ...COLOUR_KEYS.map((colour) => ({ kind: 'plain', colour }) as const),
    { kind: 'vgrad', top: 'red', bottom: 'lightblue' },
    { kind: 'hgrad', left: 'navy', right: 'beige' },
    ...SCENES.map((scene) => ({ kind: 'scene', scene }) as const),
    ...PATTERNS.map((pattern) => ({ kind: 'pattern', pattern }) as const),
  ];

  it('at least ten languages, each with every phrase filled in', () => {
    expect(LANGUAGES.length).toBeGreaterThanOrEqual(10);
    expect(LANGUAGES).toContain('fr');
    for (const lang of LANGUAGES) {
      const pack = LANG_PACKS[lang];
      const rng = new Rng(1, lang);
      for (const bg of backgrounds) {
        const phrase = pack.background(bg);
        expect(phrase, `${lang} ${JSON.stringify(bg)}`).toMatch(/\S/);
        expect(phrase).not.toMatch(/undefined/);
      }
      for (const pos of POSITIONS) expect(pack.place('x', pos)).not.toMatch(/undefined/);
      for (const t of [...pack.captions, ...pack.alts]) expect(t('W', 'B')).toMatch(/W.*B|B.*W/);
      expect(pack.phone(rng)).toMatch(/\d{2}/);
      expect(pack.names.first.length).toBeGreaterThan(5);
    }
  });

  it('French phrasing', () => {
    const fr = LANG_PACKS.fr;
    const what = fr.place('tête de chat', 'tl') + fr.and + fr.place('pomme rouge', 'br');
    expect(what).toBe("l'emoji « tête de chat » en haut à gauche et l'emoji « pomme rouge » en bas à droite");
    expect(fr.background({ kind: 'plain', colour: 'lightblue' })).toBe('sur un fond bleu ciel uni');
    expect(fr.background({ kind: 'vgrad', top: 'red', bottom: 'white' })).toBe('sur un dégradé vertical, rouge en haut et blanc en bas');
    expect((fr.captions[2] as (w: string, b: string) => string)(what, 'sur fond blanc')).toBe(
      "Fait maison ! L'emoji « tête de chat » en haut à gauche et l'emoji « pomme rouge » en bas à droite, sur fond blanc.",
    );
  });

  it('hashtags and capitals', () => {
    expect(hashtag('grand sourire')).toBe('#grandsourire');
    expect(hashtag('jm')).toBeNull();
    expect(hashtag('猫')).toBeNull();
    expect(hashtag('ネコ')).toBe('#ネコ');
    expect(ucfirst("l'emoji")).toBe("L'emoji");
    expect(ucfirst('эмодзи')).toBe('Эмодзи');
  });
});
