import { UsageError } from '../core/errors.ts';
import { ingest } from '../ingest/index.ts';
import { COMMON_HELP, openContext, out, parse, table } from './common.ts';
import type { Command } from './command.ts';

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'read an export (platform dump) into the store',
  usage: `vitrine ingest PATH [--format platform-dump] [--json]

Reads PATH into the store. Safe to run again: unchanged records are skipped,
new events (objections, deletions, visibility changes) are added. Bad items are
recorded with a reason and never stop the run.

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, { format: { type: 'string' }, concurrency: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('vitrine ingest takes exactly one PATH');
    const ctx = openContext(values);
    try {
      const bar = ctx.progress('ingest');
      const r = await ingest(ctx.store, ctx.media, positionals[0]!, {
        format: values.format,
        trainingSize: ctx.policy.snapshot.imageSize,
        onProgress: (done, total) => bar.update(Math.round(done / 1024), Math.round(total / 1024), ' KiB'),
      });
      bar.done();
      const issues = ctx.store.runs.issues(r.runId);
      out(ctx.json, { ...r, issues: issues.slice(0, 1000), issuesTruncated: issues.length > 1000 }, () => {
        const lines = [
          `Ingested ${positionals[0]} (source "${r.source}", run ${r.runId})`,
          table([
            ['accounts', 'posts', 'events', 'grants', 'unchanged', 'issues'],
            [r.counts.accounts, r.counts.posts, r.counts.events, r.counts.grants, r.counts.unchanged, r.counts.issues],
          ]),
        ];
        if (issues.length) {
          lines.push('', 'Issues (item: reason):');
          for (const i of issues.slice(0, 20)) lines.push(`  ${i.item}: ${i.code}: ${i.detail}`);
          if (issues.length > 20) lines.push(`  … and ${issues.length - 20} more (--json lists them)`);
        }
        return lines.join('\n');
      });
      return 0;
    } finally {
      ctx.close();
    }
  },
};
