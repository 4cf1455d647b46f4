/**
 * Writes src/eval/prompts.json, the fixed evaluation prompts (run once; the
 * output is committed): 50 emoji drawn from the demo catalogue with a fixed
 * seed, each named in English and French in phrasings the demo's captions
 * never use ("a picture of …", "une image de …"), and once with a keyword.
 *
 *     npx tsx src/eval/make-prompts.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCatalogue } from '../ingest/demo/emoji.ts';
import { Rng } from '../core/prng.ts';
import type { EvalPrompt } from './prompts.ts';

const COUNT = 50;
const catalogue = await loadCatalogue();
const order = new Rng(2026, 'eval-prompts').shuffle(catalogue.map((_, i) => i)).slice(0, COUNT);
const prompts: EvalPrompt[] = [];
for (const i of order.sort((a, b) => a - b)) {
  const e = catalogue[i]!;
  const en = e.labels.en;
  const fr = e.labels.fr;
  const word = (t: string) => /^\p{L}[\p{L} '-]*$/u.test(t);
  const kwEn = (e.tags.en ?? []).find((t) => word(t) && !en.toLowerCase().includes(t.toLowerCase()));
  const kwFr = (e.tags.fr ?? []).find((t) => word(t) && !fr.toLowerCase().includes(t.toLowerCase()));
  const add = (lang: 'en' | 'fr', text: string) => prompts.push({ emoji: e.unified, lang, text, name: lang === 'en' ? en : fr, subcategory: e.subcategory });
  add('en', `a picture of ${en}`);
  add('en', `${en} on a plain background`);
  add('en', kwEn ? `an emoji of ${en}, ${kwEn}` : `an emoji of ${en}`);
  add('fr', `une image de ${fr}`);
  add('fr', `${fr} sur un fond uni`);
  add('fr', kwFr ? `un emoji ${fr}, ${kwFr}` : `un emoji ${fr}`);
}
const out = path.join(import.meta.dirname, 'prompts.json');
writeFileSync(out, `${JSON.stringify({ format: 'vitrine-eval-prompts', version: 1, seed: 2026, emoji: COUNT, prompts }, null, 1)}\n`);
console.log(`${prompts.length} prompts for ${COUNT} emoji → ${out}`);
