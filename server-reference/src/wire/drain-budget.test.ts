import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDrainBudget } from './drain-budget';

const never = () => new Promise<void>(() => undefined);

afterEach(() => {
  vi.useRealTimers();
});

describe('createDrainBudget', () => {
  it('gives every wait the whole budget, even one that starts late in the timer period', async () => {
    vi.useFakeTimers();
    const budget = createDrainBudget(1_000);
    let release: () => void = () => undefined;
    const first = budget.wait(new Promise<void>((resolve) => (release = resolve)));
    await vi.advanceTimersByTimeAsync(900);
    release();
    expect(await first).toBe(true);
    // The timer armed for the first wait fires 100 ms into this one: it must re-arm, not expire it.
    let expired = false;
    const second = budget.wait(never()).then((drained) => (expired = !drained));
    await vi.advanceTimersByTimeAsync(999);
    expect(expired).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await second;
    expect(expired).toBe(true);
    budget.dispose();
  });

  it('arms one timer for many quick waits', async () => {
    vi.useFakeTimers();
    const budget = createDrainBudget(1_000);
    for (let i = 0; i < 1_000; i++) expect(await budget.wait(Promise.resolve())).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    budget.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never expires without a limit', async () => {
    vi.useFakeTimers();
    const budget = createDrainBudget(Number.POSITIVE_INFINITY);
    let settled = false;
    void budget.wait(never()).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(settled).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
