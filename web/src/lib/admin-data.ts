/** The admin overview's numbers shaped for charts and tables (pure: tested in test/web-logic.test.ts). */
import { REASON_CODES, REASON_TEXT, type ReasonCode } from '../../../src/core/reasons.ts';
import type { ModelInfo, Overview } from '../types.ts';

export interface Bar {
  key: string;
  label: string;
  count: number;
  /** Plain words for the tooltip and the table. */
  text: string;
}

/** Eligible first, then every reason in priority order (the order decisions use). */
export function decisionBars(decisions: Overview['decisions']): Bar[] {
  const eligible: Bar = { key: 'eligible', label: 'eligible (used)', count: decisions.eligible ?? 0, text: 'May be used for training: public, consented, licensed.' };
  const known = REASON_CODES.map((c: ReasonCode) => ({ key: c, label: c.replace(/_/g, ' '), count: decisions[c] ?? 0, text: REASON_TEXT[c] }));
  const other = Object.keys(decisions)
    .filter((k) => k !== 'eligible' && !(REASON_CODES as readonly string[]).includes(k))
    .map((k) => ({ key: k, label: k.replace(/_/g, ' '), count: decisions[k] ?? 0, text: k }));
  return [eligible, ...known, ...other];
}

export interface Series {
  label: string;
  data: number[];
}

/** Feedback per day, one series per kind, every day from the first to the last (days without any: 0). */
export function feedbackSeries(rows: Overview['feedback'], kinds: readonly string[] = ['pick', 'reject', 'favourite', 'download', 'variation', 'keep', 'unfavourite']): { days: string[]; series: Series[] } {
  if (rows.length === 0) return { days: [], series: [] };
  const sorted = [...rows].sort((a, b) => a.day.localeCompare(b.day));
  const days: string[] = [];
  const first = new Date(`${sorted[0]!.day}T00:00:00Z`);
  const last = new Date(`${sorted[sorted.length - 1]!.day}T00:00:00Z`);
  for (let d = first; d <= last && days.length < 366; d = new Date(d.getTime() + 86_400_000)) days.push(d.toISOString().slice(0, 10));
  const present = [...new Set(rows.map((r) => r.kind))];
  const order = [...kinds.filter((k) => present.includes(k)), ...present.filter((k) => !kinds.includes(k))];
  const series = order.map((kind) => {
    const data = days.map(() => 0);
    for (const r of rows) if (r.kind === kind) data[days.indexOf(r.day)] = (data[days.indexOf(r.day)] ?? 0) + r.count;
    return { label: kind, data };
  });
  return { days, series };
}

export interface EvalFigures {
  faithfulnessEn: number | null;
  faithfulnessFr: number | null;
  ceiling: number | null;
  ratioEn: number | null;
  ratioFr: number | null;
  frechet: number | null;
  kid: number | null;
  diversity: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);

/** The headline figures of an evaluation (`vitrine eval` results), whatever is present. */
export function evalFigures(results: Record<string, unknown> | undefined): EvalFigures {
  return {
    faithfulnessEn: num(at(results, 'byLang', 'en', 'faithfulness')),
    faithfulnessFr: num(at(results, 'byLang', 'fr', 'faithfulness')),
    ceiling: num(at(results, 'byLang', 'en', 'ceiling')),
    ratioEn: num(at(results, 'byLang', 'en', 'ratioToCeiling')),
    ratioFr: num(at(results, 'byLang', 'fr', 'ratioToCeiling')),
    frechet: num(at(results, 'frechetDistance')),
    kid: num(at(results, 'kid', 'mean')),
    diversity: num(at(results, 'diversity', 'features')),
  };
}

/** The latest evaluation of a model. */
export function latestEval(m: ModelInfo): Record<string, unknown> | undefined {
  return [...m.evals].sort((a, b) => (a.at < b.at ? 1 : -1))[0]?.results;
}

export function percent(x: number | null, digits = 1): string {
  return x === null ? '–' : `${(x * 100).toFixed(digits)}%`;
}

export function fixed(x: number | null, digits = 2): string {
  return x === null ? '–' : x.toFixed(digits);
}
