/** What every command shares: options, the data folder, progress bars, output. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve, join } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { SAMPLER_METHODS, type SamplerMethod } from '../imagine/sampler.ts';
import { PRECISIONS, type Precision } from '../imagine/model.ts';
import { openStore, FileMediaStore, type Store } from '../store/index.ts';
import { DEFAULT_POLICY_PATH, loadPolicy, policyVersion, type Policy } from '../decide/policy.ts';
import { decide, type DecideResult } from '../decide/index.ts';

export const COMMON_OPTIONS = {
  data: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  policy: { type: 'string' },
  quiet: { type: 'boolean', short: 'q', default: false },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `Common options:
  --data DIR      data folder (default: $VITRINE_DATA or ./data)
  --policy FILE   policy file (default: policies/default.json)
  --json          machine-readable output on stdout
  -q, --quiet     no progress output
  -h, --help      this help`;

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export function intOption(v: string | undefined, name: string, dflt: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  return n;
}

/** A --sampler value: one of the sampler's methods, or undefined (the model's). */
export function samplerOption(v: string | undefined): SamplerMethod | undefined {
  if (v !== undefined && !(SAMPLER_METHODS as readonly string[]).includes(v)) throw new UsageError(`--sampler must be one of ${SAMPLER_METHODS.join(', ')}, got "${v}"`);
  return v as SamplerMethod | undefined;
}

/** A --precision value: fp32 or int8, or undefined (int8 where the model has it and the CPU runs it fast; model.defaultPrecision). */
export function precisionOption(v: string | undefined): Precision | undefined {
  if (v !== undefined && !(PRECISIONS as readonly string[]).includes(v)) throw new UsageError(`--precision must be one of ${PRECISIONS.join(', ')}, got "${v}"`);
  return v as Precision | undefined;
}

export function dataDir(v: string | undefined): string {
  return resolve(v ?? process.env.VITRINE_DATA ?? './data');
}

export interface Context {
  dataDir: string;
  store: Store;
  media: FileMediaStore;
  policy: Policy;
  json: boolean;
  progress: (label: string) => Progress;
  close(): void;
}

export function openContext(values: { data?: string; json?: boolean; policy?: string; quiet?: boolean }): Context {
  const dir = dataDir(values.data);
  const store = openStore(join(dir, 'vitrine.db'));
  const quiet = Boolean(values.quiet);
  return {
    dataDir: dir,
    store,
    media: new FileMediaStore(join(dir, 'media')),
    policy: loadPolicy(values.policy ?? DEFAULT_POLICY_PATH),
    json: Boolean(values.json),
    progress: (label) => new Progress(label, quiet),
    close: () => store.close(),
  };
}

/**
 * Decides again when the ledger or the policy changed since the last decision,
 * so commands that read decisions (snapshot, explain, withdrawals) never act on
 * stale ones: an objection ingested a second ago is honoured.
 */
export function ensureDecided(ctx: Context): DecideResult | null {
  const last = ctx.store.decisions.lastFinishedRun();
  if (last && last.ledgerVersion === ctx.store.runs.ledgerVersion() && last.policyVersion === policyVersion(ctx.policy)) return null;
  return decideWithProgress(ctx);
}

/** `decide`, with a progress bar per stage. */
export function decideWithProgress(ctx: Context): DecideResult {
  const bars = new Map<string, Progress>();
  const r = decide(ctx.store, ctx.policy, {
    onProgress: (stage, done, total) => {
      const bar = bars.get(stage) ?? bars.set(stage, ctx.progress(`decide: ${stage}`)).get(stage)!;
      bar.update(done, total);
    },
  });
  for (const b of bars.values()) b.done();
  return r;
}

/** Where progress goes and how often; the defaults are the process's stderr and VITRINE_PROGRESS_SECONDS. */
export interface ProgressOptions {
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Seconds between plain lines when stderr is not a terminal (default 30). */
  lineSeconds?: number;
  now?: () => number;
}

/**
 * Progress on stderr: rate and ETA. On a terminal, a bar redrawn in place. Elsewhere (a log file,
 * nohup, a service's journal, CI) a plain line every `lineSeconds` and one at the end, so a run of
 * an hour still says how far it is without flooding the log; work shorter than that prints nothing.
 */
export class Progress {
  private readonly stream: { write(s: string): unknown; isTTY?: boolean };
  private readonly now: () => number;
  private readonly mode: 'bar' | 'lines' | 'off';
  private readonly intervalMs: number;
  private start: number;
  private last = 0;
  private lines = 0;
  private latest = '';
  constructor(
    private label: string,
    quiet = false,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.start = this.now();
    const envSeconds = Number(process.env.VITRINE_PROGRESS_SECONDS);
    this.intervalMs = 1000 * (options.lineSeconds ?? (envSeconds > 0 ? envSeconds : 30));
    this.mode = quiet ? 'off' : this.stream.isTTY && process.env.CI !== 'true' ? 'bar' : 'lines';
    this.last = this.mode === 'lines' ? this.start : 0;
  }
  update(done: number, total: number, unit = '', extra = ''): void {
    if (this.mode === 'off') return;
    const now = this.now();
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const eta = rate > 0 && total > done ? `ETA ${fmtSecs((total - done) / rate)}` : '';
    const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
    if (this.mode === 'lines') {
      this.latest = `${this.label}: ${pct.trim()} ${done}/${total}${unit} ${rate.toFixed(rate < 10 ? 2 : 0)}/s ${extra}${eta}`.trimEnd();
      if (now - this.last < this.intervalMs) return;
      this.last = now;
      this.lines++;
      this.stream.write(`${this.latest} (${fmtSecs(secs)})\n`);
      return;
    }
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    this.stream.write(`\r${this.label.padEnd(16)} [${bar}] ${pct} ${done}/${total}${unit} ${rate.toFixed(0)}/s ${extra}${eta}\x1b[K`);
  }
  done(): void {
    if (this.mode === 'bar') this.stream.write('\n');
    // The last state, once, where earlier lines were printed: the log shows where it ended.
    else if (this.mode === 'lines' && this.lines > 0) this.stream.write(`${this.latest} (${fmtSecs((this.now() - this.start) / 1000)} in all)\n`);
  }
}

/** 59.6 s reads 1m00s, not 0m60s: round once, then split. */
export function fmtSecs(s: number): string {
  const r = Math.round(s);
  return r < 60 ? `${r}s` : `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
}

export function out(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  return rows.map((r) => r.map((v, c) => (typeof v === 'number' ? String(v).padStart(widths[c]!) : String(v).padEnd(widths[c]!))).join('  ')).join('\n');
}

/** `--set KEY=VALUE` options as a record (trainer config overrides). */
export function setOverrides(kvs: readonly string[] | undefined, flag = '--set'): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const kv of kvs ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`${flag} needs KEY=VALUE, got "${kv}"`);
    overrides[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return overrides;
}

/** Ctrl-C or SIGTERM aborts the returned signal (the trainer then checkpoints and exits); `release` unhooks it. */
export function abortOnSignals(): { signal: AbortSignal; release(): void } {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
