/**
 * The Redis backend's own guarantees, store by store, against a real redis-server — with two
 * backends on one Redis standing for two server processes: retention and the history-trimmed
 * signal, the terminal claim and epoch fencing across processes, TTLs after the terminal event,
 * idempotency and suspension decisions across processes, live-tail gap fill and loss, cursors Redis
 * would refuse, and task records with attachments.
 */
import type { TaskEvent } from '@taskbridge/protocol';
import {
  createRedisBackend,
  type NewTaskEvent,
  type StoredTask,
  type TaskBridgeBackend,
} from '@taskbridge/server-reference';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisTestServer } from '../support/redis-server';

let redis: RedisTestServer;
let raw: Redis;
let prefixCount = 0;
const opened: TaskBridgeBackend[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis({ path: redis.path });
});
afterEach(async () => {
  for (const backend of opened.splice(0)) await backend.close();
});
afterAll(async () => {
  raw?.disconnect();
  await redis?.stop();
});

/** Two backends sharing one key prefix: two processes of one deployment. */
async function processes(
  retention: Parameters<typeof createRedisBackend>[0] extends infer O
    ? Omit<O & object, 'redis'>
    : never = {},
): Promise<[TaskBridgeBackend, TaskBridgeBackend, string]> {
  prefixCount += 1;
  const keyPrefix = `u${prefixCount}:`;
  const make = () => createRedisBackend({ redis: redis.url, keyPrefix, ...retention });
  const pair: [TaskBridgeBackend, TaskBridgeBackend] = [make(), make()];
  opened.push(...pair);
  for (const backend of pair) {
    await backend.tasks.get('connect');
    (await backend.control.subscribe('connect', () => undefined))();
  }
  return [...pair, keyPrefix];
}

const at = '2025-01-01T00:00:00.000Z';
const message = (text: string, taskId = 'task-1'): NewTaskEvent => ({
  type: 'TASK_MESSAGE',
  taskId,
  createdAt: at,
  payload: { message: text },
});
const completed = (taskId = 'task-1'): NewTaskEvent => ({
  type: 'TASK_COMPLETED',
  taskId,
  createdAt: at,
  payload: { result: null },
});
const cancelled = (taskId = 'task-1'): NewTaskEvent => ({
  type: 'TASK_CANCELLED',
  taskId,
  createdAt: at,
  payload: { reason: 'test' },
});
async function stored(backend: TaskBridgeBackend, event: NewTaskEvent, epoch?: number): Promise<TaskEvent> {
  const result = await backend.events.append(event, epoch === undefined ? {} : { epoch });
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.event;
}
const task = (taskId: string): StoredTask => ({
  taskId,
  taskType: 't',
  owner: 'alice',
  clientRequestId: taskId,
  input: { list: [], nested: { a: [1, 2] } },
  metadata: {},
  attachments: [
    {
      filename: 'a.bin',
      contentType: 'application/octet-stream',
      size: 3,
      data: new Uint8Array([0, 255, 7]),
    },
  ],
  status: 'ACCEPTED',
  createdAt: 1,
  updatedAt: 1,
  fingerprint: 'f',
  auth: { subject: 'alice', scopes: ['s'], attributes: { team: 'x' } },
  runner: null,
  leaseUntil: null,
  epoch: 0,
});

describe('Redis backend', () => {
  it('keeps maxEventsPerTask events per task, records trimmedThrough and reports trimmed cursors', async () => {
    const [a, b] = await processes({ maxEventsPerTask: 3 });
    const ids: string[] = [];
    for (const text of ['a', 'b', 'c', 'd', 'e']) ids.push((await stored(a, message(text))).eventId);
    const page = await b.events.read('task-1', null, 10);
    expect(page.events.map((e) => e.eventId)).toEqual(ids.slice(2));
    expect(page.head).toMatchObject({ lastEventId: ids[4], trimmedThrough: ids[1] });
    expect(page.trimmed).toEqual({ requestedAfterEventId: null, firstRetainedEventId: ids[2] });
    expect((await b.events.read('task-1', ids[0] as string, 10)).trimmed).toEqual({
      requestedAfterEventId: ids[0],
      firstRetainedEventId: ids[2],
    });
    const fromTrimmedThrough = await b.events.read('task-1', ids[1] as string, 10);
    expect(fromTrimmedThrough.trimmed).toBeNull();
    expect(fromTrimmedThrough.events.map((e) => e.eventId)).toEqual(ids.slice(2));
    // Events are frozen, as the memory store's.
    expect(Object.isFrozen(page.events[0]?.payload)).toBe(true);
  });

  it('the first terminal event wins across processes; every later append is refused', async () => {
    const [a, b] = await processes();
    await stored(a, message('x'));
    const results = await Promise.all([
      a.events.append(completed()),
      b.events.append(cancelled()),
      a.events.append(cancelled()),
      b.events.append(completed()),
    ]);
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const terminalId = winners[0]?.ok ? winners[0].event.eventId : '';
    for (const r of results.filter((x) => !x.ok)) {
      expect(r).toEqual({ ok: false, reason: 'terminal', terminalEventId: terminalId });
    }
    expect(await b.events.append(message('late'))).toMatchObject({ ok: false, reason: 'terminal' });
    expect((await a.events.head('task-1')).terminal?.eventId).toBe(terminalId);
  });

  it('refuses an epoch lower than the highest seen, from any process; unfenced appends pass', async () => {
    const [a, b] = await processes();
    await stored(a, message('run 1'), 1);
    await stored(b, message('run 2'), 2);
    expect(await a.events.append(message('stale'), { epoch: 1 })).toEqual({
      ok: false,
      reason: 'fenced',
      epoch: 2,
    });
    await stored(a, message('api write'));
    await stored(b, message('run 2 again'), 2);
  });

  it('reads cursors Redis would refuse (components past 2^64 − 1) without an error', async () => {
    const [a] = await processes();
    const first = await stored(a, message('x'));
    const huge = '99999999999999999999999';
    expect((await a.events.read('task-1', `${huge}-0`, 10)).events).toEqual([]);
    const [ms] = first.eventId.split('-');
    const page = await a.events.read('task-1', `${Number(ms) - 1}-${huge}`, 10);
    expect(page.events.map((e) => e.eventId)).toEqual([first.eventId]);
    expect((await a.events.read('task-1', '000', 10)).events).toHaveLength(1);
  });

  it('expires a finished task (events, head, record) finishedTaskTtlMs after its terminal event', async () => {
    const [a, b] = await processes({ finishedTaskTtlMs: 300 });
    await a.tasks.create(task('task-1'));
    await stored(a, message('x'));
    const before = Date.now();
    await stored(a, completed());
    expect(await b.tasks.get('task-1')).not.toBeNull();
    await vi.waitFor(async () => expect(await b.tasks.get('task-1')).toBeNull(), {
      timeout: 5_000,
      interval: 25,
    });
    expect(Date.now() - before).toBeGreaterThanOrEqual(250);
    expect(await b.events.read('task-1', null, 10)).toMatchObject({
      events: [],
      head: { lastEventId: null },
    });
  });

  it('stores task records with their attachments and JSON input; patches apply only to existing tasks', async () => {
    const [a, b] = await processes();
    await a.tasks.create(task('t-rec'));
    await expect(b.tasks.create(task('t-rec'))).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await b.tasks.update('t-rec', { status: 'RUNNING', runner: 'r1', epoch: 1, leaseUntil: null });
    const read = await a.tasks.get('t-rec');
    expect(read).toEqual({ ...task('t-rec'), status: 'RUNNING', runner: 'r1', epoch: 1 });
    expect(read?.attachments[0]?.data).toBeInstanceOf(Uint8Array);
    await b.tasks.update('missing', { status: 'RUNNING' });
    expect(await a.tasks.get('missing')).toBeNull();
    await a.tasks.delete('t-rec');
    expect(await b.tasks.get('t-rec')).toBeNull();
  });

  it('idempotency: of concurrent claims across processes exactly one wins; keys expire; release compares', async () => {
    const [a, b] = await processes({ idempotencyTtlMs: 300 });
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).idempotency.claim('alice', 'req', { taskId: `t${i}`, fingerprint: 'f' }),
      ),
    );
    expect(new Set(claims.map((c) => c.taskId)).size).toBe(1);
    const winner = claims[0]?.taskId as string;
    await b.idempotency.release('alice', 'req', 'someone-else');
    expect(await a.idempotency.get('alice', 'req')).toEqual({ taskId: winner, fingerprint: 'f' });
    expect(await a.idempotency.get('bob', 'req')).toBeNull();
    await vi.waitFor(async () => expect(await a.idempotency.get('alice', 'req')).toBeNull(), {
      timeout: 5_000,
      interval: 25,
    });
    await a.idempotency.claim('alice', 'req2', { taskId: 'x', fingerprint: 'f' });
    await b.idempotency.release('alice', 'req2', 'x');
    expect(await a.idempotency.get('alice', 'req2')).toBeNull();
  });

  it('suspensions: decided atomically across processes in protocol/SPEC.md §7 order; the answer is durable', async () => {
    const [a, b] = await processes();
    await a.suspensions.open('t-s', {
      suspendId: 's1',
      allowedActions: ['approve', 'reject'],
      expiresAt: null,
    });
    const answer = {
      suspendId: 's1',
      clientActionId: 'c1',
      actionType: 'approve',
      payload: { list: [], n: 1 },
      subject: 'alice',
    };
    const request = {
      suspendId: 's1',
      clientActionId: 'c1',
      actionType: 'approve',
      fingerprint: 'fp1',
      answer,
    };
    expect(await a.suspensions.takeAnswer('t-s', 's1')).toBeNull();
    const decisions = await Promise.all([
      b.suspensions.decide('t-s', request, Date.now(), false),
      a.suspensions.decide(
        't-s',
        { ...request, clientActionId: 'c2', fingerprint: 'fp2' },
        Date.now(),
        false,
      ),
    ]);
    expect(decisions.map((d) => d.status).sort()).toEqual(['ACCEPTED', 'REJECTED_ALREADY_RESOLVED']);
    expect(await a.suspensions.decide('t-s', request, Date.now(), false)).toEqual({ status: 'DEDUPLICATED' });
    expect(
      await a.suspensions.decide('t-s', { ...request, fingerprint: 'other' }, Date.now(), false),
    ).toEqual({ status: 'CONFLICT' });
    expect(
      await b.suspensions.decide(
        't-s',
        { ...request, suspendId: 'nope', clientActionId: 'c3' },
        Date.now(),
        false,
      ),
    ).toEqual({ status: 'NOT_FOUND' });
    const accepted = decisions.find((d) => d.status === 'ACCEPTED');
    const winnerAnswer = accepted?.status === 'ACCEPTED' ? accepted.answer : undefined;
    // The runner (another process) reads the very answer, `[]` included.
    expect(await b.suspensions.takeAnswer('t-s', 's1')).toEqual(winnerAnswer);
    expect(await a.suspensions.expire('t-s', 's1')).toMatchObject({ state: 'answered', delivered: true });

    await a.suspensions.open('t-s', {
      suspendId: 's2',
      allowedActions: ['approve'],
      expiresAt: Date.now() + 60_000,
    });
    expect(
      await b.suspensions.decide(
        't-s',
        { ...request, suspendId: 's2', clientActionId: 'c4', actionType: 'reject' },
        Date.now(),
        false,
      ),
    ).toEqual({ status: 'NOT_ALLOWED', allowedActions: ['approve'] });
    expect(
      await b.suspensions.decide(
        't-s',
        { ...request, suspendId: 's2', clientActionId: 'c5' },
        Date.now() + 120_000,
        false,
      ),
    ).toEqual({ status: 'REJECTED_EXPIRED' });
    expect(await a.suspensions.expire('t-s', 's2')).toMatchObject({ state: 'expired', answer: null });
    expect(
      await b.suspensions.decide(
        't-s',
        { ...request, suspendId: 's2', clientActionId: 'c6' },
        Date.now(),
        false,
      ),
    ).toEqual({ status: 'REJECTED_EXPIRED' });
  });

  it('control messages reach the listeners of their task in another process, until they detach', async () => {
    const [a, b] = await processes();
    const heard: string[] = [];
    const detach = await b.control.subscribe('t-c', (m) => heard.push(m.type));
    await a.control.publish({ type: 'cancel', taskId: 't-c', reason: 'x' });
    await a.control.publish({ type: 'cancel', taskId: 'other', reason: 'x' });
    await a.control.publish({ type: 'answer', taskId: 't-c', suspendId: 's' });
    await vi.waitFor(() => expect(heard).toEqual(['cancel', 'answer']));
    detach();
    await a.control.publish({ type: 'cancel', taskId: 't-c', reason: 'after' });
    // A round trip on b's subscriber connection after the publish: a message would have arrived first.
    (await b.control.subscribe('t-c', () => undefined))();
    expect(heard).toEqual(['cancel', 'answer']);
  });

  it('live tail: a lost publication is filled from the stream, in order, without duplicates', async () => {
    const [a, b, prefix] = await processes();
    const got: string[] = [];
    await b.events.subscribe('t-gap', (event) => got.push(event.eventId));
    const first = await stored(a, message('1', 't-gap'));
    await vi.waitFor(() => expect(got).toEqual([first.eventId]));
    // An event stored without its publication (as if pub/sub lost it).
    const events = `${prefix}{t-gap}:events`;
    const data = JSON.stringify({ type: 'TASK_MESSAGE', createdAt: at, payload: { message: '2' } });
    const lostId = (await raw.xadd(events, '*', 'd', data)) as string;
    await raw.hset(`${prefix}{t-gap}:meta`, 'last', lostId);
    const third = await stored(a, message('3', 't-gap'));
    await vi.waitFor(() => expect(got).toEqual([first.eventId, lostId, third.eventId]));
  });

  it('live tail: when the subscriber connection drops, listeners with onLost are told once', async () => {
    const [a, b] = await processes();
    const lost: unknown[] = [];
    const got: string[] = [];
    await b.events.subscribe('t-drop', (e) => got.push(e.eventId), { onLost: (error) => lost.push(error) });
    await stored(a, message('1', 't-drop'));
    await vi.waitFor(() => expect(got).toHaveLength(1));
    await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await vi.waitFor(() => expect(lost).toHaveLength(1));
    expect(lost[0]).toMatchObject({ status: 503 });
    // The backend reconnects by itself: a new attach works again.
    await vi.waitFor(() => expect(b.isReady?.()).toBe(true), { timeout: 5_000 });
    const again: string[] = [];
    await b.events.subscribe('t-drop', (e) => again.push(e.eventId));
    const next = await stored(a, message('2', 't-drop'));
    await vi.waitFor(() => expect(again).toEqual([next.eventId]));
    expect(lost).toHaveLength(1);
  });
});
