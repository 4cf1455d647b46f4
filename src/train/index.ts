/**
 * `vitrine train`: trains a model on a snapshot with the PyTorch trainer, exports
 * it to ONNX, and registers it with its lineage (snapshot, policy, config, code,
 * time, hardware). The run folder is named after the snapshot and the config,
 * so running the same command again resumes an interrupted run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VitrineError } from '../core/errors.ts';
import type { ModelRecord, Store } from '../store/index.ts';
import { readCard, resolveModelDir } from '../imagine/model.ts';
import { TRAINER_DIR, pythonError, runPython, type PyEvent } from './python.ts';

export interface TrainOptions {
  dataDir: string;
  store: Store;
  snapshotId: string;
  config: string;
  overrides?: Record<string, string>;
  maxSeconds?: number;
  fresh?: boolean;
  /** Start from this model's weights (a folder, a model id in DATA/models, or a committed model) instead of random ones. */
  init?: string;
  onEvent?: (e: PyEvent) => void;
  signal?: AbortSignal;
}

export type TrainResult =
  | { status: 'trained'; model: ModelRecord; runDir: string; created: boolean }
  | { status: 'stopped'; runDir: string; step: number; steps: number };

/** A version for the trainer's code: the git commit when there is one, and a hash of trainer/ either way. */
export function codeVersion(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '__pycache__' && e.name !== 'tests') walk(p);
      } else if (e.name.endsWith('.py') || e.name.endsWith('.json')) {
        h.update(`${path.relative(TRAINER_DIR, p)}\0`).update(readFileSync(p));
      }
    }
  };
  walk(TRAINER_DIR);
  let git = 'no-git';
  try {
    git = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: TRAINER_DIR, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    // not a git checkout
  }
  return `${git}+trainer-${h.digest('hex').slice(0, 12)}`;
}

export function runDirFor(dataDir: string, snapshotId: string, config: string, parentId?: string): string {
  const safe = config.replace(/[^A-Za-z0-9_-]+/g, '_');
  return path.join(dataDir, 'runs', `train-${safe}-${snapshotId}${parentId ? `-from-${parentId}` : ''}`);
}

/**
 * Makes sure the store knows a model that a new one starts from, so the child's
 * lineage can point at it: a committed model is registered from its card when
 * the snapshot it names is in this store. Returns whether it is registered.
 */
export async function registerFromCard(store: Store, dir: string): Promise<boolean> {
  const card = await readCard(dir);
  if (store.models.get(card.id)) return true;
  const l = (card.lineage ?? {}) as { snapshot?: string; policyVersion?: string; config?: string; codeVersion?: string; parent?: string };
  const t = (card.training ?? {}) as { configValues?: Record<string, unknown>; trainSeconds?: number; imagesSeen?: number; hardware?: Record<string, unknown> };
  if (!l.snapshot || !store.snapshots.get(l.snapshot)) return false;
  store.models.register({
    id: card.id,
    path: dir,
    createdAt: new Date().toISOString(),
    kind: card.kind,
    snapshotId: l.snapshot,
    policyVersion: l.policyVersion ?? 'unknown',
    parentId: l.parent && store.models.get(l.parent) ? l.parent : null,
    configName: l.config ?? 'unknown',
    config: t.configValues ?? {},
    codeVersion: l.codeVersion ?? 'unknown',
    trainSeconds: t.trainSeconds ?? 0,
    imagesSeen: t.imagesSeen ?? 0,
    hardware: t.hardware ?? {},
    card: card as unknown as Record<string, unknown>,
  });
  return true;
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  const snap = o.store.snapshots.get(o.snapshotId);
  if (!snap) throw new VitrineError(`Unknown snapshot ${o.snapshotId} (vitrine snapshot list shows them)`);
  if (!existsSync(path.join(snap.path, 'datasheet.json'))) throw new VitrineError(`Snapshot ${snap.id}: its folder ${snap.path} is missing`);
  const parentDir = o.init ? await resolveModelDir(o.dataDir, o.init) : undefined;
  const parentId = parentDir ? (await readCard(parentDir)).id : undefined;
  const runDir = runDirFor(o.dataDir, snap.id, o.config, parentId);
  if (o.fresh) await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });
  const args = ['--snapshot', snap.path, '--out', runDir, '--config', o.config];
  if (parentDir) {
    await registerFromCard(o.store, parentDir);
    args.push('--init', parentDir);
  }
  for (const [k, v] of Object.entries(o.overrides ?? {})) args.push('--set', `${k}=${v}`);
  if (o.maxSeconds) args.push('--max-seconds', String(o.maxSeconds));
  const t = await runPython('train.py', args, o.onEvent, o.signal);
  if (t.code === 3) {
    const last = [...t.events].reverse().find((e) => e.event === 'stopped');
    return { status: 'stopped', runDir, step: Number(last?.step ?? 0), steps: Number(last?.steps ?? 0) };
  }
  if (t.code !== 0) throw new VitrineError(`Training failed (exit ${t.code}): ${pythonError(t.stderr)}\n(run folder ${runDir}; run the same command again to resume)`);
  return { ...(await exportAndRegister(o, runDir, snap.id, snap.policyVersion)), runDir };
}

/**
 * Exports and registers a run trained on another machine (a GPU, see trainer/gpu-run.sh and
 * trainer/transfer.py): the run folder must hold final.pt, tokenizer.json and training.json,
 * and the snapshot it names must be in this store, so the lineage is complete.
 */
export async function importRun(
  o: Pick<TrainOptions, 'dataDir' | 'store' | 'onEvent'>,
  runDir: string,
): Promise<{ status: 'trained'; model: ModelRecord; created: boolean }> {
  for (const f of ['final.pt', 'tokenizer.json', 'training.json']) {
    if (!existsSync(path.join(runDir, f))) throw new VitrineError(`${runDir}: no ${f} (not a finished run; trainer/transfer.py unpack makes one)`);
  }
  const t = JSON.parse(await readFile(path.join(runDir, 'training.json'), 'utf8')) as { snapshot?: string; config?: string };
  if (!t.snapshot || !t.config) throw new VitrineError(`${runDir}/training.json: no snapshot or config recorded`);
  const snap = o.store.snapshots.get(t.snapshot);
  if (!snap) throw new VitrineError(`${runDir}: trained on snapshot ${t.snapshot}, which this store does not hold (the lineage would be broken)`);
  return exportAndRegister({ ...o, config: t.config }, runDir, snap.id, snap.policyVersion);
}

/** Exports the finished run into DATA/models/<id>/ (written aside, renamed into place) and registers it. */
export async function exportAndRegister(
  o: Pick<TrainOptions, 'dataDir' | 'store' | 'config' | 'onEvent'>,
  runDir: string,
  snapshotId: string,
  policyVersion: string,
  /** More lineage (a fine-tune names its feedback set, any reward-ranked set, and its parent). */
  extraLineage: { parent?: string; feedbackSet?: string; rankedSet?: string; reward?: string } = {},
): Promise<{ status: 'trained'; model: ModelRecord; created: boolean }> {
  const training = JSON.parse(await readFile(path.join(runDir, 'training.json'), 'utf8')) as {
    configValues: Record<string, unknown>; trainSeconds: number; imagesSeen: number; hardware: Record<string, unknown>; init?: string | null;
  };
  const parent = extraLineage.parent ?? training.init ?? null;
  const lineage = { snapshot: snapshotId, policyVersion, config: o.config, codeVersion: codeVersion(), ...extraLineage, ...(parent ? { parent } : {}) };
  const models = path.join(o.dataDir, 'models');
  await mkdir(models, { recursive: true });
  const tmp = path.join(models, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const extra = path.join(runDir, 'card-extra.json');
  await writeFile(extra, JSON.stringify({ lineage }));
  const e = await runPython('export.py', ['--run', runDir, '--out', tmp, '--card-extra', extra], o.onEvent);
  if (e.code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new VitrineError(`Export to ONNX failed: ${pythonError(e.stderr)}`);
  }
  const card = await readCard(tmp);
  const dir = path.join(models, card.id);
  if (existsSync(dir)) await rm(tmp, { recursive: true, force: true });
  else await rename(tmp, dir);
  const rec: ModelRecord = {
    id: card.id,
    path: dir,
    createdAt: new Date().toISOString(),
    kind: card.kind,
    snapshotId,
    policyVersion,
    parentId: parent && o.store.models.get(parent) ? parent : null,
    configName: o.config,
    config: training.configValues,
    codeVersion: lineage.codeVersion,
    trainSeconds: training.trainSeconds,
    imagesSeen: training.imagesSeen,
    hardware: training.hardware,
    card: card as unknown as Record<string, unknown>,
  };
  const created = o.store.models.register(rec);
  return { status: 'trained', model: o.store.models.get(card.id) ?? rec, created };
}
