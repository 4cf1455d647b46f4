/**
 * Diagnostic: prompt faithfulness (judge top-5) when the prompt is a snapshot item's own English
 * training caption, word for word, for 40 single-emoji items of shard 3 of the default snapshot.
 * Compared with `vitrine eval` (new phrasings) it separates "not learnt" from "not generalised".
 *
 *     npm start && node --import tsx bench/imagine/captions.ts
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readTar } from '../../src/snapshot/tar.ts';
import { loadModel, DEFAULT_MODEL_DIR } from '../../src/imagine/model.ts';
import { imagine } from '../../src/imagine/index.ts';
import { loadJudge, judge, toJudgeInput } from '../../src/eval/judge.ts';
import { topK } from '../../src/eval/metrics.ts';
const snap = 'data/snapshots/snap-5501dbff00157f3f1069';
const truth = new Map<string, string[]>();
for (const l of readFileSync('data/demo/demo-truth.jsonl', 'utf8').trim().split('\n')) { const t = JSON.parse(l); truth.set(t.postId, t.artwork.unified); }
const items: { text: string; emoji: string }[] = [];
for (const e of readTar(readFileSync(path.join(snap, 'shard-000003.tar')))) {
  if (!e.name.endsWith('.json')) continue;
  const m = JSON.parse(e.data.toString());
  const u = truth.get(m.postId) ?? [];
  const en = m.captions.find((c: { lang: string }) => c.lang === 'en');
  if (u.length === 1 && en) items.push({ text: en.text, emoji: u[0]! });
  if (items.length >= 40) break;
}
const model = await loadModel(DEFAULT_MODEL_DIR);
const j = await loadJudge();
let hit = 0, n = 0;
for (const [i, it] of items.entries()) {
  const r = await imagine(model, it.text, { seed: 5000 + i, size: 32 });
  const out = await judge(j, r.pixels.map((p) => toJudgeInput(p, 32, 32)));
  for (const lg of out.logits) { n++; if (topK(lg, 5).includes(j.classIndex.get(it.emoji)!)) hit++; }
}
console.log(`training captions (English, verbatim): top-5 ${hit}/${n} = ${(hit / n).toFixed(3)}`);
