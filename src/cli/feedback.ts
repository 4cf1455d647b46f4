/**
 * The feedback loop on the command line: `vitrine feedback` (export the preference
 * pairs of consenting accounts), `vitrine reward` (train the reward model),
 * `vitrine finetune` (the next generator), `vitrine compare` (child against parent
 * on held-out prompts) and `vitrine promote` (put a model in use, only if it won).
 */
import path from 'node:path';
import { UsageError, VitrineError } from '../core/errors.ts';
import { readCard, resolveModelDir } from '../imagine/model.ts';
import { compareModels, finetune, FINETUNE_METHODS, heldOutPrompts, isJudge, lastComparison, listRewards, promotionRefusal, recordComparison, resolveReward, trainReward, type Comparison, type FinetuneMethod } from '../feedback/loop.ts';
import { createRankedSet } from '../feedback/ranked.ts';
import { createFeedbackSet, feedbackWithdrawals, listFeedbackSets, resolveFeedbackSet } from '../feedback/pairs.ts';
import { reportMarkdown, simulate, writeReport } from '../feedback/simulate.ts';
import { FileMediaStore } from '../store/media-files.ts';
import type { PyEvent } from '../train/python.ts';
import type { RewardCard } from '../feedback/reward.ts';
import { COMMON_HELP, abortOnSignals, setOverrides, intOption, openContext, out, parse, table, type Context } from './common.ts';
import type { Command } from './command.ts';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)}%`);

export const feedbackCommand: Command = {
  name: 'feedback',
  summary: 'export the preference pairs of accounts that accepted the feedback terms; list feedback sets',
  usage: `vitrine feedback export [--json]
vitrine feedback list [--json]

export  writes DATA/feedback/<set id>/ (docs/formats/feedback-pairs.md): the
        preference pairs from picks, rejections and keeps of the accounts whose
        feedback-terms choice in force is "accepted", their images at the
        generator's resolution, and a held-out split by prompt. The id is a hash
        of the pairs: the same feedback gives the same set.
list    the sets (people's own, or reward-ranked pairs derived from one by
        \`vitrine finetune --ranked\`), and for each one the accounts that revoked
        their consent since (with the models made from the set): remake those
        without them.

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {});
    const [sub, ...rest] = positionals;
    if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const ctx = openContext(values);
    try {
      if (sub === 'export') {
        const s = await createFeedbackSet({ store: ctx.store, images: new FileMediaStore(path.join(ctx.dataDir, 'generated')), dataDir: ctx.dataDir });
        out(ctx.json, s, () =>
          `${s.created ? 'Wrote' : 'Already there:'} feedback set ${s.id}: ${s.manifest.pairs} pairs (${s.manifest.heldOut} held out) from ${s.manifest.generations} generations of ${s.manifest.accounts} accounts\n  ${s.path}\nNext: vitrine reward --feedback ${s.id} · vitrine finetune --feedback ${s.id}`,
        );
        return 0;
      }
      if (sub === 'list') {
        const sets = listFeedbackSets(ctx.dataDir);
        const w = feedbackWithdrawals(ctx.store, ctx.dataDir);
        const report = sets.map((s) => ({ ...s.manifest, path: s.path, revoked: w.find((x) => x.set === s.id) ?? null }));
        out(ctx.json, report, () =>
          report.length
            ? table([
                ['set', 'created', 'from', 'pairs', 'held out', 'accounts', 'revoked since', 'models to remake'],
                ...report.map((r) => [r.id, r.createdAt, r.derived ? `ranked: ${r.derived.feedbackSet}` : 'people', r.pairs, r.heldOut, r.accounts, r.revoked?.accounts.length ?? 0, r.revoked?.models.join(' ') || '-']),
              ])
            : 'No feedback set yet: vitrine feedback export',
        );
        return 0;
      }
      throw new UsageError(sub ? `unknown subcommand "${sub}" (export or list)` : 'say export or list');
    } finally {
      ctx.close();
    }
  },
};

/** How much the reward model reads the prompt, and whether validation chose it (reward.py choose_prompt_weight). */
function promptWeightNote(card: RewardCard): string {
  const t = card.training ?? {};
  if (typeof t.promptWeight !== 'number') return '';
  const tried = t.promptWeightValidation && typeof t.promptWeightValidation === 'object' ? Object.entries(t.promptWeightValidation as Record<string, number>) : [];
  return tried.length
    ? `; prompt weight ${t.promptWeight} (validation on the training prompts: ${tried.map(([w, a]) => `${w} → ${pct(a)}`).join(', ')})`
    : `; prompt weight ${t.promptWeight}`;
}

function printer(ctx: Context, label: string): (e: PyEvent) => void {
  const bar = ctx.progress(label);
  return (e) => {
    if (e.event === 'progress' && typeof e.epoch === 'number') {
      // A reward model's members train one after another: one bar over all their epochs.
      const member = typeof e.member === 'number' ? e.member - 1 : 0;
      const members = typeof e.members === 'number' ? e.members : 1;
      bar.update(member * Number(e.epochs) + e.epoch, members * Number(e.epochs), ' epochs', `loss ${e.loss} `);
    }
    // A reward model first tries each weight of its prompt term on the training prompts (reward.py).
    else if (e.event === 'validation') bar.update(Number(e.done), Number(e.of), ' prompt weights tried', `weight ${e.promptWeight}: ${e.accuracy} `);
    else if (e.event === 'progress' && typeof e.step === 'number') bar.update(e.step, Number(e.steps), ' steps', `loss ${e.loss} `);
    else if (e.event === 'done') bar.done();
  };
}

export const rewardCommand: Command = {
  name: 'reward',
  summary: 'train the reward model on a feedback set (best-of-n reranking, and the judge of comparisons)',
  usage: `vitrine reward [--judge] [--feedback SET] [--model MODEL] [--epochs N] [--seed N] [--json]

Trains trainer/reward.py on the feedback set (default: the newest) with the
tokenizer of MODEL (default: the model in use), exports it to ONNX in
DATA/rewards/<id>/ and prints its pairwise accuracy on the held-out pairs.
It learns each contributing account's own taste as well as the shared one;
two-fold validation on the training prompts chooses how much the prompt
counts (0, 1 or 10: a network that cannot read what people check against
their prompt only adds noise through it).
\`vitrine serve\` reranks with the newest reward model of the model in use,
for the asker's taste while they accept the feedback terms.

  --judge  learn from the held-out pairs instead (accuracy measured on the
           training pairs): a judge for \`vitrine compare\`. Held-out prompts
           are never fine-tuned on, so the judge shares no training pair with
           the models it compares; only its verdict counts for promotion.

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, { feedback: { type: 'string', default: 'latest' }, model: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' }, judge: { type: 'boolean', default: false } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const ctx = openContext(values);
    try {
      const set = resolveFeedbackSet(ctx.dataDir, values.feedback ?? 'latest');
      const modelDir = await resolveModelDir(ctx.dataDir, values.model ?? ctx.store.models.active() ?? undefined);
      const r = await trainReward({
        dataDir: ctx.dataDir, setDir: set.path, modelDir,
        epochs: values.epochs === undefined ? undefined : intOption(values.epochs, 'epochs', 10, 1, 10000),
        seed: values.seed === undefined ? undefined : intOption(values.seed, 'seed', 0, 0, 2 ** 31),
        learnSplit: values.judge ? 'heldout' : 'train',
        onEvent: printer(ctx, 'reward'),
      });
      out(ctx.json, r, () => {
        const m = r.card.metrics;
        return values.judge
          ? `Judge ${r.id} (${r.created ? 'new' : 'already trained'}) learnt from the held-out pairs of ${set.id}: accuracy on the training pairs ${pct(m?.heldOutAccuracy)}, on its own ${pct(m?.trainAccuracy)}\n  ${r.path}`
          : `Reward model ${r.id} (${r.created ? 'new' : 'already trained'}) on ${set.id}: held-out pairwise accuracy ${pct(m?.heldOutAccuracy)}, train ${pct(m?.trainAccuracy)}${promptWeightNote(r.card)}\n  ${r.path}`;
      });
      return 0;
    } finally {
      ctx.close();
    }
  },
};

function finetuneMethod(v: string | undefined): FinetuneMethod {
  const m = FINETUNE_METHODS.find((x) => x === v);
  if (!m) throw new UsageError(`--method must be ${FINETUNE_METHODS.join(', ')}; got "${v}"`);
  return m;
}

export const finetuneCommand: Command = {
  name: 'finetune',
  summary: 'make the next model from people’s preferences (Diffusion-DPO, reward-weighted or the reward’s gradient), with its lineage',
  usage: `vitrine finetune [--feedback SET] [--init MODEL] [--method dpo|rwr|draft] [--with-snapshot] [--ranked N] [--reward ID] [--set KEY=VALUE]... [--max-minutes N] [--fresh] [--json]

Fine-tunes MODEL (default: the model in use) on the feedback set's training
pairs with trainer/finetune.py, exports the child to DATA/models/<id>/ and
registers it with its lineage: the parent, the parent's snapshot and policy,
and the feedback set. It is not put in use: compare it with \`vitrine compare\`,
then \`vitrine promote\` it if it won. Run the same command again to resume.

  --method M         dpo: Diffusion-DPO (default); rwr: reward-weighted
                     regression on the chosen images; draft: the reward
                     model's gradient through the last sampling steps of the
                     child's own images of the set's training prompts (DRaFT),
                     for what the accounts it reads agree on, each image held
                     to the parent's image of the same noise (anchor=40;
                     80 steps at lr 1e-5 unless set)
  --with-snapshot    also train on the parent's snapshot (against forgetting)
  --ranked N         also learn from reward-ranked pairs: for each training
                     prompt of the set, the parent's best and worst of N images
                     (two seeds) as the reward model ranks them for the set's
                     accounts together, each weighted by how far above chance
                     it reads that account's taste; kept as a derived set
  --reward ID        the reward model that ranks (--ranked) or is followed
                     (draft); default: the newest one that learnt from this
                     set's training pairs
  --set KEY=VALUE    a FinetuneConfig value (steps, lr, beta, anchor, batch_size …)

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      feedback: { type: 'string', default: 'latest' }, init: { type: 'string' }, method: { type: 'string', default: 'dpo' },
      'with-snapshot': { type: 'boolean', default: false }, set: { type: 'string', multiple: true, default: [] }, 'max-minutes': { type: 'string' }, fresh: { type: 'boolean', default: false },
      ranked: { type: 'string' }, reward: { type: 'string' },
    });
    if (values.reward !== undefined && values.ranked === undefined && values.method !== 'draft') throw new UsageError('--reward is the reward model of --ranked N or --method draft: give one of them');
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const method = finetuneMethod(values.method);
    const overrides = setOverrides(values.set);
    const ctx = openContext(values);
    const abort = abortOnSignals();
    try {
      const set = resolveFeedbackSet(ctx.dataDir, values.feedback ?? 'latest');
      let rankedSetDir: string | undefined;
      const rewardOf = () => {
        const dir = values.reward ? resolveReward(ctx.dataDir, values.reward) : listRewards(ctx.dataDir).filter((x) => x.card.feedbackSet === set.id && !isJudge(x.card)).pop()?.path;
        if (!dir) throw new VitrineError(`No reward model learnt from ${set.id} yet: run \`vitrine reward --feedback ${set.id}\` first`);
        return dir;
      };
      if (values.ranked !== undefined) {
        const candidates = intOption(values.ranked, 'ranked', 8, 2, 64);
        const rewardDir = rewardOf();
        const bar = ctx.progress('ranking');
        const rs = await createRankedSet({
          dataDir: ctx.dataDir, setDir: set.path, rewardDir, modelDir: await resolveModelDir(ctx.dataDir, values.init ?? ctx.store.models.active() ?? undefined), candidates,
          onProgress: (done, total) => bar.update(done, total, ' groups'),
        });
        bar.done();
        rankedSetDir = rs.path;
      }
      const r = await finetune({
        dataDir: ctx.dataDir, store: ctx.store, setDir: set.path, rankedSetDir, init: values.init, method, overrides,
        rewardDir: method === 'draft' ? rewardOf() : undefined,
        withSnapshot: values['with-snapshot'], fresh: values.fresh,
        maxSeconds: values['max-minutes'] === undefined ? undefined : 60 * intOption(values['max-minutes'], 'max-minutes', 0, 1, 100000),
        onEvent: printer(ctx, 'finetune'), signal: abort.signal,
      });
      if (r.status === 'stopped') {
        out(ctx.json, r, () => `Stopped at step ${r.step}/${r.steps}; run the same command again to resume (${r.runDir})`);
        return 3;
      }
      out(ctx.json, r, () => `Model ${r.model.id} (parent ${r.model.parentId ?? (r.model.card.lineage as { parent?: string }).parent}, feedback ${set.id})\n  ${r.model.path}\nNext: vitrine compare ${r.model.id}`);
      return 0;
    } finally {
      abort.release();
      ctx.close();
    }
  },
};

function faithfulnessLine(c: Comparison): string {
  const f = c.faithfulness;
  if (!f) return '';
  return `\n  faithfulness on ${f.prompts} evaluation prompts (${f.images} images each, ${f.judge}): parent ${pct(f.parent)}, child ${pct(f.child)} (${f.lost} images lost, ${f.gained} gained, p = ${f.pValue.toFixed(4)})${f.worse ? ': it forgot its prompts; it will not be promoted' : ''}`;
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'a fine-tuned model against its parent on held-out prompts, before an independent judge',
  usage: `vitrine compare MODEL [--against PARENT] [--reward ID] [--feedback SET] [--seeds N] [--json]

Both models imagine the held-out prompts of the feedback set MODEL was trained
on (prompts none of its training pairs has) with the same seeds; the judge
(default: the newest one from \`vitrine reward --judge\`) scores every image;
each pair goes to the higher score. Stores the result with MODEL: it wins when
it takes more than half the pairs with a one-sided sign test p < 0.05, and
only a win before a judge (which learnt from held-out pairs only) lets it be
promoted; --reward ID compares before another reward model, for information.
Both models also imagine the evaluation prompts of the held-out split: a child
whose images show the prompted emoji (the evaluation judge's top 5) less often
than its parent's (sign test on the images that differ, p < 0.05) is not
promoted, whatever the people's judge says.

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, { against: { type: 'string' }, reward: { type: 'string', default: 'judge' }, feedback: { type: 'string' }, seeds: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('name one model to compare');
    const ctx = openContext(values);
    try {
      const childDir = await resolveModelDir(ctx.dataDir, positionals[0]);
      const child = await readCard(childDir);
      const lineage = (child.lineage ?? {}) as { parent?: string; feedbackSet?: string };
      const parentRef = values.against ?? lineage.parent;
      if (!parentRef) throw new VitrineError(`${child.id} has no parent in its lineage: say --against MODEL`);
      const setRef = values.feedback ?? lineage.feedbackSet;
      if (!setRef) throw new VitrineError(`${child.id} names no feedback set: say --feedback SET`);
      const set = resolveFeedbackSet(ctx.dataDir, setRef);
      const c = await compareModels({
        childDir, parentDir: await resolveModelDir(ctx.dataDir, parentRef), rewardDir: resolveReward(ctx.dataDir, values.reward ?? 'judge'),
        prompts: heldOutPrompts(set.path), seeds: values.seeds === undefined ? undefined : intOption(values.seeds, 'seeds', 4, 1, 64),
      });
      if (ctx.store.models.get(c.child)) recordComparison(ctx.store, c);
      out(ctx.json, c, () =>
        `${c.child} against ${c.parent} on ${c.prompts} held-out prompts × ${c.pairs / c.prompts} seeds, judged by ${c.judge}:\n  the child takes ${pct(c.winRate)} of ${c.pairs} pairs (p = ${c.pValue.toFixed(4)}): ${!c.judgeIndependent ? `${c.wins ? 'it wins' : 'it does not win'}, but ${c.judge} is not an independent judge, so this does not count for promotion` : c.wins ? (c.faithfulness?.worse ? 'it wins' : 'it wins; `vitrine promote ' + c.child + '` may put it in use') : 'it does not win; it will not be promoted'}${faithfulnessLine(c)}`,
      );
      return 0;
    } finally {
      ctx.close();
    }
  },
};

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'put a model in use for every new imagine request (a fine-tuned one only if it beat its parent)',
  usage: `vitrine promote MODEL [--json]
vitrine promote --default [--json]

MODEL must be registered; a model with a parent must have won its comparison
(vitrine compare). --default goes back to the committed default model.

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, { default: { type: 'boolean', default: false } });
    const ctx = openContext(values);
    try {
      if (values.default) {
        if (positionals.length) throw new UsageError('--default takes no model');
        ctx.store.models.setActive(null);
        out(ctx.json, { inUse: 'default' }, () => 'The committed default model is in use again');
        return 0;
      }
      if (positionals.length !== 1) throw new UsageError('name one model to promote');
      const id = positionals[0]!;
      const why = promotionRefusal(ctx.store, id);
      if (why) throw new VitrineError(why);
      ctx.store.models.setActive(id);
      const c = lastComparison(ctx.store, id);
      out(ctx.json, { inUse: id, comparison: c }, () => `${id} is in use for every new request${c ? ` (it took ${pct(c.winRate)} of ${c.pairs} pairs against ${c.parent})` : ''}`);
      return 0;
    } finally {
      ctx.close();
    }
  },
};

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'prove the feedback loop: simulated people with hidden tastes use the API, then the loop runs and they judge',
  usage: `vitrine simulate [--model MODEL] [--users N] [--rounds N] [--steps N] [--finetune-steps N] [--finetune-set KEY=VALUE]... [--method dpo|rwr|draft] [--ranked N] [--with-snapshot] [--reward-epochs N] [--prompts N] [--seed N] [--out DIR] [--json]

Starts the imagine service on a loopback port with MODEL (default: the model
in use) as the parent, and N
simulated people (default 6; tastes: faithfulness to the prompt as the
evaluation judge sees it, warm colours, vivid colours; one more person never
accepts the feedback terms) imagine, pick and reject over the real HTTP API
for --rounds rounds (default 60). Then: feedback set, reward model, child
(--method dpo: Diffusion-DPO, the default; rwr: the flow loss on the chosen
images, weighted; draft: the reward model's gradient through the last
sampling steps of its own images; --finetune-set KEY=VALUE: a FinetuneConfig value such as
lr; --with-snapshot: also trained on the parent's snapshot, against
forgetting; --ranked N: also on reward-ranked pairs, the parent's best and
worst of N images for each training prompt as the reward model ranks them for
everyone), comparison with the parent (promoted if it wins), and a
head-to-head on held-out prompts judged by the same people. Writes report.md and report.json
to --out (default DATA/simulate/<time>/). Needs the snapshot of the model in
use in this store: run \`vitrine start --no-serve\` first on a new data folder.

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      users: { type: 'string' }, rounds: { type: 'string' }, steps: { type: 'string' }, 'finetune-steps': { type: 'string' },
      'with-snapshot': { type: 'boolean' }, 'reward-epochs': { type: 'string' }, prompts: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' },
      method: { type: 'string', default: 'dpo' }, 'finetune-set': { type: 'string', multiple: true, default: [] }, ranked: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const method = finetuneMethod(values.method);
    const finetuneOverrides = setOverrides(values['finetune-set'], '--finetune-set');
    const num = (v: string | undefined, name: string, max: number) => (v === undefined ? undefined : intOption(v, name, 1, 1, max));
    const ctx = openContext(values);
    const say = (s: string) => !ctx.json && process.stderr.write(`${s}\n`);
    try {
      const bars = new Map<string, ReturnType<typeof printer>>();
      const r = await simulate({
        store: ctx.store, dataDir: ctx.dataDir, model: values.model, users: num(values.users, 'users', 100), rounds: num(values.rounds, 'rounds', 10000),
        steps: num(values.steps, 'steps', 100), finetuneSteps: num(values['finetune-steps'], 'finetune-steps', 100000),
        withSnapshot: values['with-snapshot'] === true, method, finetuneOverrides,
        rankedCandidates: values.ranked === undefined ? undefined : intOption(values.ranked, 'ranked', 8, 2, 64), rewardEpochs: num(values['reward-epochs'], 'reward-epochs', 10000), headToHeadPrompts: num(values.prompts, 'prompts', 1000),
        seed: values.seed === undefined ? undefined : intOption(values.seed, 'seed', 1, 0, 2 ** 31), say,
        onEvent: (stage, e) => (bars.get(stage) ?? bars.set(stage, printer(ctx, stage)).get(stage)!)(e),
      });
      const dir = values.out ?? path.join(ctx.dataDir, 'simulate', new Date().toISOString().replace(/[:.]/g, '-'));
      const file = await writeReport(dir, r);
      out(ctx.json, { ...r, report: file }, () => `${reportMarkdown(r)}\n(${file})`);
      return 0;
    } finally {
      ctx.close();
    }
  },
};
