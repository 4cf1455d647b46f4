import { COMMON_HELP, ensureDecided, openContext, out, parse, table } from './common.ts';
import type { Command } from './command.ts';

export const withdrawalsCommand: Command = {
  name: 'withdrawals',
  summary: 'list, per snapshot, the items withdrawn since it was made',
  usage: `vitrine withdrawals [--snapshot ID] [--json]

An objection, deletion, visibility or privacy change (or anything else that
makes a post ineligible) after a snapshot marks that snapshot as holding
withdrawn items: models trained on it should be retrained without them.

${COMMON_HELP}`,
  async run(argv) {
    const { values } = parse(argv, { snapshot: { type: 'string' } });
    const ctx = openContext(values);
    try {
      ensureDecided(ctx);
      const snaps = ctx.store.snapshots.list().filter((s) => !values.snapshot || s.id === values.snapshot);
      const report = snaps.map((s) => {
        const w = ctx.store.snapshots.withdrawals(s.id);
        const byReason: Record<string, number> = {};
        for (const x of w) byReason[x.reason] = (byReason[x.reason] ?? 0) + 1;
        // A withdrawal reaches every model trained on the snapshot (lineage): they hold what was withdrawn.
        const models = ctx.store.models.trainedOn(s.id).map((m) => m.id);
        return { snapshotId: s.id, items: s.items, withdrawn: w.length, byReason, models, withdrawals: w };
      });
      out(ctx.json, report, () =>
        report.length === 0
          ? 'No snapshots.'
          : [
              table([['snapshot', 'items', 'withdrawn', 'by reason', 'models trained on it'], ...report.map((r) => [r.snapshotId, r.items, r.withdrawn, Object.entries(r.byReason).map(([k, n]) => `${k}=${n}`).join(' ') || '-', r.models.join(' ') || '-'])]),
              ...report.filter((r) => r.withdrawn && r.models.length).map((r) => `Retrain without the withdrawn items: ${r.models.join(', ')} (trained on ${r.snapshotId}).`),
              ...report.flatMap((r) => r.withdrawals.slice(0, 50).map((w) => `  ${r.snapshotId}  ${w.postId}  ${w.reason}  ${w.signal}`)),
            ].join('\n'),
      );
      return 0;
    } finally {
      ctx.close();
    }
  },
};
