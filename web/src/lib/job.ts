/**
 * A generation as the page shows it while it is made: the generation from the
 * API plus what its progress events said (queue position, step, previews) and
 * whether the event stream is connected. `applyEvent` folds one event in.
 */
import type { Generation, JobEvent } from '../types.ts';

export type Connection = 'live' | 'reconnecting' | 'idle';

export interface JobView {
  generation: Generation;
  /** 1 = next; null when not waiting. */
  position: number | null;
  step: number;
  steps: number;
  /** data: URLs of the model's current guess of each image (x0), sharper every step. */
  previews: string[];
  connection: Connection;
}

export const isFinished = (g: Generation): boolean => g.status === 'done' || g.status === 'failed' || g.status === 'cancelled';

export function jobView(generation: Generation, position: number | null = null): JobView {
  return { generation, position: generation.status === 'queued' ? position : null, step: 0, steps: generation.settings.steps, previews: [], connection: 'idle' };
}

export function applyEvent(v: JobView, e: JobEvent): JobView {
  const g = v.generation;
  switch (e.type) {
    case 'queued':
      return { ...v, generation: { ...g, status: 'queued' }, position: e.position };
    case 'started':
      return { ...v, generation: { ...g, status: 'running' }, position: null, step: 0 };
    case 'progress':
      return { ...v, generation: { ...g, status: 'running' }, position: null, step: e.step, steps: e.steps, previews: e.preview?.length ? e.preview : v.previews };
    case 'done':
      return { ...v, generation: e.generation, position: null, step: v.steps, previews: [], connection: 'idle' };
    case 'failed':
      return { ...v, generation: { ...g, status: 'failed', error: e.error }, position: null, previews: [], connection: 'idle' };
    case 'cancelled':
      return { ...v, generation: { ...g, status: 'cancelled' }, position: null, previews: [], connection: 'idle' };
  }
}

/** 0 to 1: how far along the images are. */
export function fraction(v: JobView): number {
  const s = v.generation.status;
  if (s === 'done') return 1;
  if (s !== 'running' || v.steps <= 0) return 0;
  return Math.min(1, Math.max(0, v.step / v.steps));
}

/** The state in words (for the status line and screen readers). */
export function statusText(v: JobView): string {
  const g = v.generation;
  switch (g.status) {
    case 'queued':
      return v.position && v.position > 0 ? `Waiting in line: position ${v.position}` : 'Waiting in line';
    case 'running':
      return v.step > 0 ? `Making the images: step ${v.step} of ${v.steps}` : 'Making the images…';
    case 'done':
      return `Done${g.milliseconds ? ` in ${formatSeconds(g.milliseconds)}` : ''}`;
    case 'failed':
      return `Failed: ${g.error ?? 'no reason was given'}`;
    case 'cancelled':
      return 'Cancelled';
  }
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** The settings line under a set: everything that, with the model, makes the same images again. */
export function settingsText(g: Generation): string {
  const s = g.settings;
  const guidance = s.guidanceInterval ? `guidance ${s.guidance} from t ${s.guidanceInterval[1]} to ${s.guidanceInterval[0]}` : `guidance ${s.guidance}`;
  const bits = [`seed ${s.seed}`, `${s.steps} steps`, guidance, s.method, ...(s.precision === 'int8' ? ['int8'] : []), `${s.size} px`];
  if (s.candidates > s.count) bits.push(`best ${s.count} of ${s.candidates}`);
  if (s.strength !== null) bits.push(`variation strength ${s.strength}`);
  return bits.join(' · ');
}
