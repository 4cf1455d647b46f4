/**
 * The page's logic that needs no browser (web/src/lib): which messages are
 * prompts, how progress events fold into what a card shows, how refusals are
 * said, and the admin view's numbers. The browser test (test/e2e.test.ts)
 * covers the rest.
 */
import { describe, expect, it } from 'vitest';
import { REJECT_REASONS as SERVER_REASONS } from '../src/feedback/events.ts';
import { REASON_CODES } from '../src/core/reasons.ts';
import { decisionBars, evalFigures, feedbackSeries, percent } from '../web/src/lib/admin-data.ts';
import { ApiError, describeError, NetworkError } from '../web/src/lib/errors.ts';
import { applyEvent, fraction, jobView, settingsText, statusText } from '../web/src/lib/job.ts';
import { parseMessage, subjectOf } from '../web/src/lib/message.ts';
import { REJECT_REASONS, REJECT_TEXT } from '../web/src/lib/reasons.ts';
import type { Generation } from '../web/src/types.ts';

const generation = (over: Partial<Generation> = {}): Generation => ({
  id: 'gen-1',
  prompt: 'imagine a red fox',
  status: 'queued',
  error: null,
  model: 'model-x',
  settings: { seed: 7, steps: 20, guidance: 4, method: 'euler', shift: 1, size: 256, count: 4, candidates: 4, reward: null, strength: null },
  variationOf: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  finishedAt: null,
  milliseconds: null,
  label: 'AI-generated images',
  images: [],
  events: '/api/generations/gen-1/events',
  ...over,
});

describe('chat messages', () => {
  it('treats a message starting with "imagine" as a prompt, in English and French alike', () => {
    expect(parseMessage('imagine a red fox in the snow')).toEqual({ kind: 'imagine', prompt: 'imagine a red fox in the snow', subject: 'a red fox in the snow' });
    expect(parseMessage('  Imagine: un renard roux dans la neige ')).toEqual({ kind: 'imagine', prompt: 'Imagine: un renard roux dans la neige', subject: 'un renard roux dans la neige' });
    expect(subjectOf('imagine, a blue car')).toBe('a blue car');
  });

  it('answers anything else with a one-line hint', () => {
    for (const m of ['hello', 'draw a fox', 'imaginez un renard', 'an imagined fox']) {
      const p = parseMessage(m);
      expect(p.kind, m).toBe('hint');
      expect(p.kind === 'hint' && p.hint).toContain('start your message with “imagine”');
    }
    expect(parseMessage('imagine').kind).toBe('hint');
    expect(parseMessage('   ')).toEqual({ kind: 'empty' });
  });
});

describe('progress', () => {
  it('folds the event stream into what a card shows', () => {
    let v = jobView(generation(), 2);
    expect(statusText(v)).toBe('Waiting in line: position 2');
    v = applyEvent(v, { type: 'queued', position: 1 });
    expect(statusText(v)).toBe('Waiting in line: position 1');
    v = applyEvent(v, { type: 'started' });
    expect(v.generation.status).toBe('running');
    expect(fraction(v)).toBe(0);
    v = applyEvent(v, { type: 'progress', step: 5, steps: 20, preview: ['data:a', 'data:b', 'data:c', 'data:d'] });
    expect(fraction(v)).toBe(0.25);
    expect(statusText(v)).toBe('Making the images: step 5 of 20');
    // A step without previews keeps the last ones on screen.
    v = applyEvent(v, { type: 'progress', step: 6, steps: 20 });
    expect(v.previews).toHaveLength(4);
    const done = generation({ status: 'done', milliseconds: 1234 });
    v = applyEvent(v, { type: 'done', generation: done });
    expect(v.generation).toBe(done);
    expect(v.previews).toEqual([]);
    expect(statusText(v)).toBe('Done in 1.2 s');
  });

  it('says why a request failed, and when it was cancelled', () => {
    expect(statusText(applyEvent(jobView(generation()), { type: 'failed', error: 'the model changed' }))).toBe('Failed: the model changed');
    expect(statusText(applyEvent(jobView(generation()), { type: 'cancelled' }))).toBe('Cancelled');
  });

  it('shows every setting that makes the same images again', () => {
    expect(settingsText(generation())).toBe('seed 7 · 20 steps · guidance 4 · euler · 256 px');
    const best = generation({ settings: { ...generation().settings, candidates: 16, strength: 0.35 } });
    expect(settingsText(best)).toBe('seed 7 · 20 steps · guidance 4 · euler · 256 px · best 4 of 16 · variation strength 0.35');
    const int8 = generation({ settings: { ...generation().settings, method: 'dpm2m', steps: 8, precision: 'int8', guidanceInterval: [0.2, 0.9] } });
    expect(settingsText(int8)).toBe('seed 7 · 8 steps · guidance 4 from t 0.9 to 0.2 · dpm2m · int8 · 256 px');
  });
});

describe('refusals in plain words', () => {
  it('names the field of a validation error without the schema prefix', () => {
    expect(describeError(new ApiError(400, 'validation', 'body/steps must be <= 100')).text).toBe('That was refused: steps must be <= 100.');
  });

  it('says when to try again and where the person’s requests are (429)', () => {
    const d = describeError(
      new ApiError(429, 'rate-limited', 'You already have 3 requests waiting or running; wait for one to finish', { retryAfter: 12, yours: [{ id: 'a', position: 0 }, { id: 'b', position: 3 }, { id: 'c', position: 2 }] }),
    );
    expect(d).toEqual({
      text: 'You already have 3 requests waiting or running; wait for one to finish. Yours: 1 being made now, 2 waiting (queue position 2, 3).',
      retryAfter: 12,
      retry: true,
    });
    expect(describeError(new ApiError(429, 'rate-limited', 'The queue is full (16 waiting); try again shortly', { retryAfter: 30, queueLength: 16 })).text).toBe(
      'The queue is full (16 waiting); try again shortly. 16 requests are waiting.',
    );
  });

  it('tells a lost network from a refusal, and an ended session from both', () => {
    expect(describeError(new NetworkError('POST', '/api/generations', new TypeError('Failed to fetch'))).text).toMatch(/^Cannot reach vitrine/);
    expect(describeError(new ApiError(401, 'unauthorized', 'Log in first')).text).toBe('Your session has ended: log in again.');
    expect(describeError(new ApiError(500, 'internal', 'Something went wrong on our side')).retry).toBe(true);
  });
});

describe('the page and the server agree', () => {
  it('on the reasons a person may give to reject an image', () => {
    expect([...REJECT_REASONS]).toEqual([...SERVER_REASONS]);
    for (const r of REJECT_REASONS) expect(REJECT_TEXT[r]).toMatch(/^[A-Z]/);
  });
});

describe('the admin view’s numbers', () => {
  it('lists eligible first, then every reason code in priority order, with plain words', () => {
    const bars = decisionBars({ eligible: 10, objected: 3, duplicate: 1 });
    expect(bars.map((b) => b.key)).toEqual(['eligible', ...REASON_CODES]);
    expect(bars.find((b) => b.key === 'objected')).toMatchObject({ count: 3, label: 'objected', text: 'The author objected to their posts being used for training.' });
    expect(bars.find((b) => b.key === 'not_public')?.count).toBe(0);
  });

  it('spreads feedback over every day from the first to the last, one series per kind', () => {
    const s = feedbackSeries([
      { day: '2026-01-03', kind: 'pick', count: 2 },
      { day: '2026-01-01', kind: 'reject', count: 1 },
      { day: '2026-01-01', kind: 'pick', count: 4 },
    ]);
    expect(s.days).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    expect(s.series).toEqual([
      { label: 'pick', data: [4, 0, 2] },
      { label: 'reject', data: [1, 0, 0] },
    ]);
    expect(feedbackSeries([])).toEqual({ days: [], series: [] });
  });

  it('reads the headline figures of an evaluation, whatever is missing', () => {
    const f = evalFigures({ byLang: { en: { faithfulness: 0.005, ceiling: 0.99, ratioToCeiling: 0.00505 }, fr: { ratioToCeiling: 0 } }, frechetDistance: 24.9, kid: { mean: 0.098 } });
    expect(f).toMatchObject({ faithfulnessEn: 0.005, ratioEn: 0.00505, ratioFr: 0, frechet: 24.9, kid: 0.098, diversity: null });
    expect(evalFigures(undefined).ratioEn).toBeNull();
    expect(percent(0.00505)).toBe('0.5%');
    expect(percent(null)).toBe('–');
  });
});
