import type { TaskBridgeError } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { initialTaskSnapshot, type TaskSnapshot } from '../task-snapshot';
import type { CheckpointStore } from './checkpoint-store';
import { createCheckpointWriter } from './checkpoint-writer';
import { createMemoryCheckpointStore } from './memory';

const cp = (n: number): TaskSnapshot => ({ ...initialTaskSnapshot('t'), lastEventId: `${n}`, eventCount: n });

/** Flushes while fake time runs, as the storage needs time to finish. */
async function flushOnFakeTime(writer: { flush(): Promise<void> }): Promise<void> {
  const flushing = writer.flush();
  await vi.runAllTimersAsync();
  await flushing;
}

/** A store whose writes take `latencyMs` of (fake) time; records what it wrote and the peak concurrency. */
function slowStore(latencyMs: number, failOn: (n: number) => boolean = () => false) {
  const inner = createMemoryCheckpointStore();
  const log = { written: [] as string[], inFlight: 0, maxInFlight: 0 };
  const store: CheckpointStore = {
    ...inner,
    save: async (key, checkpoint) => {
      log.inFlight += 1;
      log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      log.inFlight -= 1;
      if (failOn(Number(checkpoint.lastEventId))) throw new Error('disk on fire');
      log.written.push(checkpoint.lastEventId ?? '');
      await inner.save(key, checkpoint);
    },
  };
  return { store, log, inner };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createCheckpointWriter', () => {
  it('writes after the current task (the app got the event first), not synchronously', async () => {
    const { store, log } = slowStore(0);
    const writer = createCheckpointWriter({ store, key: 'k' });
    writer.schedule(cp(1));
    expect(log.written).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(log.written).toEqual(['1']);
  });

  it('coalesces 10k events arriving faster than storage into a handful of writes, newest last', async () => {
    const { store, log, inner } = slowStore(10);
    const writer = createCheckpointWriter({ store, key: 'k' });
    // 10k events over 100 ms: 100 per ms, each followed by schedule(), as the data path does.
    for (let ms = 0; ms < 100; ms += 1) {
      for (let i = 1; i <= 100; i += 1) writer.schedule(cp(ms * 100 + i));
      await vi.advanceTimersByTimeAsync(1);
    }
    await flushOnFakeTime(writer);
    expect(log.written.length).toBeGreaterThan(1);
    expect(log.written.length).toBeLessThanOrEqual(12);
    expect(log.written.at(-1)).toBe('10000');
    expect((await inner.load('k'))?.lastEventId).toBe('10000');
    expect(log.maxInFlight).toBe(1);
  });

  it('never writes an older checkpoint after a newer one and keeps one write in flight', async () => {
    const { store, log } = slowStore(7);
    const writer = createCheckpointWriter({ store, key: 'k' });
    for (let n = 1; n <= 300; n += 1) {
      writer.schedule(cp(n));
      await vi.advanceTimersByTimeAsync(n % 5);
    }
    await flushOnFakeTime(writer);
    const ids = log.written.map(Number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.at(-1)).toBe(300);
    expect(log.maxInFlight).toBe(1);
  });

  it('flush() resolves once everything scheduled before it is persisted', async () => {
    const { store, inner } = slowStore(50);
    const writer = createCheckpointWriter({ store, key: 'k' });
    writer.schedule(cp(1));
    await vi.advanceTimersByTimeAsync(0); // write of 1 in flight
    writer.schedule(cp(2));
    let flushed = false;
    const flushing = writer.flush().then(() => {
      flushed = true;
    });
    await vi.advanceTimersByTimeAsync(50); // 1 done, 2 starts at once
    expect(flushed).toBe(false);
    expect((await inner.load('k'))?.lastEventId).toBe('1');
    await vi.advanceTimersByTimeAsync(50);
    await flushing;
    expect(flushed).toBe(true);
    expect((await inner.load('k'))?.lastEventId).toBe('2');
  });

  it('flush() with nothing scheduled resolves at once; flush() skips minIntervalMs', async () => {
    const { store, log } = slowStore(0);
    const writer = createCheckpointWriter({ store, key: 'k', minIntervalMs: 1_000 });
    await writer.flush();
    writer.schedule(cp(1));
    await vi.advanceTimersByTimeAsync(999);
    expect(log.written).toEqual([]);
    const flushing = writer.flush();
    await vi.advanceTimersByTimeAsync(0);
    await flushing;
    expect(log.written).toEqual(['1']);
    // The cancelled interval timer must not write again.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(log.written).toEqual(['1']);
  });

  it('waits minIntervalMs between writes', async () => {
    const { store, log } = slowStore(0);
    const writer = createCheckpointWriter({ store, key: 'k', minIntervalMs: 100 });
    writer.schedule(cp(1));
    await vi.advanceTimersByTimeAsync(99);
    expect(log.written).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(log.written).toEqual(['1']);
    writer.schedule(cp(2));
    writer.schedule(cp(3));
    await vi.advanceTimersByTimeAsync(100);
    expect(log.written).toEqual(['1', '3']);
  });

  it('reports a failed write as CHECKPOINT_ERROR, resolves flush and carries on', async () => {
    const { store, log } = slowStore(5, (n) => n === 1);
    const errors: TaskBridgeError[] = [];
    const writer = createCheckpointWriter({ store, key: 'k', onError: (e) => errors.push(e) });
    writer.schedule(cp(1));
    const first = writer.flush();
    await vi.advanceTimersByTimeAsync(5);
    await first;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'CHECKPOINT_ERROR' });
    writer.schedule(cp(2));
    const second = writer.flush();
    await vi.advanceTimersByTimeAsync(5);
    await second;
    expect(log.written).toEqual(['2']);
  });

  it('uses an injected clock', async () => {
    const { store, log } = slowStore(0);
    const callbacks: (() => void)[] = [];
    const writer = createCheckpointWriter({
      store,
      key: 'k',
      clock: {
        now: () => 0,
        setTimeout: (callback) => callbacks.push(callback),
        clearTimeout: () => undefined,
      },
    });
    writer.schedule(cp(1));
    writer.schedule(cp(2));
    expect(callbacks).toHaveLength(1);
    callbacks[0]?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(log.written).toEqual(['2']);
  });

  it('dispose() flushes, then ignores further checkpoints', async () => {
    const { store, log } = slowStore(3);
    const writer = createCheckpointWriter({ store, key: 'k' });
    writer.schedule(cp(1));
    const disposing = writer.dispose();
    await vi.advanceTimersByTimeAsync(3);
    await disposing;
    writer.schedule(cp(2));
    await vi.advanceTimersByTimeAsync(100);
    expect(log.written).toEqual(['1']);
  });
});
