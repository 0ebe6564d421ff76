/**
 * The lease logic on fake timers: a run renews its lease every third of `leaseMs`; a lease that stops
 * being renewed is reaped within `leaseMs + intervalMs`, by exactly one of several reapers; a run whose
 * lease was reaped (or ran out while the store was unreachable) is told at once; the loss policy
 * fails or re-queues the task.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventBuilder } from '../../engine/event-builder';
import { createMemoryBackend } from '../../engine/state/memory/memory-backend';
import type { StoredTask } from '../../engine/state/task-registry';
import type { Lease } from './lease';
import { keepLease } from './lease-keeper';
import { createMemoryLeaseStore } from './memory-lease-store';
import { startReaper } from './reaper';
import { applyLossPolicy } from './worker-loss';

const LEASE_MS = 3000;
const INTERVAL_MS = 500;
const lease: Lease = { taskId: 't1', epoch: 1, policy: 'fail', maxAttempts: 3 };

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('keepLease', () => {
  it('renews every leaseMs / 3 while kept; stops renewing on stop()', async () => {
    const store = createMemoryLeaseStore();
    const renew = vi.spyOn(store, 'renew');
    const kept = await keepLease(store, lease, { leaseMs: LEASE_MS, onLost: () => undefined });
    await vi.advanceTimersByTimeAsync(LEASE_MS);
    expect(renew).toHaveBeenCalledTimes(3);
    expect(await store.expired(Date.now() + LEASE_MS - 1, 10)).toEqual([]);
    kept.stop();
    await vi.advanceTimersByTimeAsync(LEASE_MS * 3);
    expect(renew).toHaveBeenCalledTimes(3);
    expect(kept.lost).toBe(false);
  });

  it('calls onLost at the first renewal after a reaper took the lease', async () => {
    const store = createMemoryLeaseStore();
    const onLost = vi.fn();
    const kept = await keepLease(store, lease, { leaseMs: LEASE_MS, onLost });
    await store.hold(lease, 0);
    expect(await store.claim(lease, Date.now())).toBe(true);
    await vi.advanceTimersByTimeAsync(LEASE_MS / 3);
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(kept.lost).toBe(true);
    await vi.advanceTimersByTimeAsync(LEASE_MS * 3);
    expect(onLost).toHaveBeenCalledTimes(1);
  });

  it('while renewals fail, keeps going until the lease ran out, then calls onLost', async () => {
    const store = createMemoryLeaseStore();
    const onLost = vi.fn();
    await keepLease(store, lease, { leaseMs: LEASE_MS, onLost });
    vi.spyOn(store, 'renew').mockRejectedValue(new Error('store unreachable'));
    await vi.advanceTimersByTimeAsync(LEASE_MS - 1);
    expect(onLost).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(LEASE_MS / 3);
    expect(onLost).toHaveBeenCalledTimes(1);
  });
});

describe('startReaper', () => {
  it('notices a lease that stopped being renewed within leaseMs + intervalMs, once across two reapers', async () => {
    const store = createMemoryLeaseStore();
    const handled: string[] = [];
    const onExpired = (name: string) => (expired: Lease) => {
      handled.push(`${name}:${expired.taskId}`);
      return Promise.resolve();
    };
    const reapers = [
      startReaper({ store, intervalMs: INTERVAL_MS, onExpired: onExpired('a') }),
      startReaper({ store, intervalMs: INTERVAL_MS, onExpired: onExpired('b') }),
    ];
    const kept = await keepLease(store, lease, { leaseMs: LEASE_MS, onLost: () => undefined });
    await vi.advanceTimersByTimeAsync(LEASE_MS * 2);
    expect(handled).toEqual([]);
    kept.stop(); // the worker died: no more renewals
    const diedAt = Date.now();
    await vi.advanceTimersByTimeAsync(LEASE_MS - 1);
    expect(handled).toEqual([]);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS + 1);
    expect(handled).toHaveLength(1);
    expect(Date.now() - diedAt).toBeLessThanOrEqual(LEASE_MS + INTERVAL_MS);
    expect(store.size).toBe(0);
    await Promise.all(reapers.map((reaper) => reaper.stop()));
  });

  it('puts a lease back when its policy could not be applied; the next sweep applies it', async () => {
    const store = createMemoryLeaseStore();
    const onExpired = vi.fn<(expired: Lease) => Promise<void>>();
    onExpired.mockRejectedValueOnce(new Error('queue unreachable')).mockResolvedValue(undefined);
    const onError = vi.fn();
    const reaper = startReaper({ store, intervalMs: INTERVAL_MS, onExpired, onError });
    await store.hold(lease, Date.now());
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(onExpired).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(store.size).toBe(1);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(onExpired).toHaveBeenCalledTimes(2);
    expect(store.size).toBe(0);
    await reaper.stop();
  });
});

describe('applyLossPolicy', () => {
  const task: StoredTask = {
    taskId: 't1',
    taskType: 'work',
    owner: 'alice',
    clientRequestId: 'c1',
    input: {},
    metadata: {},
    attachments: [],
    status: 'RUNNING',
    createdAt: 0,
    updatedAt: 0,
    fingerprint: 'f',
    auth: { subject: 'alice', scopes: [], attributes: {} },
    runner: 'worker:w1',
    leaseUntil: null,
    epoch: 1,
  };
  const setUp = async () => {
    const backend = createMemoryBackend();
    const build = createEventBuilder(Date.now);
    await backend.tasks.create({ ...task });
    await backend.events.append(build.started('t1'), { epoch: 1 });
    const enqueue = vi.fn<(taskId: string, taskType: string, epoch: number) => Promise<void>>();
    enqueue.mockResolvedValue(undefined);
    const deps = { backend, build, now: Date.now, enqueue, logger: () => undefined };
    return { backend, build, deps, enqueue };
  };

  it("'fail': one TASK_FAILED WORKER_LOST written with the next epoch, which fences the lost run", async () => {
    const { backend, deps, enqueue } = await setUp();
    await applyLossPolicy(lease, deps);
    const { events } = await backend.events.read('t1', null, 10);
    expect(events.at(-1)).toMatchObject({
      type: 'TASK_FAILED',
      payload: { code: 'WORKER_LOST', retryable: true },
    });
    expect(enqueue).not.toHaveBeenCalled();
    // A second reaper (or a late sweep) changes nothing: the task is terminal.
    await applyLossPolicy(lease, deps);
    expect((await backend.events.read('t1', null, 10)).events).toHaveLength(2);
    await backend.close();
  });

  it("'retry': queues the next epoch; past maxAttempts it fails with WORKER_LOST", async () => {
    const { backend, deps, enqueue } = await setUp();
    await applyLossPolicy({ ...lease, policy: 'retry' }, deps);
    expect(enqueue).toHaveBeenCalledWith('t1', 'work', 2);
    expect((await backend.events.head('t1')).terminal).toBeNull();
    await applyLossPolicy({ ...lease, policy: 'retry', epoch: 3 }, deps);
    expect(enqueue).toHaveBeenCalledTimes(1);
    expect((await backend.events.head('t1')).terminal).toMatchObject({
      type: 'TASK_FAILED',
      payload: { code: 'WORKER_LOST' },
    });
    await backend.close();
  });

  it('the lost run is fenced: its appends with the old epoch are refused after WORKER_LOST', async () => {
    const { backend, build, deps } = await setUp();
    await applyLossPolicy({ ...lease, policy: 'retry' }, deps);
    // The re-run (epoch 2) writes; the paused first run (epoch 1) wakes up and tries to.
    expect(
      (await backend.events.append(build.fromYield('t1', { type: 'message', message: 'new' }), { epoch: 2 }))
        .ok,
    ).toBe(true);
    expect(
      await backend.events.append(build.fromYield('t1', { type: 'message', message: 'stale' }), { epoch: 1 }),
    ).toMatchObject({
      ok: false,
      reason: 'fenced',
    });
    await backend.close();
  });
});
