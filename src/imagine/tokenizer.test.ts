import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOS, PAD, Tokenizer, fnv1a, normalise, words } from './tokenizer.ts';

/** Written by trainer/tests/make_tokenizer_vectors.py from the Python definition. */
const VECTORS = new URL('../../trainer/tests/tokenizer-vectors.json', import.meta.url);

interface Case {
  name: string;
  text: string;
  words: string[];
  ids: number[];
}
const vectors = JSON.parse(readFileSync(VECTORS, 'utf8')) as { tokenizer: unknown; cases: Case[] };

const good = () => ({ format: 'vitrine-tokenizer', version: 1, maxTokens: 8, hashBuckets: 5, vocab: ['imagine', 'apple'] });

describe('tokenizer: shared vectors with trainer/tokenizer.py', () => {
  const tok = Tokenizer.fromJson(vectors.tokenizer);

  it('reads the description back unchanged', () => {
    expect(tok.toJson()).toEqual(vectors.tokenizer);
    expect(tok.maxTokens).toBe(16);
    expect(tok.hashBuckets).toBe(97);
    expect(vectors.cases.length).toBeGreaterThan(20);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(words(c.text)).toEqual(c.words);
    expect(tok.encode(c.text)).toEqual(c.ids);
  });
});

describe('tokenizer: rules', () => {
  const tok = new Tokenizer(['imagine', 'apple', 'red'], 7, 5);

  it('starts with BOS, pads with PAD, cuts at maxTokens', () => {
    expect(tok.encode('')).toEqual([BOS, PAD, PAD, PAD, PAD]);
    expect(tok.encode('imagine apple')).toEqual([BOS, 2, 3, PAD, PAD]);
    expect(tok.encode('red red red red red red')).toEqual([BOS, 4, 4, 4, 4]);
    expect(tok.size).toBe(2 + 3 + 7);
  });

  it('strips case and accents', () => {
    expect(normalise('Étoilé')).toBe('etoile');
    expect(tok.encode('ÍMÁGÍNÉ')).toEqual(tok.encode('imagine'));
  });

  it('sends unknown words to hash buckets', () => {
    for (const w of ['zebra', '猫', 'яблоко', '𠮷']) expect(tok.wordId(w)).toBe(5 + (fnv1a(w) % 7));
  });

  it('computes 32-bit FNV-1a over UTF-8 bytes', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('walks code points, not UTF-16 units', () => {
    expect(words('x𠮷y 𝐀𝐁')).toEqual(['x𠮷y', 'ab']);
    expect(words('apple🍎tree')).toEqual(['apple', 'tree']);
  });
});

describe('tokenizer: fromJson', () => {
  const bad: [string, (d: Record<string, unknown>) => unknown, RegExp][] = [
    ['not an object', () => null, /not a JSON object/],
    ['an array', () => [], /not a JSON object/],
    ['format', (d) => ({ ...d, format: 'other' }), /format/],
    ['version', (d) => ({ ...d, version: 2 }), /version/],
    ['maxTokens missing', ({ maxTokens: _, ...d }) => d, /maxTokens/],
    ['maxTokens too small', (d) => ({ ...d, maxTokens: 1 }), /maxTokens/],
    ['maxTokens fractional', (d) => ({ ...d, maxTokens: 7.5 }), /maxTokens/],
    ['hashBuckets zero', (d) => ({ ...d, hashBuckets: 0 }), /hashBuckets/],
    ['hashBuckets a string', (d) => ({ ...d, hashBuckets: '5' }), /hashBuckets/],
    ['vocab not an array', (d) => ({ ...d, vocab: 'imagine' }), /vocab/],
    ['vocab entry not a string', (d) => ({ ...d, vocab: ['imagine', 3] }), /vocab\[1\]/],
  ];
  it.each(bad)('rejects %s', (_name, mutate, message) => {
    expect(() => Tokenizer.fromJson(mutate(good()))).toThrow(message);
  });

  it('accepts a good description', () => {
    expect(Tokenizer.fromJson(good()).size).toBe(2 + 2 + 5);
  });

  it('loads a file and names it in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vitrine-tokenizer-'));
    try {
      const ok = join(dir, 'tokenizer.json');
      await writeFile(ok, JSON.stringify(good()));
      expect((await Tokenizer.load(ok)).encode('imagine')[1]).toBe(2);
      const broken = join(dir, 'broken.json');
      await writeFile(broken, JSON.stringify({ ...good(), hashBuckets: -1 }));
      await expect(Tokenizer.load(broken)).rejects.toThrow(/hashBuckets.*broken\.json/);
      const notJson = join(dir, 'not.json');
      await writeFile(notJson, '{');
      await expect(Tokenizer.load(notJson)).rejects.toThrow(/not\.json is not JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('tokenizer: properties', () => {
  const tok = Tokenizer.fromJson(vectors.tokenizer);
  // Random text of any code points, plus the scripts and punctuation that matter here.
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    // Combining acute, variation selector 16 and zero-width joiner are written as escapes.
    fc.string({ unit: fc.constantFrom(...'aÉß ł\u0301ΣσςİıКй猫が사🍎\ufe0f\u200d,.#@１ｶ𠮷'), maxLength: 40 }),
  );

  it('gives maxTokens ids in [0, size), BOS first', () => {
    fc.assert(
      fc.property(text, (s) => {
        const ids = tok.encode(s);
        expect(ids).toHaveLength(tok.maxTokens);
        expect(ids[0]).toBe(BOS);
        for (const id of ids) {
          expect(Number.isInteger(id)).toBe(true);
          expect(id).toBeGreaterThanOrEqual(0);
          expect(id).toBeLessThan(tok.size);
        }
        // Padding only at the end.
        const firstPad = ids.indexOf(PAD);
        if (firstPad >= 0) expect(ids.slice(firstPad).every((id) => id === PAD)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
