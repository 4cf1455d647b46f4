import { describe, expect, it } from 'vitest';
import { fmtSecs, Progress } from '../src/cli/common.ts';

/** A fake stderr and clock: what Progress writes, and when. */
function fake(isTTY: boolean) {
  const writes: string[] = [];
  let t = 1_000_000;
  return {
    writes,
    stream: { isTTY, write: (s: string) => writes.push(s) },
    now: () => t,
    advance: (ms: number) => (t += ms),
  };
}

describe('Progress', () => {
  it('writes a plain line every interval when stderr is not a terminal, and the last state at the end', () => {
    const f = fake(false);
    const p = new Progress('train', false, { stream: f.stream, now: f.now, lineSeconds: 30 });
    for (let step = 1; step <= 100; step++) {
      f.advance(1000); // one step a second
      p.update(step, 100, ' steps', 'loss 0.1234 ');
    }
    p.done();
    // Lines at 30, 60 and 90 s, then the end: no carriage returns or escape codes in a log.
    expect(f.writes).toHaveLength(4);
    expect(f.writes.join('')).not.toMatch(/[\r\x1b]/);
    expect(f.writes[0]).toBe('train: 30% 30/100 steps 1.00/s loss 0.1234 ETA 1m10s (30s)\n');
    expect(f.writes[3]).toBe('train: 100% 100/100 steps 1.00/s loss 0.1234 (1m40s in all)\n');
  });

  it('prints nothing for work shorter than the interval', () => {
    const f = fake(false);
    const p = new Progress('ingest', false, { stream: f.stream, now: f.now, lineSeconds: 30 });
    for (let i = 1; i <= 50; i++) {
      f.advance(100);
      p.update(i, 50);
    }
    p.done();
    expect(f.writes).toEqual([]);
  });

  it('redraws one bar in place on a terminal, and prints nothing when quiet', () => {
    const f = fake(true);
    const prevCI = process.env.CI;
    delete process.env.CI;
    try {
      const p = new Progress('snapshot', false, { stream: f.stream, now: f.now });
      f.advance(2000);
      p.update(5, 10, ' items');
      p.done();
      expect(f.writes[0]).toMatch(/^\rsnapshot\s+\[#{12}\.{12}\]\s+50% 5\/10 items 3\/s ETA 2s\x1b\[K$/);
      expect(f.writes[1]).toBe('\n');
    } finally {
      if (prevCI !== undefined) process.env.CI = prevCI;
    }
    const q = fake(false);
    const quiet = new Progress('snapshot', true, { stream: q.stream, now: q.now, lineSeconds: 1 });
    q.advance(5000);
    quiet.update(5, 10);
    quiet.done();
    expect(q.writes).toEqual([]);
  });

  it('formats durations without a 60th second', () => {
    expect([fmtSecs(4.4), fmtSecs(59.6), fmtSecs(119.5), fmtSecs(5650)]).toEqual(['4s', '1m00s', '2m00s', '94m10s']);
  });
});
