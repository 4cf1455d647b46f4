import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../core/errors.ts';
import { loadModel, resolveModelDir } from '../imagine/model.ts';
import { evaluate, type EvalResults } from '../eval/index.ts';
import { DEFAULT_JUDGE_DIR, loadJudge } from '../eval/judge.ts';
import { loadPrompts, PROMPTS_FILE } from '../eval/prompts.ts';
import { trainJudge } from '../eval/train-judge.ts';
import { openStore } from '../store/index.ts';
import { COMMON_HELP, Progress, dataDir, intOption, out, parse, precisionOption, samplerOption, table } from './common.ts';
import type { Command } from './command.ts';

const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);

export function evalSummary(r: EvalResults): string {
  const rows: (string | number)[][] = [['language', 'prompts', 'images', 'top-5', 'top-1', 'ceiling', 'ratio', 'top-5 captioned (prompts)', 'top-5 not (prompts)']];
  const part = (x: { prompts: number; faithfulness: number } | null) => (x ? `${pct(x.faithfulness)} (${x.prompts})` : '–');
  for (const [lang, f] of Object.entries(r.byLang)) {
    rows.push([lang, f.prompts, f.images, pct(f.faithfulness), pct(f.top1), pct(f.ceiling), f.ratioToCeiling === null ? '–' : f.ratioToCeiling.toFixed(2), part(f.covered), part(f.uncovered)]);
  }
  return [
    `Model ${r.model}, judge ${r.judge}, ${r.settings.steps} ${r.settings.method} steps, guidance ${r.settings.guidance}, ${r.settings.precision ?? 'fp32'} denoiser`,
    table(rows),
    'captioned: the snapshot holds an image of the prompted emoji captioned in the prompt\'s language; not: its name there was never seen with its picture',
    ...(r.reference?.judgeTrainedOnIt
      ? [`Warning: the judge was trained on ${r.reference.snapshot}, these real images: the ceiling is its score on its own training images, higher than on any new picture, so the ratios understate the model`]
      : []),
    `Fréchet distance ${r.frechetDistance?.toFixed(2) ?? '–'}, KID ${r.kid ? `${r.kid.mean.toFixed(4)} ± ${r.kid.std.toFixed(4)}` : '–'} (against ${r.realImages} real images)`,
    `Diversity within sets of four: features ${r.diversity.features.toFixed(3)}, pixels ${r.diversity.pixels.toFixed(3)}`,
    `${r.seconds.toFixed(0)} s`,
  ].join('\n');
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'measure a model: prompt faithfulness (EN, FR) against the judge’s ceiling, FID, KID, diversity',
  usage: `vitrine eval [MODEL] [--judge DIR] [--snapshot ID] [--limit N] [--out DIR] [--steps N] [--guidance G] [--sampler NAME]
             [--precision int8|fp32] [--json]
vitrine eval --train-judge --out DIR [--snapshot ID] [--epochs N] [--final]

Imagines four images for each committed evaluation prompt (src/eval/prompts.json:
emoji names in English and French, phrased as no training caption is) and asks
the judge (default: models/judge) which emoji each shows. Prints and stores:
faithfulness (prompted emoji in the judge's top 5), the judge's score on the
real images of the same emoji (the ceiling) and the ratio, Fréchet distance and
KID against those real images, and diversity within each set of four.
Faithfulness is also split by whether the snapshot captions an image of the
prompted emoji in the prompt's language (results.json also lists each prompt's
hits). Writes
contact sheets (one row per emoji: a real image, then the samples) to --out
(default DATA/evals/MODEL). --steps, --guidance and --sampler (euler, heun,
dpm2m) override the model's sampling settings, --precision its denoiser (int8
where the model has one, else fp32); the results record them.

--train-judge trains a judge on the snapshot's real images (emoji from the demo
truth file); --final trains on every image instead of holding 10 % out.

MODEL is a model id, folder or name under models/ (default: models/default).
Real images come from the model's snapshot (--snapshot overrides) and the demo
truth file (--truth FILE, default DATA/demo/demo-truth.jsonl).

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      judge: { type: 'string' },
      snapshot: { type: 'string' },
      limit: { type: 'string' },
      out: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      sampler: { type: 'string' },
      precision: { type: 'string' },
      prompts: { type: 'string' },
      'train-judge': { type: 'boolean', default: false },
      epochs: { type: 'string' },
      final: { type: 'boolean', default: false },
      truth: { type: 'string' },
    });
    const truthFor = (data: string) => path.resolve(values.truth ?? path.join(data, 'demo', 'demo-truth.jsonl'));
    if (positionals.length > 1) throw new UsageError('vitrine eval takes at most one MODEL');
    const data = dataDir(values.data);
    if (values['train-judge']) {
      if (!values.out) throw new UsageError('--train-judge needs --out DIR (for example models/judge)');
      const store = openStore(path.join(data, 'vitrine.db'));
      const snaps = store.snapshots.list();
      const snap = values.snapshot ? store.snapshots.get(values.snapshot) : snaps[snaps.length - 1];
      store.close();
      if (!snap) throw new UsageError(values.snapshot ? `unknown snapshot ${values.snapshot}` : 'no snapshot yet: run vitrine start');
      const bar = new Progress('judge', values.quiet || values.json);
      const events = await trainJudge({
        snapshotDir: snap.path,
        truthFile: truthFor(data),
        out: path.resolve(values.out),
        epochs: values.epochs === undefined ? undefined : intOption(values.epochs, 'epochs', 30, 1, 1000),
        final: values.final,
        onEvent: (e) => {
          if (e.event === 'progress') bar.update(Number(e.epoch), Number(e.epochs), ' epochs', `loss ${Number(e.loss).toFixed(3)} `);
        },
      });
      bar.done();
      const done = events.find((e) => e.event === 'done') ?? {};
      out(Boolean(values.json), done, () => `Judge trained on ${snap.id}: ${path.resolve(values.out!)} ${JSON.stringify((done as { heldOut?: unknown }).heldOut ?? {})}`);
      return 0;
    }
    const model = await loadModel(await resolveModelDir(data, positionals[0]), undefined, precisionOption(values.precision));
    const j = await loadJudge(values.judge ?? DEFAULT_JUDGE_DIR);
    let prompts = loadPrompts(values.prompts ?? PROMPTS_FILE);
    if (values.limit) {
      // Keep whole emoji (all their prompts in both languages), the first N of them.
      const n = intOption(values.limit, 'limit', 50, 1, 100000);
      const keep = new Set([...new Set(prompts.map((p) => p.emoji))].slice(0, n));
      prompts = prompts.filter((p) => keep.has(p.emoji));
    }
    const dbFile = path.join(data, 'vitrine.db');
    const store = existsSync(dbFile) ? openStore(dbFile) : null;
    try {
      const rec = store?.models.get(model.card.id) ?? null;
      const lineage = (model.card.lineage ?? {}) as { snapshot?: string };
      const snapshotId = values.snapshot ?? rec?.snapshotId ?? lineage.snapshot;
      const snapshotDir = snapshotId ? (store?.snapshots.get(snapshotId)?.path ?? path.join(data, 'snapshots', snapshotId)) : undefined;
      const truthFile = truthFor(data);
      const outDir = path.resolve(values.out ?? path.join(data, 'evals', model.card.id));
      const bar = new Progress('eval', values.quiet || values.json);
      const r = await evaluate({
        model,
        judge: j,
        prompts,
        snapshotDir: snapshotDir && existsSync(snapshotDir) ? snapshotDir : undefined,
        truthFile: existsSync(truthFile) ? truthFile : undefined,
        steps: values.steps === undefined ? undefined : intOption(values.steps, 'steps', 20, 1, 200),
        guidance: values.guidance === undefined ? undefined : Number(values.guidance),
        method: samplerOption(values.sampler),
        sheetDir: outDir,
        onProgress: (d, t) => bar.update(d, t, ' prompts'),
      });
      bar.done();
      await mkdir(outDir, { recursive: true });
      await writeFile(path.join(outDir, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
      if (rec && store) store.models.putEval({ modelId: rec.id, judgeId: r.judge, createdAt: new Date().toISOString(), results: r as unknown as Record<string, unknown> });
      out(Boolean(values.json), r, () =>
        [evalSummary(r), `Results: ${path.join(outDir, 'results.json')}${rec ? ' (and stored with the model)' : ''}`, ...r.sheets.map((s) => `Contact sheet: ${s}`)].join('\n'),
      );
      return 0;
    } finally {
      store?.close();
    }
  },
};
