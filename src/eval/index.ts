/**
 * `vitrine eval MODEL`: how good a text-to-image model is, measured with the
 * judge over the committed evaluation prompts (src/eval/prompts.json).
 *
 * - faithfulness: the share of generated images whose prompted emoji is in the
 *   judge's top 5, per language; and the same judge on the real images of those
 *   emoji (the ceiling), so faithfulness is also reported as a ratio to it;
 * - Fréchet distance and KID between generated and real images of the prompted
 *   emoji, in the judge's feature space (KID is unbiased at small counts);
 * - diversity within each set of four (feature cosine distance, pixel difference).
 *
 * Real images come from the snapshot the model was trained on; which emoji each
 * shows comes from the demo platform's truth file (demo-truth.jsonl), since the
 * evaluation is about the demo's emoji.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { readTar } from '../snapshot/tar.ts';
import type { LoadedModel } from '../imagine/model.ts';
import { imagine } from '../imagine/index.ts';
import type { SamplerMethod } from '../imagine/sampler.ts';
import { judge, toJudgeInput, type Judge } from './judge.ts';
import { diversity, frechetDistance, kid, pixelDiversity, topK } from './metrics.ts';
import type { EvalPrompt } from './prompts.ts';

export interface EvalOptions {
  model: LoadedModel;
  judge: Judge;
  prompts: EvalPrompt[];
  /** Snapshot folder with the real images, and the demo truth naming their emoji (both optional: no ceiling or FID without them). */
  snapshotDir?: string;
  truthFile?: string;
  steps?: number;
  guidance?: number;
  method?: SamplerMethod;
  /** Folder for the contact sheets (one PNG per language). */
  sheetDir?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface LangFigures {
  prompts: number;
  images: number;
  /** Share of generated images whose prompted emoji is in the judge's top 5. */
  faithfulness: number;
  /** Same, top 1. */
  top1: number;
  /** The judge's top-5 rate on real images of the same emoji (averaged per prompt). */
  ceiling: number | null;
  ratioToCeiling: number | null;
  /**
   * Faithfulness split by whether the snapshot holds a caption, in the prompt's language, of an
   * image of the prompted emoji: a name never seen with its picture cannot be learnt, however long
   * the training. Null without the snapshot.
   */
  covered: { prompts: number; faithfulness: number } | null;
  uncovered: { prompts: number; faithfulness: number } | null;
}

/** One evaluation prompt's result: how many of its four images the judge reads as the prompted emoji. */
export interface PromptResult {
  emoji: string;
  lang: string;
  text: string;
  images: number;
  top5: number;
  top1: number;
  /** The snapshot captions the emoji in this language (null without the snapshot). */
  covered: boolean | null;
}

export interface EvalResults {
  model: string;
  judge: string;
  settings: { steps: number; guidance: number; guidanceInterval?: [number, number]; method: string; precision?: string; seeds: string };
  byLang: Record<string, LangFigures>;
  realImages: number;
  /**
   * The snapshot the real images come from, and whether the judge was trained on it: then the
   * ceiling is the judge's score on its own training images, higher than on any new picture, and
   * the ratios understate the model.
   */
  reference: { snapshot: string; judgeTrainedOnIt: boolean } | null;
  frechetDistance: number | null;
  kid: { mean: number; std: number } | null;
  diversity: { features: number; pixels: number };
  seconds: number;
  sheets: string[];
  perPrompt: PromptResult[];
}

interface RealItem {
  rgb: Uint8Array;
  emoji: string[];
  /** Languages of the item's training captions. */
  langs: string[];
}

/** Real images of the given emoji from a snapshot's shards (64 px RGB as written by vitrine). */
export async function realImages(snapshotDir: string, truthFile: string, wanted: Set<string>): Promise<{ items: RealItem[]; side: number }> {
  const truth = new Map<string, string[]>();
  for (const line of readFileSync(truthFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const t = JSON.parse(line) as { postId: string; artwork?: { unified?: string[] } };
    truth.set(t.postId, t.artwork?.unified ?? []);
  }
  const items: RealItem[] = [];
  let side = 0;
  for (const shard of readdirSync(snapshotDir).filter((f) => f.endsWith('.tar')).sort()) {
    const entries = readTar(readFileSync(path.join(snapshotDir, shard)));
    const byKey = new Map<string, { png?: Buffer; json?: Buffer }>();
    for (const e of entries) {
      const [key, ext] = e.name.split('.') as [string, string];
      const v = byKey.get(key) ?? {};
      if (ext === 'png') v.png = e.data;
      if (ext === 'json') v.json = e.data;
      byKey.set(key, v);
    }
    for (const v of byKey.values()) {
      if (!v.png || !v.json) continue;
      const meta = JSON.parse(v.json.toString('utf8')) as { postId: string; captions?: { lang?: string | null }[] };
      const emoji = (truth.get(meta.postId) ?? []).filter((u) => wanted.has(u));
      if (!emoji.length) continue;
      const { data, info } = await sharp(v.png).raw().toBuffer({ resolveWithObject: true });
      side = info.width;
      const langs = [...new Set((meta.captions ?? []).map((c) => c.lang).filter((l): l is string => typeof l === 'string'))];
      items.push({ rgb: new Uint8Array(data), emoji, langs });
    }
  }
  return { items, side };
}

/** Rows of RGB tiles (each S × S) as one PNG, tiles enlarged `scale` times, 2 px white gaps. */
export async function contactSheet(rows: Uint8Array[][], S: number, scale = 2): Promise<Buffer> {
  const gap = 2;
  const T = S * scale;
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const W = cols * (T + gap) + gap;
  const H = rows.length * (T + gap) + gap;
  const out = Buffer.alloc(W * H * 3, 255);
  rows.forEach((row, r) =>
    row.forEach((tile, c) => {
      const ox = gap + c * (T + gap);
      const oy = gap + r * (T + gap);
      for (let y = 0; y < T; y++) {
        for (let x = 0; x < T; x++) {
          const si = (Math.floor(y / scale) * S + Math.floor(x / scale)) * 3;
          const di = ((oy + y) * W + ox + x) * 3;
          out[di] = tile[si]!;
          out[di + 1] = tile[si + 1]!;
          out[di + 2] = tile[si + 2]!;
        }
      }
    }),
  );
  return sharp(out, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
}

/** Box-averages an RGB image of `side` px down to `to` px (side a multiple of to). */
function shrink(rgb: Uint8Array, side: number, to: number): Uint8Array {
  if (side === to) return rgb;
  const f = side / to;
  const out = new Uint8Array(to * to * 3);
  for (let y = 0; y < to; y++)
    for (let x = 0; x < to; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += rgb[((y * f + dy) * side + x * f + dx) * 3 + c]!;
        out[(y * to + x) * 3 + c] = Math.round(s / (f * f));
      }
  return out;
}

export async function evaluate(o: EvalOptions): Promise<EvalResults> {
  const started = performance.now();
  const { model, judge: j, prompts } = o;
  const S = model.card.imageSize;
  const JS = j.card.imageSize;
  const steps = o.steps ?? model.card.sampling.steps;
  const guidance = o.guidance ?? model.card.sampling.guidance;
  const method = o.method ?? model.card.sampling.method;
  const missing = prompts.filter((p) => !j.classIndex.has(p.emoji)).map((p) => p.emoji);
  if (missing.length) throw new Error(`The judge does not know ${[...new Set(missing)].join(', ')}: it was trained on another catalogue`);

  // Real images first: the ceiling per emoji.
  const wanted = new Set(prompts.map((p) => p.emoji));
  const ceilingByEmoji = new Map<string, { hit: number; n: number }>();
  let realFeatures: Float32Array[] = [];
  const realExample = new Map<string, Uint8Array>();
  // emoji -> languages it is captioned in; null when no snapshot was read.
  let captionLangs: Map<string, Set<string>> | null = null;
  let reference: EvalResults['reference'] = null;
  if (o.snapshotDir && o.truthFile && existsSync(o.truthFile)) {
    const sheet = path.join(o.snapshotDir, 'datasheet.json');
    const snapshot = existsSync(sheet) ? (JSON.parse(readFileSync(sheet, 'utf8')) as { id: string }).id : path.basename(o.snapshotDir);
    reference = { snapshot, judgeTrainedOnIt: j.card.trainedOn === snapshot };
    const { items, side } = await realImages(o.snapshotDir, o.truthFile, wanted);
    const out = await judge(j, items.map((it) => toJudgeInput(it.rgb, side, JS)));
    realFeatures = out.features;
    captionLangs = new Map();
    items.forEach((it, i) => {
      const top = new Set(topK(out.logits[i]!, 5));
      for (const e of it.emoji) {
        const c = ceilingByEmoji.get(e) ?? { hit: 0, n: 0 };
        c.n++;
        if (top.has(j.classIndex.get(e)!)) c.hit++;
        ceilingByEmoji.set(e, c);
        const langs = captionLangs!.get(e) ?? new Set<string>();
        for (const l of it.langs) langs.add(l);
        captionLangs!.set(e, langs);
        if (!realExample.has(e)) realExample.set(e, shrink(it.rgb, side, S));
      }
    });
  }

  // Generated images: four per prompt, seeds fixed by the prompt's position.
  const ceilByLang = new Map<string, number[]>();
  const genFeatures: Float32Array[] = [];
  const divF: number[] = [];
  const divP: number[] = [];
  const sheetRows = new Map<string, Map<string, Uint8Array[]>>(); // lang -> emoji -> tiles
  const results: PromptResult[] = [];
  for (let i = 0; i < prompts.length; i++) {
    const p = prompts[i]!;
    const r = await imagine(model, p.text, { seed: 1000 + i, steps, guidance, method, size: S });
    const out = await judge(j, r.pixels.map((px) => toJudgeInput(px, S, JS)));
    const target = j.classIndex.get(p.emoji)!;
    const pr: PromptResult = { emoji: p.emoji, lang: p.lang, text: p.text, images: 0, top5: 0, top1: 0, covered: captionLangs ? (captionLangs.get(p.emoji)?.has(p.lang) ?? false) : null };
    for (const lg of out.logits) {
      pr.images++;
      const top = topK(lg, 5);
      if (top.includes(target)) pr.top5++;
      if (top[0] === target) pr.top1++;
    }
    results.push(pr);
    const ceil = ceilByLang.get(p.lang) ?? [];
    const c = ceilingByEmoji.get(p.emoji);
    if (c) ceil.push(c.hit / c.n);
    ceilByLang.set(p.lang, ceil);
    genFeatures.push(...out.features);
    divF.push(diversity(out.features));
    divP.push(pixelDiversity(r.pixels));
    const rows = sheetRows.get(p.lang) ?? new Map<string, Uint8Array[]>();
    const row = rows.get(p.emoji) ?? (realExample.has(p.emoji) ? [realExample.get(p.emoji)!] : []);
    row.push(...r.pixels);
    rows.set(p.emoji, row);
    sheetRows.set(p.lang, rows);
    o.onProgress?.(i + 1, prompts.length);
  }

  const byLang: Record<string, LangFigures> = {};
  const sum = (rs: PromptResult[], k: 'images' | 'top5' | 'top1') => rs.reduce((a, r) => a + r[k], 0);
  for (const [lang, ceil] of ceilByLang) {
    const mine = results.filter((r) => r.lang === lang);
    const images = sum(mine, 'images');
    const faith = sum(mine, 'top5') / images;
    const ceiling = ceil.length === mine.length ? ceil.reduce((a, b) => a + b, 0) / ceil.length : null;
    const split = (covered: boolean) => {
      const rs = mine.filter((r) => r.covered === covered);
      return rs.length ? { prompts: rs.length, faithfulness: sum(rs, 'top5') / sum(rs, 'images') } : null;
    };
    byLang[lang] = {
      prompts: mine.length, images, faithfulness: faith, top1: sum(mine, 'top1') / images, ceiling, ratioToCeiling: ceiling ? faith / ceiling : null,
      covered: split(true), uncovered: split(false),
    };
  }
  const sheets: string[] = [];
  if (o.sheetDir) {
    await mkdir(o.sheetDir, { recursive: true });
    for (const [lang, rows] of sheetRows) {
      const file = path.join(o.sheetDir, `sheet-${lang}.png`);
      await writeFile(file, await contactSheet([...rows.values()], S));
      sheets.push(file);
    }
  }
  const enough = realFeatures.length >= 2;
  return {
    model: model.card.id,
    judge: j.id,
    settings: {
      steps, guidance, ...(model.card.sampling.guidanceInterval ? { guidanceInterval: model.card.sampling.guidanceInterval } : {}),
      method, precision: model.precision, seeds: '1000 + prompt index',
    },
    byLang,
    realImages: realFeatures.length,
    reference,
    frechetDistance: enough ? frechetDistance(genFeatures, realFeatures) : null,
    kid: enough ? kid(genFeatures, realFeatures, { seed: 1 }) : null,
    diversity: { features: divF.reduce((a, b) => a + b, 0) / divF.length, pixels: divP.reduce((a, b) => a + b, 0) / divP.length },
    seconds: (performance.now() - started) / 1000,
    perPrompt: results,
    sheets,
  };
}
