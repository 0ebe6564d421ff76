import { TaskBridgeError } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import type { Checkpoint, PendingStart } from '../checkpoint/checkpoint-store';
import { initialTaskSnapshot, reduceTaskSnapshot } from '../task-snapshot';
import { createAsyncStorageCheckpointStore } from './async-storage';
import type { AsyncStorageLike } from './native-modules';

/** AsyncStorage's contract over a Map; `withGetMany` adds v3's batch read. */
function memoryAsyncStorage(withGetMany: boolean) {
  const items = new Map<string, string>();
  const storage: AsyncStorageLike & { items: Map<string, string> } = {
    items,
    getItem: async (key) => items.get(key) ?? null,
    setItem: async (key, value) => void items.set(key, value),
    removeItem: async (key) => void items.delete(key),
    getAllKeys: async () => [...items.keys()],
  };
  if (withGetMany) {
    storage.getMany = async (keys) => Object.fromEntries(keys.map((key) => [key, items.get(key) ?? null]));
  }
  return storage;
}

const checkpoint = (taskId: string, lastEventId: string | null = null): Checkpoint => ({
  taskId,
  lastEventId,
  snapshot: initialTaskSnapshot(taskId),
  terminalEvent: null,
  updatedAt: 1,
});

describe.each([true, false])('createAsyncStorageCheckpointStore (getMany: %s)', (withGetMany) => {
  it('saves, loads, lists by prefix and deletes checkpoints as JSON under its own prefix', async () => {
    const storage = memoryAsyncStorage(withGetMany);
    storage.items.set('someone-else', '{"taskId":"x"}');
    const store = createAsyncStorageCheckpointStore(storage);
    await store.save('ns:a', checkpoint('a', '1-0'));
    await store.save('ns:b', checkpoint('b'));
    await store.save('other:c', checkpoint('c'));

    expect(await store.load('ns:a')).toEqual(checkpoint('a', '1-0'));
    expect(await store.load('missing')).toBeUndefined();
    expect(storage.items.has('taskbridge:checkpoint:ns:a')).toBe(true);
    const listed = await store.list('ns:');
    expect(listed.map((r) => r.key).sort()).toEqual(['ns:a', 'ns:b']);
    expect((await store.list()).map((r) => r.key).sort()).toEqual(['ns:a', 'ns:b', 'other:c']);

    await store.delete('ns:a');
    await store.delete('ns:a');
    expect(await store.load('ns:a')).toBeUndefined();
    expect(storage.items.get('someone-else')).toBe('{"taskId":"x"}');
  });

  it('keeps a reducer-made snapshot (messages included) and detaches it at save', async () => {
    const store = createAsyncStorageCheckpointStore(memoryAsyncStorage(withGetMany), { keyPrefix: 'app:' });
    const event = {
      type: 'TASK_MESSAGE',
      taskId: 'a',
      eventId: '1-0',
      createdAt: '2026-05-04T12:00:00Z',
      payload: { message: 'hello ' },
    } as const;
    const snapshot = reduceTaskSnapshot(initialTaskSnapshot('a'), event);
    const saved: Checkpoint = { ...checkpoint('a', '1-0'), snapshot };
    const pending = store.save('k', saved);
    const later = reduceTaskSnapshot(snapshot, { ...event, eventId: '2-0', payload: { message: 'world' } });
    saved.snapshot = later;
    await pending;
    const loaded = await store.load('k');
    expect(loaded?.snapshot.text).toBe('hello ');
    expect(loaded?.snapshot.messages).toHaveLength(1);
  });

  it('reads what is not a checkpoint or a pending start (another version, corrupt JSON) as absent', async () => {
    const storage = memoryAsyncStorage(withGetMany);
    const store = createAsyncStorageCheckpointStore(storage);
    storage.items.set('taskbridge:checkpoint:bad', '{not json');
    storage.items.set('taskbridge:checkpoint:old', '{"version":0}');
    storage.items.set('taskbridge:pending-start:bad', '[]');
    expect(await store.load('bad')).toBeUndefined();
    expect(await store.load('old')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect(await store.loadPendingStart('bad')).toBeUndefined();
  });

  it('stores pending starts apart from checkpoints', async () => {
    const store = createAsyncStorageCheckpointStore(memoryAsyncStorage(withGetMany));
    const start: PendingStart = {
      clientRequestId: 'r1',
      taskType: 'summarize',
      input: { text: 'x' },
      createdAt: 5,
    };
    await store.savePendingStart('k', start);
    expect(await store.loadPendingStart('k')).toEqual(start);
    expect(await store.load('k')).toBeUndefined();
    await store.deletePendingStart('k');
    expect(await store.loadPendingStart('k')).toBeUndefined();
  });
});

describe('createAsyncStorageCheckpointStore failures', () => {
  it('rejects with CHECKPOINT_ERROR carrying the storage error as cause', async () => {
    const failure = new Error('disk full');
    const storage: AsyncStorageLike = {
      getItem: () => Promise.reject(failure),
      setItem: () => Promise.reject(failure),
      removeItem: () => Promise.reject(failure),
      getAllKeys: () => Promise.reject(failure),
    };
    const store = createAsyncStorageCheckpointStore(storage);
    for (const operation of [
      store.load('k'),
      store.save('k', checkpoint('a')),
      store.delete('k'),
      store.list(),
      store.loadPendingStart('k'),
    ]) {
      const error = await operation.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TaskBridgeError);
      expect(error).toMatchObject({ code: 'CHECKPOINT_ERROR', cause: failure });
    }
  });
});
