import type { TaskEvent } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActionAnswer } from '../../types';
import type { ControlMessage } from '../control-channel';
import type { EventStore, NewTaskEvent } from '../event-store';
import type { StoredTask } from '../task-registry';
import { createMemoryBackend, resolveRetention } from './memory-backend';
import { createMemoryEventStore } from './memory-event-store';

const TASK = 'task-1';
const at = '2025-01-01T00:00:00.000Z';
const message = (text: string, taskId = TASK): NewTaskEvent => ({
  type: 'TASK_MESSAGE',
  taskId,
  createdAt: at,
  payload: { message: text },
});
const completed = (taskId = TASK): NewTaskEvent => ({
  type: 'TASK_COMPLETED',
  taskId,
  createdAt: at,
  payload: { result: null },
});
const cancelled = (taskId = TASK): NewTaskEvent => ({
  type: 'TASK_CANCELLED',
  taskId,
  createdAt: at,
  payload: { reason: 'test' },
});

async function stored(store: EventStore, event: NewTaskEvent): Promise<TaskEvent> {
  const result = await store.append(event);
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.event;
}

const task = (taskId: string, now: number): StoredTask => ({
  taskId,
  taskType: 't',
  owner: 'alice',
  clientRequestId: taskId,
  input: {},
  metadata: {},
  attachments: [],
  status: 'ACCEPTED',
  createdAt: now,
  updatedAt: now,
  fingerprint: 'f',
  auth: { subject: 'alice', scopes: [], attributes: {} },
  runner: null,
  leaseUntil: null,
  epoch: 0,
});

describe('memory event store: retention (protocol/SPEC.md §11)', () => {
  it('keeps the newest maxEventsPerTask events, records trimmedThrough and reports trimmed cursors', async () => {
    const store = createMemoryEventStore({ maxEventsPerTask: 3, now: () => 1000 });
    const all: TaskEvent[] = [];
    for (const text of ['a', 'b', 'c', 'd', 'e']) all.push(await stored(store, message(text)));
    const ids = all.map((e) => e.eventId);
    expect(ids).toEqual(['1000-0', '1000-1', '1000-2', '1000-3', '1000-4']);

    const head = await store.head(TASK);
    expect(head).toMatchObject({ lastEventId: '1000-4', trimmedThrough: '1000-1', terminal: null });

    const fromStart = await store.read(TASK, null, 10);
    expect(fromStart.events.map((e) => e.eventId)).toEqual(ids.slice(2));
    expect(fromStart.trimmed).toEqual({ requestedAfterEventId: null, firstRetainedEventId: '1000-2' });
    expect((await store.read(TASK, '1000-0', 10)).trimmed).toEqual({
      requestedAfterEventId: '1000-0',
      firstRetainedEventId: '1000-2',
    });
    // A cursor at the newest deleted event has missed nothing.
    const boundary = await store.read(TASK, '1000-1', 10);
    expect(boundary.trimmed).toBeNull();
    expect(boundary.events.map((e) => e.eventId)).toEqual(ids.slice(2));
    expect((await store.read(TASK, '1000-3', 10)).events.map((e) => e.eventId)).toEqual(['1000-4']);
  });

  it('stays exact across compactions of a long log', async () => {
    const store = createMemoryEventStore({ maxEventsPerTask: 10 });
    let last: TaskEvent | undefined;
    for (let i = 0; i < 5_000; i++) last = await stored(store, message(`m${i}`));
    const page = await store.read(TASK, null, 500);
    expect(page.events).toHaveLength(10);
    expect(page.events.map((e) => (e.type === 'TASK_MESSAGE' ? e.payload.message : ''))).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${4_990 + i}`),
    );
    expect(page.events.at(-1)).toBe(last);
    expect((await store.head(TASK)).trimmedThrough).not.toBeNull();
  });
});

describe('memory event store: the terminal claim and fencing (hazard H6)', () => {
  it('the first terminal event wins; every later append is refused', async () => {
    const store = createMemoryEventStore();
    await stored(store, message('a'));
    const results = await Promise.all([store.append(completed()), store.append(cancelled())]);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    const winner = results[0] as { ok: true; event: TaskEvent };
    expect(results[1]).toEqual({ ok: false, reason: 'terminal', terminalEventId: winner.event.eventId });
    expect(await store.append(message('late'))).toMatchObject({ ok: false, reason: 'terminal' });
    const page = await store.read(TASK, null, 10);
    expect(page.events.map((e) => e.type)).toEqual(['TASK_MESSAGE', 'TASK_COMPLETED']);
    expect(page.head.terminal).toBe(winner.event);
  });

  it('refuses an epoch lower than the highest seen; appends without an epoch are never fenced', async () => {
    const store = createMemoryEventStore();
    expect(await store.append(message('run 1'), { epoch: 1 })).toMatchObject({ ok: true });
    expect(await store.append(message('run 2'), { epoch: 2 })).toMatchObject({ ok: true });
    expect(await store.append(message('stale run 1'), { epoch: 1 })).toEqual({
      ok: false,
      reason: 'fenced',
      epoch: 2,
    });
    expect(await store.append(message('api side'))).toMatchObject({ ok: true });
    expect(await store.append(message('run 2 again'), { epoch: 2 })).toMatchObject({ ok: true });
    const texts = (await store.read(TASK, null, 10)).events.map((e) =>
      e.type === 'TASK_MESSAGE' ? e.payload.message : e.type,
    );
    expect(texts).toEqual(['run 1', 'run 2', 'api side', 'run 2 again']);
  });
});

describe('memory backend: eviction and idempotency TTLs', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('evicts a finished task (record, events, suspensions) finishedTaskTtlMs after its terminal event', async () => {
    const backend = createMemoryBackend({ finishedTaskTtlMs: 60_000 });
    await backend.tasks.create(task('done', Date.now()));
    await backend.tasks.create(task('running', Date.now()));
    await backend.suspensions.open('done', { suspendId: 's', allowedActions: ['ok'], expiresAt: null });
    await stored(backend.events, message('x', 'running'));
    await stored(backend.events, completed('done'));

    vi.advanceTimersByTime(59_999);
    expect(await backend.tasks.get('done')).not.toBeNull();
    expect((await backend.events.head('done')).terminal).not.toBeNull();

    vi.advanceTimersByTime(1);
    expect(await backend.tasks.get('done')).toBeNull();
    expect(await backend.events.head('done')).toEqual({
      lastEventId: null,
      terminal: null,
      trimmedThrough: null,
      updatedAt: null,
    });
    expect(await backend.suspensions.expire('done', 's')).toBeNull();
    // A task that never finished is kept.
    vi.advanceTimersByTime(10 * 60_000);
    expect(await backend.tasks.get('running')).not.toBeNull();
    await backend.close();
  });

  it('a TTL longer than a timer can wait (2^31 − 1 ms) still waits the whole TTL', async () => {
    const thirtyDays = 30 * 24 * 60 * 60 * 1000;
    const backend = createMemoryBackend({ finishedTaskTtlMs: thirtyDays });
    await backend.tasks.create(task('done', Date.now()));
    await stored(backend.events, completed('done'));
    vi.advanceTimersByTime(thirtyDays - 1);
    expect(await backend.tasks.get('done')).not.toBeNull();
    vi.advanceTimersByTime(1);
    expect(await backend.tasks.get('done')).toBeNull();
    await backend.close();
  });

  it('keeps idempotency keys for idempotencyTtlMs; the first writer wins; release compares the task', async () => {
    const backend = createMemoryBackend({ idempotencyTtlMs: 5_000 });
    const { idempotency } = backend;
    expect(await idempotency.claim('alice', 'k', { taskId: 't1', fingerprint: 'f1' })).toEqual({
      taskId: 't1',
      fingerprint: 'f1',
    });
    expect(await idempotency.claim('alice', 'k', { taskId: 't2', fingerprint: 'f2' })).toEqual({
      taskId: 't1',
      fingerprint: 'f1',
    });
    // Scoped by owner.
    expect((await idempotency.claim('bob', 'k', { taskId: 't3', fingerprint: 'f' })).taskId).toBe('t3');
    await idempotency.release('alice', 'k', 't2');
    expect((await idempotency.get('alice', 'k'))?.taskId).toBe('t1');

    vi.advanceTimersByTime(5_000);
    expect(await idempotency.get('alice', 'k')).toBeNull();
    expect((await idempotency.claim('alice', 'k', { taskId: 't4', fingerprint: 'f' })).taskId).toBe('t4');
    await idempotency.release('alice', 'k', 't4');
    expect(await idempotency.get('alice', 'k')).toBeNull();
    await backend.close();
  });
});

describe('memory backend: suspensions and the control channel', () => {
  const answer = (clientActionId: string, actionType = 'ok'): ActionAnswer => ({
    suspendId: 's1',
    clientActionId,
    actionType,
    payload: {},
    subject: 'alice',
  });
  const request = (clientActionId: string, actionType = 'ok', fingerprint = `${actionType}`) => ({
    suspendId: 's1',
    clientActionId,
    actionType,
    fingerprint,
    answer: answer(clientActionId, actionType),
  });

  it('decides actions in protocol/SPEC.md §7 order and keeps the answer until the runner takes it', async () => {
    const { suspensions } = createMemoryBackend();
    expect(await suspensions.decide(TASK, request('a0'), 0, false)).toEqual({ status: 'NOT_FOUND' });
    await suspensions.open(TASK, { suspendId: 's1', allowedActions: ['ok'], expiresAt: 10_000 });
    expect(await suspensions.takeAnswer(TASK, 's1')).toBeNull();
    expect(await suspensions.decide(TASK, request('a1', 'nope'), 0, false)).toEqual({
      status: 'NOT_ALLOWED',
      allowedActions: ['ok'],
    });
    expect(await suspensions.decide(TASK, request('a2'), 0, false)).toEqual({
      status: 'ACCEPTED',
      answer: answer('a2'),
    });
    expect(await suspensions.decide(TASK, request('a2'), 0, false)).toEqual({ status: 'DEDUPLICATED' });
    expect(await suspensions.decide(TASK, request('a2', 'ok', 'other'), 0, false)).toEqual({
      status: 'CONFLICT',
    });
    expect(await suspensions.decide(TASK, request('a3'), 0, false)).toEqual({
      status: 'REJECTED_ALREADY_RESOLVED',
    });
    // The expiry lost the race to the answer: the answer stays.
    expect(await suspensions.expire(TASK, 's1')).toMatchObject({ state: 'answered' });
    expect(await suspensions.takeAnswer(TASK, 's1')).toEqual(answer('a2'));
    expect(await suspensions.takeAnswer(TASK, 's1')).toEqual(answer('a2'));
  });

  it('an expired suspension rejects as REJECTED_EXPIRED, by state or by time; a terminal task resolves it', async () => {
    const { suspensions } = createMemoryBackend();
    await suspensions.open(TASK, { suspendId: 's1', allowedActions: ['ok'], expiresAt: 1_000 });
    expect(await suspensions.decide(TASK, request('a1'), 1_000, false)).toEqual({
      status: 'REJECTED_EXPIRED',
    });
    expect(await suspensions.decide(TASK, request('a2'), 999, true)).toEqual({
      status: 'REJECTED_ALREADY_RESOLVED',
    });
    expect(await suspensions.expire(TASK, 's1')).toMatchObject({ state: 'expired', answer: null });
    expect(await suspensions.decide(TASK, request('a3'), 0, true)).toEqual({ status: 'REJECTED_EXPIRED' });
    expect(await suspensions.takeAnswer(TASK, 's1')).toBeNull();
  });

  it('control messages reach the listeners of their task only, until they detach', async () => {
    const { control } = createMemoryBackend();
    const heard: ControlMessage[] = [];
    const other: ControlMessage[] = [];
    const detach = await control.subscribe(TASK, (m) => heard.push(m));
    await control.subscribe('task-2', (m) => other.push(m));
    await control.publish({ type: 'cancel', taskId: TASK, reason: 'r' });
    await control.publish({ type: 'answer', taskId: TASK, suspendId: 's' });
    detach();
    await control.publish({ type: 'cancel', taskId: TASK, reason: 'after' });
    expect(heard).toEqual([
      { type: 'cancel', taskId: TASK, reason: 'r' },
      { type: 'answer', taskId: TASK, suspendId: 's' },
    ]);
    expect(other).toEqual([]);
  });
});

describe('memory backend: retention options', () => {
  it('defaults to bounded retention and reports it', () => {
    expect(createMemoryBackend().retention).toEqual({
      maxEventsPerTask: 100_000,
      finishedTaskTtlMs: 3_600_000,
      idempotencyTtlMs: 86_400_000,
    });
    expect(createMemoryBackend({ maxEventsPerTask: null, finishedTaskTtlMs: null }).retention).toEqual({
      maxEventsPerTask: null,
      finishedTaskTtlMs: null,
      idempotencyTtlMs: 86_400_000,
    });
  });

  it.each([
    [{ maxEventsPerTask: 0 }],
    [{ maxEventsPerTask: 1.5 }],
    [{ finishedTaskTtlMs: -1 }],
    [{ idempotencyTtlMs: Number.NaN }],
  ])('refuses %j with a RangeError', (options) => {
    expect(() => resolveRetention(options)).toThrow(RangeError);
  });
});
