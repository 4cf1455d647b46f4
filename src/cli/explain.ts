import { UsageError } from '../core/errors.ts';
import { explain } from '../audit/explain.ts';
import { COMMON_HELP, ensureDecided, openContext, out, parse } from './common.ts';
import type { Command } from './command.ts';

export const explainCommand: Command = {
  name: 'explain',
  summary: 'say in plain words why a post is or is not used',
  usage: `vitrine explain POST_ID [--json]

POST_ID is the id the export gave the post.

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {});
    if (positionals.length !== 1) throw new UsageError('vitrine explain takes exactly one POST_ID');
    const ctx = openContext(values);
    try {
      ensureDecided(ctx);
      const e = explain(ctx.store, positionals[0]!);
      out(ctx.json, e, () => {
        const lines = [`Post ${e.postId}: ${e.eligible ? 'USED for training' : 'NOT used for training'}`, e.summary];
        if (e.reasons.length > 1) lines.push('Also:', ...e.reasons.slice(1).map((r) => `  - ${r.text}`));
        if (e.reasons.length) lines.push('Details:', ...e.reasons.map((r) => `  ${r.code} (rule ${r.rule}): ${r.signal}`));
        if (e.copyOf) lines.push(`Same picture as post ${e.copyOf}.`);
        lines.push(`In snapshots: ${e.snapshots.length ? e.snapshots.join(', ') : 'none'}`);
        for (const w of e.withdrawnFrom) lines.push(`Withdrawn from ${w.snapshotId} (${w.reason}, noticed ${w.detectedAt})`);
        lines.push(`Decided ${e.decidedAt} under policy ${e.policyVersion}`);
        return lines.join('\n');
      });
      return 0;
    } finally {
      ctx.close();
    }
  },
};
