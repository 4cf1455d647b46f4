/**
 * Trains the evaluation judge (trainer/judge.py) on a snapshot's real images.
 * Which emoji each image shows comes from the demo platform's truth file,
 * joined by post id (trainer/judge_labels.py); sub-categories from the catalogue.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VitrineError } from '../core/errors.ts';
import { loadCatalogue } from '../ingest/demo/emoji.ts';
import { pythonError, runPython, type PyEvent } from '../train/python.ts';

export interface TrainJudgeOptions {
  snapshotDir: string;
  truthFile: string;
  out: string;
  epochs?: number;
  threads?: number;
  /** Train on every image (the committed judge) rather than holding 10 % out to report accuracy. */
  final?: boolean;
  limit?: number;
  onEvent?: (e: PyEvent) => void;
}

export async function trainJudge(o: TrainJudgeOptions): Promise<PyEvent[]> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'vitrine-judge-'));
  try {
    const catalogue = path.join(tmp, 'catalogue.json');
    await writeFile(catalogue, JSON.stringify((await loadCatalogue()).map((e) => ({ unified: e.unified, subcategory: e.subcategory }))));
    const labels = path.join(tmp, 'labels.jsonl');
    const l = await runPython('judge_labels.py', ['--snapshot', o.snapshotDir, '--truth', o.truthFile, '--catalogue', catalogue, '--out', labels]);
    if (l.code !== 0) throw new VitrineError(`Judge labels failed: ${pythonError(l.stderr)}`);
    const args = ['--snapshot', o.snapshotDir, '--labels', labels, '--out', o.out];
    if (o.epochs) args.push('--epochs', String(o.epochs));
    if (o.threads) args.push('--threads', String(o.threads));
    if (o.final) args.push('--final');
    if (o.limit) args.push('--limit', String(o.limit));
    const j = await runPython('judge.py', args, o.onEvent);
    if (j.code !== 0) throw new VitrineError(`Judge training failed: ${pythonError(j.stderr)}`);
    return j.events;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
