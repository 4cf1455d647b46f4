import { REASON_CODES } from '../core/reasons.ts';
import { COMMON_HELP, decideWithProgress, openContext, out, parse, table } from './common.ts';
import type { Command } from './command.ts';

export const decideCommand: Command = {
  name: 'decide',
  summary: 'decide for every post whether it may be used for training, and why',
  usage: `vitrine decide [--policy FILE] [--json]

Applies the policy's rules and the copy (dedup) policy to every post and
stores each decision with its rule, signal, policy version and time. Prints
counts per reason code. Running it twice changes nothing.

${COMMON_HELP}`,
  async run(argv) {
    const { values } = parse(argv, {});
    const ctx = openContext(values);
    try {
      const r = decideWithProgress(ctx);
      out(ctx.json, r, () =>
        [
          `Decided ${r.posts} posts under ${r.policyVersion} (run ${r.runId}): ${r.counts.eligible} eligible, ${r.changed} changed, ${r.clusters} clusters of copies${r.withdrawalsFound ? `, ${r.withdrawalsFound} new withdrawals from snapshots` : ''}`,
          table([['reason', 'posts'], ['eligible', r.counts.eligible], ...REASON_CODES.filter((c) => r.counts[c]).map((c) => [c, r.counts[c]])]),
        ].join('\n'),
      );
      return 0;
    } finally {
      ctx.close();
    }
  },
};
