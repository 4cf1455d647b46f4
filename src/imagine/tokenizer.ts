/**
 * The caption tokenizer, TypeScript twin of `trainer/tokenizer.py`.
 *
 * `trainer/tokenizer.py` is the definition (its docstring is the whole
 * specification); this file must give the same words and ids for every text,
 * because the model is trained on ids the Python side made and the product
 * encodes prompts here. `trainer/tests/tokenizer-vectors.json`, written by
 * `trainer/tests/make_tokenizer_vectors.py`, is checked by both test suites.
 *
 * Two JavaScript details matter for the twin to agree with Python:
 * - strings are walked by code point (`for…of`), never by UTF-16 unit, so a
 *   character outside the BMP (an emoji, a rare Han character) is one
 *   character, as it is in Python;
 * - `toLowerCase()` is the locale-independent full case mapping, like
 *   Python's `str.lower()` (İ becomes i + U+0307, final Σ becomes ς).
 *
 * Both sides use their runtime's Unicode tables (Python 3.11: Unicode 14;
 * Node 20: its ICU's, newer). They agree on every character assigned by
 * Unicode 14 except U+1171E (Mn until Unicode 15); characters assigned later
 * may split differently. See the note in `trainer/tokenizer.py`.
 */
import { readFile } from 'node:fs/promises';

export const PAD = 0;
export const BOS = 1;
export const FIRST_WORD = 2;

export const TOKENIZER_FORMAT = 'vitrine-tokenizer';
export const TOKENIZER_VERSION = 1;

/** The JSON description written by `Tokenizer.to_json()` in Python. */
export interface TokenizerJson {
  format: typeof TOKENIZER_FORMAT;
  version: typeof TOKENIZER_VERSION;
  maxTokens: number;
  hashBuckets: number;
  vocab: string[];
}

/** Han, kana and Hangul: every such character is a word of its own. */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x3040 && cp <= 0x30ff) || // hiragana, katakana
    (cp >= 0x3400 && cp <= 0x4dbf) || // CJK extension A
    (cp >= 0x4e00 && cp <= 0x9fff) || // CJK unified
    (cp >= 0xf900 && cp <= 0xfaff) || // CJK compatibility
    (cp >= 0xac00 && cp <= 0xd7af) // Hangul syllables
  );
}

const NON_SPACING_MARKS = /\p{Mn}/gu;
const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;

/** NFKC, lower case, NFD, drop non-spacing marks (Mn), NFC. */
export function normalise(text: string): string {
  const t = text.normalize('NFKC').toLowerCase().normalize('NFD').replace(NON_SPACING_MARKS, '');
  return t.normalize('NFC');
}

/** The words of a text: runs of letters, numbers and marks; each Han, kana or Hangul character alone. */
export function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const c of normalise(text)) {
    if (isCjk(c.codePointAt(0)!)) {
      if (cur) {
        out.push(cur);
        cur = '';
      }
      out.push(c);
    } else if (WORD_CHAR.test(c)) {
      cur += c;
    } else if (cur) {
      out.push(cur);
      cur = '';
    }
  }
  if (cur) out.push(cur);
  return out;
}

const utf8 = new TextEncoder();

/** 32-bit FNV-1a of the UTF-8 bytes of `word`, as an unsigned integer. */
export function fnv1a(word: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8.encode(word)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export class Tokenizer {
  readonly vocab: readonly string[];
  readonly hashBuckets: number;
  readonly maxTokens: number;
  private readonly index = new Map<string, number>();

  constructor(vocab: string[], hashBuckets: number, maxTokens: number) {
    if (!isInteger(maxTokens) || maxTokens < 2) throw new Error(`tokenizer: maxTokens must be an integer of at least 2, not ${maxTokens}`);
    if (!isInteger(hashBuckets) || hashBuckets < 1) throw new Error(`tokenizer: hashBuckets must be a positive integer, not ${hashBuckets}`);
    this.vocab = [...vocab];
    // Like the Python dict: a repeated word keeps its last position.
    this.vocab.forEach((w, i) => this.index.set(w, i + FIRST_WORD));
    this.hashBuckets = hashBuckets;
    this.maxTokens = maxTokens;
  }

  /** Number of distinct ids (the embedding table's rows). */
  get size(): number {
    return FIRST_WORD + this.vocab.length + this.hashBuckets;
  }

  wordId(w: string): number {
    const i = this.index.get(w);
    if (i !== undefined) return i;
    return FIRST_WORD + this.vocab.length + (fnv1a(w) % this.hashBuckets);
  }

  /** `maxTokens` ids: BOS, the words' ids, cut at `maxTokens` and padded with PAD. */
  encode(text: string): number[] {
    const ids = [BOS];
    for (const w of words(text)) {
      if (ids.length >= this.maxTokens) break;
      ids.push(this.wordId(w));
    }
    while (ids.length < this.maxTokens) ids.push(PAD);
    return ids;
  }

  toJson(): TokenizerJson {
    return {
      format: TOKENIZER_FORMAT,
      version: TOKENIZER_VERSION,
      maxTokens: this.maxTokens,
      hashBuckets: this.hashBuckets,
      vocab: [...this.vocab],
    };
  }

  /** Checks the shape of a parsed `vitrine-tokenizer` v1 description; the error names the bad field. */
  static fromJson(obj: unknown): Tokenizer {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error('tokenizer: description is not a JSON object');
    const d = obj as Record<string, unknown>;
    if (d.format !== TOKENIZER_FORMAT) throw new Error(`tokenizer: format must be "${TOKENIZER_FORMAT}", not ${JSON.stringify(d.format)}`);
    if (d.version !== TOKENIZER_VERSION) throw new Error(`tokenizer: version must be ${TOKENIZER_VERSION}, not ${JSON.stringify(d.version)}`);
    if (!isInteger(d.maxTokens) || d.maxTokens < 2) throw new Error(`tokenizer: maxTokens must be an integer of at least 2, not ${JSON.stringify(d.maxTokens)}`);
    if (!isInteger(d.hashBuckets) || d.hashBuckets < 1) throw new Error(`tokenizer: hashBuckets must be a positive integer, not ${JSON.stringify(d.hashBuckets)}`);
    if (!Array.isArray(d.vocab)) throw new Error('tokenizer: vocab must be an array of strings');
    const bad = d.vocab.findIndex((w) => typeof w !== 'string' || w === '');
    if (bad >= 0) throw new Error(`tokenizer: vocab[${bad}] must be a non-empty string, not ${JSON.stringify(d.vocab[bad])}`);
    return new Tokenizer(d.vocab as string[], d.hashBuckets, d.maxTokens);
  }

  /** Reads a tokenizer written by the trainer (`Tokenizer.save` in Python). */
  static async load(path: string): Promise<Tokenizer> {
    const text = await readFile(path, 'utf8');
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new Error(`tokenizer: ${path} is not JSON: ${(e as Error).message}`);
    }
    try {
      return Tokenizer.fromJson(obj);
    } catch (e) {
      throw new Error(`${(e as Error).message} (in ${path})`);
    }
  }
}
