import type { TaskBridgeError } from '@taskbridge/protocol';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { initialTaskSnapshot } from '../task-snapshot';
import type { Checkpoint, CheckpointStore } from './checkpoint-store';
import { createDefaultCheckpointStore, createResilientCheckpointStore } from './fallback';
import { createIndexedDbCheckpointStore } from './indexeddb';
import { createMemoryCheckpointStore } from './memory';

const cp = (taskId: string, lastEventId: string | null = null): Checkpoint => ({
  taskId,
  lastEventId,
  snapshot: initialTaskSnapshot(taskId),
  terminalEvent: null,
  updatedAt: 1,
});

function quotaError(): Error {
  const error = new Error('The quota has been exceeded.');
  error.name = 'QuotaExceededError';
  return error;
}

/** A working memory store whose writes start failing with QuotaExceededError once `full` is set. */
function fillingStore() {
  const inner = createMemoryCheckpointStore();
  const state = { full: false, calls: 0 };
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>, write: boolean) =>
    async (...args: A): Promise<R> => {
      state.calls += 1;
      if (write && state.full) throw quotaError();
      return fn(...args);
    };
  const store: CheckpointStore = {
    load: guard(inner.load, false),
    save: guard(inner.save, true),
    delete: guard(inner.delete, true),
    list: guard(inner.list, false),
    savePendingStart: guard(inner.savePendingStart, true),
    loadPendingStart: guard(inner.loadPendingStart, false),
    deletePendingStart: guard(inner.deletePendingStart, true),
  };
  return { store, inner, state };
}

describe('createResilientCheckpointStore', () => {
  it('uses the primary while it works, without diagnostics', async () => {
    const { store, inner } = fillingStore();
    const onError = vi.fn();
    const resilient = createResilientCheckpointStore(store, { onError });
    await resilient.save('k', cp('a', '1'));
    expect(await inner.load('k')).toEqual(cp('a', '1'));
    expect(resilient.isDegraded()).toBe(false);
    expect(onError).not.toHaveBeenCalled();
  });

  it('switches to memory on QuotaExceededError: one diagnostic, no data lost, primary no longer called', async () => {
    const { store, state } = fillingStore();
    const errors: TaskBridgeError[] = [];
    const resilient = createResilientCheckpointStore(store, { onError: (e) => errors.push(e) });
    await resilient.save('a', cp('a', '1'));
    await resilient.savePendingStart('p', {
      clientRequestId: 'r',
      taskType: 'greet',
      input: {},
      createdAt: 1,
    });

    state.full = true;
    await resilient.save('b', cp('b', '7'));
    await resilient.save('a', cp('a', '2'));
    await resilient.save('c', cp('c', '1'));

    expect(resilient.isDegraded()).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'CHECKPOINT_ERROR', retryable: false });
    expect(errors[0]?.cause).toMatchObject({ name: 'QuotaExceededError' });

    const callsWhenDegraded = state.calls;
    expect(await resilient.load('a')).toEqual(cp('a', '2'));
    expect(await resilient.load('b')).toEqual(cp('b', '7'));
    expect((await resilient.list()).map((r) => r.key).sort()).toEqual(['a', 'b', 'c']);
    expect((await resilient.loadPendingStart('p'))?.clientRequestId).toBe('r');
    expect(state.calls).toBe(callsWhenDegraded);
  });

  it('keeps checkpoints it loaded from the primary before the failure', async () => {
    const { store, inner, state } = fillingStore();
    await inner.save('old', cp('old', '9'));
    const resilient = createResilientCheckpointStore(store);
    expect((await resilient.list())[0]?.key).toBe('old');
    state.full = true;
    await resilient.delete('unrelated');
    expect(resilient.isDegraded()).toBe(true);
    expect(await resilient.load('old')).toEqual(cp('old', '9'));
  });

  it('falls back when indexedDB is missing at first use', async () => {
    const onError = vi.fn();
    const resilient = createResilientCheckpointStore(
      createIndexedDbCheckpointStore({ indexedDB: () => undefined }),
      {
        onError,
      },
    );
    await resilient.save('k', cp('k'));
    expect(await resilient.load('k')).toEqual(cp('k'));
    expect(onError).toHaveBeenCalledTimes(1);
  });
});

describe('createDefaultCheckpointStore', () => {
  it('uses IndexedDB where a factory exists: data survives a new store on the same database', async () => {
    const indexedDB = new IDBFactory();
    await createDefaultCheckpointStore({ indexedDB }).save('k', cp('k', '3'));
    expect(await createDefaultCheckpointStore({ indexedDB }).load('k')).toEqual(cp('k', '3'));
  });

  it('uses memory where indexedDB is missing (Node)', async () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
    const first = createDefaultCheckpointStore();
    await first.save('k', cp('k'));
    expect(await first.load('k')).toEqual(cp('k'));
    expect(await createDefaultCheckpointStore().load('k')).toBeUndefined();
  });
});
