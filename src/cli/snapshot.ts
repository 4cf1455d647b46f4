import { UsageError } from '../core/errors.ts';
import { createSnapshot } from '../snapshot/index.ts';
import { diffSnapshots } from '../snapshot/diff.ts';
import { COMMON_HELP, ensureDecided, openContext, out, parse, table } from './common.ts';
import type { Command } from './command.ts';

export const snapshotCommand: Command = {
  name: 'snapshot',
  summary: 'write the eligible posts as an immutable training set; list; diff A B',
  usage: `vitrine snapshot [--json]         make a snapshot of what is eligible now
vitrine snapshot list [--json]    the snapshots in this store
vitrine snapshot diff A B [--json] what entered and left between A and B, and why

A snapshot is a folder DATA/snapshots/ID holding WebDataset shards (*.tar with
KEY.png and KEY.json), manifest.jsonl, datasheet.json and attributions.jsonl.
The same inputs and policy give the same ID.

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {});
    const ctx = openContext(values);
    try {
      const [sub, ...rest] = positionals;
      if (sub === 'list') {
        const list = ctx.store.snapshots.list().map((s) => ({ ...s, withdrawn: ctx.store.snapshots.withdrawals(s.id).length, datasheet: undefined }));
        out(ctx.json, list, () =>
          list.length ? table([['id', 'created', 'items', 'withdrawn', 'policy'], ...list.map((s) => [s.id, s.createdAt, s.items, s.withdrawn, s.policyVersion])]) : 'No snapshots yet: run `vitrine snapshot`.',
        );
        return 0;
      }
      if (sub === 'diff') {
        if (rest.length !== 2) throw new UsageError('vitrine snapshot diff takes two snapshot ids: A B');
        const d = diffSnapshots(ctx.store, rest[0]!, rest[1]!);
        out(ctx.json, d, () => {
          const lines = [`${d.from} → ${d.to}: ${d.entered.length} entered, ${d.left.length} left, ${d.kept} in both`];
          if (d.left.length) lines.push('', 'Left (reason now):', ...Object.entries(d.leftByReason).map(([k, n]) => `  ${k}: ${n}`));
          if (d.entered.length) lines.push('', 'Entered (reason it was out before):', ...Object.entries(d.enteredByPreviousReason).map(([k, n]) => `  ${k}: ${n}`));
          for (const e of d.left.slice(0, 20)) lines.push(`  - ${e.postId}  ${e.reason ?? '?'}  ${e.signal ?? ''}`);
          for (const e of d.entered.slice(0, 20)) lines.push(`  + ${e.postId}  was ${e.reason ?? 'new'}  ${e.signal ?? ''}`);
          return lines.join('\n');
        });
        return 0;
      }
      if (sub !== undefined) throw new UsageError(`Unknown snapshot subcommand "${sub}" (try: list, diff)`);
      ensureDecided(ctx);
      const bar = ctx.progress('snapshot');
      const r = await createSnapshot(ctx.store, ctx.media, ctx.dataDir, ctx.policy, { onProgress: (d, t) => bar.update(d, t) });
      bar.done();
      out(ctx.json, r, () => `${r.created ? 'Snapshot' : 'Unchanged snapshot'} ${r.id}: ${r.items} items\n  ${r.path}\n  datasheet: ${r.path}/datasheet.json`);
      return 0;
    } finally {
      ctx.close();
    }
  },
};
