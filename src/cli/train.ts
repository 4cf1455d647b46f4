import { UsageError, VitrineError } from '../core/errors.ts';
import { importRun, train } from '../train/index.ts';
import { COMMON_HELP, abortOnSignals, setOverrides, intOption, openContext, out, parse } from './common.ts';
import type { Command } from './command.ts';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a text-to-image model on a snapshot (PyTorch), export it to ONNX, register its lineage',
  usage: `vitrine train --import-run DIR [--json]
       vitrine train [--snapshot ID] [--config NAME] [--init MODEL] [--set KEY=VALUE]... [--max-minutes N] [--fresh] [--json]

Trains with trainer/train.py (Debian's python3-torch; VITRINE_PYTHON names
another interpreter) on the snapshot (default: the newest), then exports the
EMA weights to DATA/models/<model id>/ and records the model's lineage:
snapshot, policy version, config, code version, training time and hardware.
The run folder DATA/runs/train-CONFIG-SNAPSHOT/ keeps checkpoints, the loss
curve (loss.png) and sample grids (samples-*.png): run the same command again
after an interruption and training resumes where it stopped.

  --config NAME    trainer/configs/NAME.json: tiny, default, gpu (default: default)
  --init MODEL     start from a trained model's weights and tokenizer (a model id,
                   "default" for the committed one, or a folder): train it further
                   or fine-tune it; its architecture must match the config's, and
                   the new model's lineage names it as the parent
  --set KEY=VALUE  override one config value (for example --set steps=100)
  --max-minutes N  stop after N minutes with a checkpoint (resume later)
  --fresh          discard the run folder and start again
  --import-run DIR export and register a run trained elsewhere (a GPU machine:
                   trainer/gpu-run.sh, then trainer/transfer.py unpack); the
                   snapshot it names must be in this store

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      snapshot: { type: 'string' },
      config: { type: 'string', default: 'default' },
      set: { type: 'string', multiple: true, default: [] },
      'max-minutes': { type: 'string' },
      fresh: { type: 'boolean', default: false },
      init: { type: 'string' },
      'import-run': { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const overrides = setOverrides(values.set);
    const maxMinutes = values['max-minutes'] === undefined ? undefined : intOption(values['max-minutes'], 'max-minutes', 0, 1, 100000);
    const ctx = openContext(values);
    const abort = abortOnSignals();
    try {
      // An imported run names its own snapshot (importRun checks this store holds it); training picks one.
      const snapshotId = (): string => {
        const snaps = ctx.store.snapshots.list();
        const id = values.snapshot ?? snaps[snaps.length - 1]?.id;
        if (!id) throw new VitrineError('No snapshot to train on: run `vitrine snapshot` first (or `vitrine start`)');
        return id;
      };
      const imported = values['import-run'];
      const bar = ctx.progress('train');
      const r = imported ? { ...(await importRun({ dataDir: ctx.dataDir, store: ctx.store }, imported)), runDir: imported } : await train({
        dataDir: ctx.dataDir,
        store: ctx.store,
        snapshotId: snapshotId(),
        config: values.config ?? 'default',
        overrides,
        maxSeconds: maxMinutes ? maxMinutes * 60 : undefined,
        fresh: values.fresh,
        init: values.init,
        signal: abort.signal,
        onEvent: (e) => {
          if (e.event === 'progress') {
            bar.update(Number(e.step), Number(e.steps), ' steps', `${Number(e.imagesPerSecond).toFixed(1)} img/s loss ${Number(e.loss).toFixed(4)} `);
          } else if (e.event === 'start' && !ctx.json && !values.quiet) {
            process.stderr.write(`Training on ${String(e.snapshot)} with config ${String(e.config)}: ${(Number(e.params) / 1e6).toFixed(2)} M parameters, ${String(e.threads)} threads${e.precision ? `, ${String(e.precision)}` : ''}${e.init ? `, starting from ${String(e.init)}` : ''}${e.resumed ? `, resumed at step ${String(e.step)}` : ''}\n`);
          }
        },
      });
      bar.done();
      if (r.status === 'stopped') {
        out(ctx.json, r, () => `Stopped at step ${r.step} of ${r.steps} (checkpoint saved). Run the same command again to resume.\n  ${r.runDir}`);
        return 3;
      }
      const m = r.model;
      out(ctx.json, { ...r, model: { ...m, card: undefined } }, () =>
        [
          `Model ${m.id} ${r.created ? 'registered' : '(already registered)'}: ${m.imagesSeen} images seen in ${(m.trainSeconds / 60).toFixed(1)} min`,
          `  trained on ${m.snapshotId} under ${m.policyVersion}, config ${m.configName}, code ${m.codeVersion}`,
          `  ${m.path}`,
          `  loss curve and samples: ${r.runDir}/loss.png, ${r.runDir}/samples-final.png`,
          `Next: vitrine imagine --model ${m.id} "imagine a red apple" · vitrine eval ${m.id}`,
        ].join('\n'),
      );
      return 0;
    } finally {
      abort.release();
      ctx.close();
    }
  },
};
