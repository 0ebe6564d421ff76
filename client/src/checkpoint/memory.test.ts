import { describe, expect, it } from 'vitest';
import { initialTaskSnapshot, reduceTaskSnapshot } from '../task-snapshot';
import { type Checkpoint, checkpointKey, checkpointKeyPrefix, pendingStartKey } from './checkpoint-store';
import { createMemoryCheckpointStore } from './memory';

const cp = (taskId: string): Checkpoint => ({
  taskId,
  lastEventId: null,
  snapshot: initialTaskSnapshot(taskId),
  terminalEvent: null,
  updatedAt: 1,
});

// A TASK_MESSAGE of task `a` whose text is `m<eventId> `.
const message = (eventId: string) =>
  ({
    type: 'TASK_MESSAGE',
    taskId: 'a',
    eventId,
    createdAt: '2026-05-04T12:00:00Z',
    payload: { message: `m${eventId} ` },
  }) as const;

describe('checkpoint keys', () => {
  it('encodes each part so keys cannot collide, and ignores a trailing slash on the base URL', () => {
    expect(checkpointKey({ namespace: 'default', baseUrl: 'https://api.example.com/', taskId: 't1' })).toBe(
      'default:https%3A%2F%2Fapi.example.com:t1',
    );
    expect(checkpointKey({ namespace: 'a:b', baseUrl: 'u', taskId: 'c' })).not.toBe(
      checkpointKey({ namespace: 'a', baseUrl: 'b:u', taskId: 'c' }),
    );
    const prefix = checkpointKeyPrefix({ namespace: 'n', baseUrl: 'http://x/' });
    expect(checkpointKey({ namespace: 'n', baseUrl: 'http://x', taskId: 't' }).startsWith(prefix)).toBe(true);
    expect(pendingStartKey({ namespace: 'n', baseUrl: 'http://x', resumeKey: 'r/1' })).toBe(`${prefix}r%2F1`);
  });
});

describe('createMemoryCheckpointStore', () => {
  it('saves, loads, lists by prefix and deletes', async () => {
    const store = createMemoryCheckpointStore();
    await store.save('p:a', cp('a'));
    await store.save('p:b', cp('b'));
    await store.save('q:c', cp('c'));
    expect(await store.load('p:a')).toEqual(cp('a'));
    expect((await store.list('p:')).map((r) => r.key).sort()).toEqual(['p:a', 'p:b']);
    expect(await store.list()).toHaveLength(3);
    await store.delete('p:a');
    expect(await store.load('p:a')).toBeUndefined();
  });

  it('stores copies: mutating what was saved or loaded does not change stored state', async () => {
    const store = createMemoryCheckpointStore();
    const saved = cp('a');
    await store.save('k', saved);
    saved.lastEventId = 'mutated';
    const loaded = await store.load('k');
    expect(loaded?.lastEventId).toBeNull();
    if (loaded) loaded.taskId = 'mutated';
    expect((await store.load('k'))?.taskId).toBe('a');
  });

  it('stores the snapshot detached from the live shared messages array', async () => {
    const store = createMemoryCheckpointStore();
    const s1 = reduceTaskSnapshot(initialTaskSnapshot('a'), message('1'));
    const s2 = reduceTaskSnapshot(s1, message('2'));
    await store.save('k', { ...cp('a'), snapshot: s1 });
    expect(s2.messages).toHaveLength(2);
    expect((await store.load('k'))?.snapshot.messages).toHaveLength(1);
  });

  it('keeps the messages of a reducer snapshot by reference (O(1) save) and its text whole', async () => {
    const store = createMemoryCheckpointStore();
    let live = initialTaskSnapshot('a');
    for (let i = 1; i <= 5; i += 1) live = reduceTaskSnapshot(live, message(String(i)));
    await store.save('k', { ...cp('a'), lastEventId: '5', snapshot: live });
    const later = reduceTaskSnapshot(live, message('6'));
    const loaded = await store.load('k');
    expect(loaded?.snapshot.messages[0]).toBe(live.messages[0]);
    expect(loaded?.snapshot.messages).toHaveLength(5);
    expect(loaded?.snapshot.text).toBe('m1 m2 m3 m4 m5 ');
    expect(later.messages).toHaveLength(6);
    expect(loaded?.snapshot).toEqual({ ...live, messages: live.messages.slice(0, 5) });
  });

  it('copies what a caller could still change in a reducer snapshot (a suspension), keeps the rest', async () => {
    const store = createMemoryCheckpointStore();
    const suspended = {
      type: 'TASK_SUSPENDED',
      taskId: 'a',
      eventId: '2',
      createdAt: '2026-05-04T12:00:00Z',
      payload: { suspendId: 's1', reason: 'approve?', options: ['yes', 'no'] },
    } as const;
    const live = reduceTaskSnapshot(reduceTaskSnapshot(initialTaskSnapshot('a'), message('1')), suspended);
    await store.save('k', { ...cp('a'), lastEventId: '2', snapshot: live });
    (live.suspension as unknown as { options: string[] }).options.push('maybe');
    const loaded = await store.load('k');
    expect(loaded?.snapshot.suspension).toMatchObject({ suspendId: 's1', options: ['yes', 'no'] });
    expect(loaded?.snapshot.messages[0]).toBe(live.messages[0]);
    expect(loaded?.snapshot.text).toBe('m1 ');
  });

  it('copies the messages of a snapshot the reducer did not make: later changes by the caller do not leak', async () => {
    const store = createMemoryCheckpointStore();
    const messages = [{ eventId: '1', message: 'a', level: 'info' }];
    const snapshot = { ...initialTaskSnapshot('a'), messages, text: 'a', eventCount: 1, lastEventId: '1' };
    await store.save('k', { ...cp('a'), snapshot });
    messages.push({ eventId: '2', message: 'b', level: 'info' });
    (messages[0] as { message: string }).message = 'changed';
    expect((await store.load('k'))?.snapshot.messages).toEqual([
      { eventId: '1', message: 'a', level: 'info' },
    ]);
  });

  it('keeps pending starts apart and rejects values that cannot be cloned with CHECKPOINT_ERROR', async () => {
    const store = createMemoryCheckpointStore();
    await store.savePendingStart('k', { clientRequestId: 'r', taskType: 'greet', input: {}, createdAt: 1 });
    expect(await store.load('k')).toBeUndefined();
    expect((await store.loadPendingStart('k'))?.clientRequestId).toBe('r');
    await store.deletePendingStart('k');
    expect(await store.loadPendingStart('k')).toBeUndefined();
    const bad = { clientRequestId: 'r', taskType: 'greet', input: () => 1, createdAt: 1 };
    await expect(store.savePendingStart('k', bad)).rejects.toMatchObject({ code: 'CHECKPOINT_ERROR' });
    const badCheckpoint = { ...cp('a'), snapshot: { ...initialTaskSnapshot('a'), result: () => 1 } };
    await expect(store.save('k', badCheckpoint)).rejects.toMatchObject({ code: 'CHECKPOINT_ERROR' });
  });
});
