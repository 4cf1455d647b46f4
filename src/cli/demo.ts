import { join } from 'node:path';
import { DEFAULT_DEMO, generateDemo } from '../ingest/demo/index.ts';
import { COMMON_HELP, dataDir, intOption, out, parse, Progress } from './common.ts';
import type { Command } from './command.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'generate the demo platform (a platform dump from real emoji artwork)',
  usage: `vitrine demo [--accounts N] [--posts M] [--seed S] [--out PATH] [--json]

Writes a deterministic platform dump (default ${DEFAULT_DEMO.accounts} accounts, ${DEFAULT_DEMO.posts} posts, seed ${DEFAULT_DEMO.seed})
to PATH (default DATA/demo), plus canaries.json and demo-truth.jsonl beside it.

${COMMON_HELP}`,
  async run(argv) {
    const { values } = parse(argv, { accounts: { type: 'string' }, posts: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } });
    const outDir = values.out ?? join(dataDir(values.data), 'demo');
    const bar = new Progress('demo', values.quiet);
    const r = await generateDemo({
      accounts: intOption(values.accounts, 'accounts', DEFAULT_DEMO.accounts),
      posts: intOption(values.posts, 'posts', DEFAULT_DEMO.posts),
      seed: intOption(values.seed, 'seed', DEFAULT_DEMO.seed, 0, 2 ** 32 - 1),
      out: outDir,
      onProgress: (d, t) => bar.update(d, t),
    });
    bar.done();
    out(Boolean(values.json), { path: r.path, canaries: r.canaries.map((c) => ({ postId: c.postId, token: c.token })), accounts: r.accounts, posts: r.posts, events: r.events }, () =>
      `Demo platform: ${r.accounts} accounts, ${r.posts} posts, ${r.events} events, ${r.canaries.length} canaries\n  ${r.path}`,
    );
    return 0;
  },
};
