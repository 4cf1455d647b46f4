import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with the wait, then refills at the rate', () => {
    let t = 0;
    const r = new RateLimiter(6, 3, () => t); // one token every 10 s
    expect([r.take('a'), r.take('a'), r.take('a')]).toEqual([0, 0, 0]);
    expect(r.take('a')).toBe(10);
    expect(r.take('b')).toBe(0); // keys are independent
    t = 9_000;
    expect(r.take('a')).toBe(1);
    t = 10_500;
    expect(r.take('a')).toBe(0);
    expect(r.take('a')).toBeGreaterThan(0);
  });
});
