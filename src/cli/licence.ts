import { randomUUID } from 'node:crypto';
import { UsageError } from '../core/errors.ts';
import { COMMON_HELP, openContext, out, parse, table } from './common.ts';
import type { Command } from './command.ts';

export const licenceCommand: Command = {
  name: 'licence',
  summary: 'record a licence grant (a licensing deal) or list them',
  usage: `vitrine licence grant --licence ID (--account ID | --post ID | --holder NAME) [--note TEXT] [--json]
vitrine licence list [--json]

A grant is a permission to train obtained from the rights holder (the
"licensing deal"): it covers one post, every post of an account, or every post
whose rights holder is NAME. The next decision flips the posts it covers.

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      licence: { type: 'string' },
      account: { type: 'string' },
      post: { type: 'string' },
      holder: { type: 'string' },
      note: { type: 'string' },
    });
    const ctx = openContext(values);
    try {
      if (positionals[0] === 'list') {
        const g = ctx.store.corpus.grants();
        out(ctx.json, g, () =>
          g.length ? table([['id', 'licence', 'scope', 'granted', 'origin'], ...g.map((x) => [x.id, x.licence, x.postId ? `post ${x.postId}` : x.accountId ? `account ${x.accountId}` : `holder ${x.rightsHolder}`, x.grantedAt, x.origin])]) : 'No licence grants.',
        );
        return 0;
      }
      if (positionals[0] !== 'grant') throw new UsageError('vitrine licence takes "grant" or "list"');
      if (!values.licence) throw new UsageError('--licence is required (an SPDX id or LicenseRef-… naming the deal)');
      const scopes = [values.account, values.post, values.holder].filter((x) => x !== undefined);
      if (scopes.length !== 1) throw new UsageError('give exactly one of --account, --post, --holder');
      if (values.account && !ctx.store.corpus.getAccount(values.account)) throw new UsageError(`No account "${values.account}" in this store`);
      if (values.post && !ctx.store.corpus.getPost(values.post)) throw new UsageError(`No post "${values.post}" in this store`);
      const grant = {
        id: `grant-${randomUUID()}`, licence: values.licence, accountId: values.account ?? null, postId: values.post ?? null,
        rightsHolder: values.holder ?? null, grantedAt: new Date().toISOString(), note: values.note ?? null, origin: 'cli' as const,
      };
      ctx.store.transaction(() => {
        ctx.store.corpus.putGrant(grant);
        ctx.store.runs.bumpLedger();
      });
      out(ctx.json, grant, () => `Recorded ${grant.id}: ${grant.licence} for ${values.post ? `post ${values.post}` : values.account ? `account ${values.account}` : `rights holder "${values.holder}"`}. The next \`vitrine decide\` applies it.`);
      return 0;
    } finally {
      ctx.close();
    }
  },
};
