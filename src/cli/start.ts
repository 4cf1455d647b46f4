import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DEMO, generateDemo } from '../ingest/demo/index.ts';
import { ingest } from '../ingest/index.ts';
import { createSnapshot } from '../snapshot/index.ts';
import { COMMON_HELP, ensureDecided, intOption, openContext, out, parse } from './common.ts';
import { DEFAULT_MODEL_DIR } from '../imagine/model.ts';
import { registerFromCard } from '../train/index.ts';
import { serve } from './serve.ts';
import type { Command } from './command.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'set up the store and run the whole pipeline on the embedded defaults',
  usage: `vitrine start [--port N] [--host ADDRESS] [--no-serve] [--json]

Opens (or creates) the store in the data folder; if it holds no posts,
generates the demo platform and ingests it; then decides and snapshots,
prints where the snapshot and its datasheet are, and serves the imagine page
and API as \`vitrine serve\` does (default http://127.0.0.1:8080/).

  --port N, --host ADDRESS   as for vitrine serve
  --no-serve                 stop after the snapshot

${COMMON_HELP}`,
  async run(argv) {
    const { values } = parse(argv, { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, 'no-serve': { type: 'boolean', default: false } });
    const port = intOption(values.port ?? process.env.PORT, 'port', 8080, 0, 65535);
    const ctx = openContext(values);
    const say = (s: string) => !ctx.json && process.stderr.write(`${s}\n`);
    try {
      say(`vitrine: data folder ${ctx.dataDir}`);
      if (ctx.store.corpus.counts().posts === 0) {
        const demo = join(ctx.dataDir, 'demo');
        if (!existsSync(join(demo, 'manifest.json'))) {
          say(`Generating the demo platform (${DEFAULT_DEMO.accounts} accounts, ${DEFAULT_DEMO.posts} posts) in ${demo} …`);
          const bar = ctx.progress('demo');
          await generateDemo({ ...DEFAULT_DEMO, out: demo, onProgress: (d, t) => bar.update(d, t) });
          bar.done();
        }
        say('Ingesting the demo platform …');
        const bar = ctx.progress('ingest');
        const r = await ingest(ctx.store, ctx.media, demo, { trainingSize: ctx.policy.snapshot.imageSize, onProgress: (d, t) => bar.update(Math.round(d / 1024), Math.round(t / 1024), ' KiB') });
        bar.done();
        say(`  ${r.counts.posts} posts, ${r.counts.accounts} accounts, ${r.counts.events} events, ${r.counts.issues} issues`);
      }
      say('Deciding …');
      const d = ensureDecided(ctx);
      const counts = d?.counts ?? ctx.store.decisions.countsByReason();
      say(`  ${counts.eligible} of ${ctx.store.corpus.counts().posts} posts eligible`);
      say('Snapshotting …');
      const bar = ctx.progress('snapshot');
      const s = await createSnapshot(ctx.store, ctx.media, ctx.dataDir, ctx.policy, { onProgress: (x, t) => bar.update(x, t) });
      bar.done();
      // The committed default model was trained on this snapshot when the demo is the default one: record its lineage.
      await registerFromCard(ctx.store, DEFAULT_MODEL_DIR);
      out(ctx.json, { snapshot: s, datasheet: join(s.path, 'datasheet.json') }, () =>
        `Snapshot ${s.id} (${s.items} items)\n  ${s.path}\n  datasheet: ${join(s.path, 'datasheet.json')}\nNext: vitrine explain POST_ID · vitrine withdrawals · vitrine --help`,
      );
      if (values['no-serve']) return 0;
      return await serve(ctx, { port, host: values.host ?? '127.0.0.1' }, say);
    } finally {
      ctx.close();
    }
  },
};
