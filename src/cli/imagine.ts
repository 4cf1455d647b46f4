import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../core/errors.ts';
import { imagine, DEFAULT_SIZE } from '../imagine/index.ts';
import { loadModel, resolveModelDir } from '../imagine/model.ts';
import { COMMON_HELP, Progress, dataDir, intOption, out, parse, precisionOption, samplerOption } from './common.ts';
import type { Command } from './command.ts';

function numberOption(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${v}"`);
  return n;
}

/** A file-name stem from the prompt: ascii words, short. */
export function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return s || 'image';
}

export const imagineCommand: Command = {
  name: 'imagine',
  summary: 'a prompt gives four images (AI-made, labelled)',
  usage: `vitrine imagine PROMPT [--seed N] [--out DIR] [--model ID] [--steps N] [--guidance G]
                        [--sampler euler|heun|dpm2m] [--precision int8|fp32] [--size PX]
                        [--no-prompt-metadata] [--json]

Writes four PNG images and a JSON record (prompt, seed, steps, guidance, model)
to --out (default: DATA/imagine). The leading word "imagine" is optional; any
language the training captions cover works, French included.

  --seed N         reproduce the same four images byte for byte (default: random)
  --model ID       a model id, a folder, or a name under models/ (default: models/default)
  --steps N        sampling steps (default: the model's)
  --guidance G     classifier-free guidance scale (default: the model's)
  --sampler NAME   euler, heun or dpm2m (default: the model's)
  --precision P    int8 or fp32 denoiser (default: int8 where the model has one,
                   unless VITRINE_PRECISION=fp32; the record says which ran)
  --size PX        side of the PNGs; the model's images are upscaled (default ${DEFAULT_SIZE})
  --no-prompt-metadata   leave the prompt out of the files (the AI label stays)

${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      seed: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      sampler: { type: 'string' },
      precision: { type: 'string' },
      size: { type: 'string' },
      'no-prompt-metadata': { type: 'boolean', default: false },
    });
    if (positionals.length === 0) throw new UsageError('say what to imagine: vitrine imagine "imagine a red apple"');
    const prompt = positionals.join(' ');
    const seed = values.seed === undefined ? randomInt(0, 2 ** 32) : intOption(values.seed, 'seed', 0, 0, 0xffffffff);
    const sampler = samplerOption(values.sampler);
    const data = dataDir(values.data);
    const modelDir = await resolveModelDir(data, values.model);
    const model = await loadModel(modelDir, undefined, precisionOption(values.precision));
    const progress = new Progress('imagine', values.quiet || values.json);
    const r = await imagine(model, prompt, {
      seed,
      steps: values.steps === undefined ? undefined : intOption(values.steps, 'steps', 20, 1, 200),
      guidance: numberOption(values.guidance, 'guidance', 0, 30),
      method: sampler,
      size: values.size === undefined ? undefined : intOption(values.size, 'size', DEFAULT_SIZE, model.card.imageSize, 2048),
      promptInMetadata: !values['no-prompt-metadata'],
      onStep: (d, t) => progress.update(d, t, ' steps'),
    });
    progress.done();
    const dir = path.resolve(values.out ?? path.join(data, 'imagine'));
    await mkdir(dir, { recursive: true });
    const stem = `${slug(r.record.text)}-${seed}`;
    const images = r.images.map((_, i) => path.join(dir, `${stem}-${i + 1}.png`));
    await Promise.all(r.images.map((b, i) => writeFile(images[i]!, b)));
    const recordPath = path.join(dir, `${stem}.json`);
    const record = { ...r.record, images: images.map((p) => path.basename(p)) };
    await writeFile(recordPath, `${JSON.stringify(record, null, 2)}\n`);
    out(Boolean(values.json), { images, record: recordPath, model: r.record.model, seed, milliseconds: Math.round(r.milliseconds) }, () =>
      [`Imagined ${images.length} images of "${r.record.text}" in ${Math.round(r.milliseconds)} ms (model ${r.record.model}, seed ${seed}).`, ...images.map((p) => `  ${p}`), `  record: ${recordPath}`, 'Every image is labelled as AI-made in its metadata.'].join('\n'),
    );
    return 0;
  },
};
