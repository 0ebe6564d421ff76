import { TaskBridgeError } from '@taskbridge/protocol';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { initialTaskSnapshot, reduceTaskSnapshot } from '../task-snapshot';
import { type Checkpoint, checkpointKey, checkpointKeyPrefix, type PendingStart } from './checkpoint-store';
import { createIndexedDbCheckpointStore } from './indexeddb';

const BASE = { namespace: 'default', baseUrl: 'http://127.0.0.1:8787/' };

function checkpoint(taskId: string, tokens: number): Checkpoint {
  let snapshot = initialTaskSnapshot(taskId);
  for (let i = 1; i <= tokens; i += 1) {
    snapshot = reduceTaskSnapshot(snapshot, {
      type: 'TASK_MESSAGE',
      taskId,
      eventId: `${i}-0`,
      createdAt: '2026-05-04T12:00:00Z',
      payload: { message: `t${i}` },
    });
  }
  return {
    taskId,
    lastEventId: snapshot.lastEventId,
    snapshot,
    terminalEvent: null,
    updatedAt: 1_000 + tokens,
  };
}

describe('createIndexedDbCheckpointStore', () => {
  it('persists a checkpoint that a new store instance on the same database reads back (reload)', async () => {
    const indexedDB = new IDBFactory();
    const key = checkpointKey({ ...BASE, taskId: 't1' });
    const saved = checkpoint('t1', 3);
    await createIndexedDbCheckpointStore({ indexedDB }).save(key, saved);

    const afterReload = createIndexedDbCheckpointStore({ indexedDB });
    expect(await afterReload.load(key)).toEqual(saved);
    expect(await afterReload.load(checkpointKey({ ...BASE, taskId: 'nope' }))).toBeUndefined();
  });

  it('lists checkpoints by key prefix (activeTasks after a reload)', async () => {
    const indexedDB = new IDBFactory();
    const store = createIndexedDbCheckpointStore({ indexedDB });
    const other = { namespace: 'default', baseUrl: 'http://other.example' };
    await store.save(checkpointKey({ ...BASE, taskId: 'a' }), checkpoint('a', 1));
    await store.save(checkpointKey({ ...BASE, taskId: 'b' }), checkpoint('b', 2));
    await store.save(checkpointKey({ ...other, taskId: 'c' }), checkpoint('c', 1));
    await store.savePendingStart(checkpointKey({ ...BASE, taskId: 'pending' }), {
      clientRequestId: 'r',
      taskType: 'greet',
      input: {},
      createdAt: 1,
    });

    const reloaded = createIndexedDbCheckpointStore({ indexedDB });
    const mine = await reloaded.list(checkpointKeyPrefix(BASE));
    expect(mine.map((r) => r.checkpoint.taskId).sort()).toEqual(['a', 'b']);
    expect(mine.map((r) => r.key).sort()).toEqual([
      checkpointKey({ ...BASE, taskId: 'a' }),
      checkpointKey({ ...BASE, taskId: 'b' }),
    ]);
    expect(await reloaded.list()).toHaveLength(3);

    await reloaded.delete(checkpointKey({ ...BASE, taskId: 'a' }));
    expect((await reloaded.list(checkpointKeyPrefix(BASE))).map((r) => r.checkpoint.taskId)).toEqual(['b']);
  });

  it('stores pending starts apart from checkpoints and deletes them', async () => {
    const indexedDB = new IDBFactory();
    const store = createIndexedDbCheckpointStore({ indexedDB });
    const key = checkpointKey({ ...BASE, taskId: 'same-key' });
    const start: PendingStart = {
      clientRequestId: 'req-1',
      taskType: 'summarize',
      input: { text: 'hello' },
      resumeKey: 'r1',
      createdAt: 5,
    };
    await store.savePendingStart(key, start);
    expect(await store.load(key)).toBeUndefined();
    expect(await createIndexedDbCheckpointStore({ indexedDB }).loadPendingStart(key)).toEqual(start);
    await store.deletePendingStart(key);
    expect(await store.loadPendingStart(key)).toBeUndefined();
  });

  it('stores exactly the snapshot given, even when the live stream appends after save()', async () => {
    const indexedDB = new IDBFactory();
    const store = createIndexedDbCheckpointStore({ indexedDB });
    const cp = checkpoint('t', 2);
    const saving = store.save('k', cp);
    // The stream moves on before the transaction opens: the shared messages array grows.
    reduceTaskSnapshot(cp.snapshot, {
      type: 'TASK_MESSAGE',
      taskId: 't',
      eventId: '3-0',
      createdAt: '2026-05-04T12:00:00Z',
      payload: { message: 'late' },
    });
    await saving;
    const loaded = await store.load('k');
    expect(loaded?.snapshot.messages.map((m) => m.eventId)).toEqual(['1-0', '2-0']);
    expect(loaded?.snapshot.text).toBe('t1t2');
  });

  it('adds its object store to an existing database that lacks it', async () => {
    const indexedDB = new IDBFactory();
    const health = createIndexedDbCheckpointStore({ indexedDB, storeName: 'transport-health' });
    await health.save('h', checkpoint('h', 0));
    const checkpoints = createIndexedDbCheckpointStore({ indexedDB });
    await checkpoints.save('k', checkpoint('k', 1));
    expect((await checkpoints.load('k'))?.taskId).toBe('k');
    expect((await health.load('h'))?.taskId).toBe('h');
  });

  it('rejects with CHECKPOINT_ERROR when open is blocked by another connection', async () => {
    const indexedDB = new IDBFactory();
    // Another tab holds the database open and ignores versionchange, so adding our store is blocked.
    const other = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('taskbridge', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('other');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const error = await createIndexedDbCheckpointStore({ indexedDB })
      .save('k', checkpoint('k', 0))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CHECKPOINT_ERROR', message: expect.stringContaining('blocked') });
    other.close();
  });

  it('loads a stored value that is not a checkpoint as undefined', async () => {
    const indexedDB = new IDBFactory();
    const store = createIndexedDbCheckpointStore({ indexedDB });
    await store.save('k', { taskId: 7 } as unknown as Checkpoint);
    expect(await store.load('k')).toBeUndefined();
  });

  it('rejects with CHECKPOINT_ERROR when indexedDB is missing', async () => {
    const store = createIndexedDbCheckpointStore({ indexedDB: () => undefined });
    const error = await store.load('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskBridgeError);
    expect(error).toMatchObject({ code: 'CHECKPOINT_ERROR', retryable: false });
  });

  it('rejects with CHECKPOINT_ERROR wrapping a DataCloneError', async () => {
    const store = createIndexedDbCheckpointStore({ indexedDB: new IDBFactory() });
    const bad = { ...checkpoint('t', 0), terminalEvent: (() => 1) as unknown as null };
    const error = await store.save('k', bad).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CHECKPOINT_ERROR' });
    expect((error as Error).cause).toMatchObject({ name: 'DataCloneError' });
  });
});
