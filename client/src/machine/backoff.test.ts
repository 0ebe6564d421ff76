import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

const spec = { baseMs: 500, maxMs: 10_000 };

describe('backoffDelay (protocol/SPEC.md §10: full jitter, base 500 ms, cap 10 s)', () => {
  it('is random() times the exponential window', () => {
    expect(backoffDelay(0, spec, () => 0.5)).toBe(250);
    expect(backoffDelay(1, spec, () => 0.5)).toBe(500);
    expect(backoffDelay(3, spec, () => 0.5)).toBe(2_000);
  });

  it('is 0 at the bottom of the jitter and never above the cap', () => {
    for (let attempt = 0; attempt < 40; attempt += 1) {
      expect(backoffDelay(attempt, spec, () => 0)).toBe(0);
      const top = backoffDelay(attempt, spec, () => 0.999_999);
      expect(top).toBeLessThanOrEqual(10_000);
      expect(top).toBeGreaterThanOrEqual(0);
    }
    expect(backoffDelay(10, spec, () => 0.999_999)).toBeCloseTo(10_000, 0);
    expect(backoffDelay(2_000, spec, () => 0.5)).toBe(5_000);
  });

  it('treats Retry-After as a floor, not a replacement', () => {
    expect(backoffDelay(0, { ...spec, retryAfterMs: 3_000 }, () => 0)).toBe(3_000);
    expect(backoffDelay(0, { ...spec, retryAfterMs: 100 }, () => 0.5)).toBe(250);
    expect(backoffDelay(10, { ...spec, retryAfterMs: 30_000 }, () => 0.9)).toBe(30_000);
  });

  it('never yields a negative or NaN delay from bad input', () => {
    expect(backoffDelay(-3, spec, () => 0.5)).toBe(250);
    expect(backoffDelay(Number.NaN, spec, () => 0.5)).toBe(250);
    expect(backoffDelay(1, spec, () => Number.NaN)).toBe(0);
    expect(backoffDelay(1, { baseMs: -1, maxMs: -1 }, () => 0.5)).toBe(0);
    expect(backoffDelay(1, { ...spec, retryAfterMs: -50 }, () => 0.5)).toBe(500);
  });
});
