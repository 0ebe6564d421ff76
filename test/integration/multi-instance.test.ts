/**
 * Three reference-server processes on one Redis (issue: scale out): whatever instance a request
 * reaches, it sees the same tasks — created through A, polled, streamed (WebSocket and SSE, resumed
 * on another instance), cancelled and answered through B and C; concurrent identical creates spread
 * over the instances make one task; a cancel racing completion across instances leaves one terminal
 * event.
 */
import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { idsOf, openSse, openWs, readLog, type RequestFn, terminalLog } from '../support/hazard-streams';
import { taskPaths, uniqueId } from '../support/protocol-calls';
import { startRedisServer, type RedisTestServer } from '../support/redis-server';
import { requestTo, startServerProcess, type ServerProcess } from '../support/server-process';

const paths = taskPaths();
let redis: RedisTestServer;
let instances: ServerProcess[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  instances = await Promise.all([0, 1, 2].map(() => startServerProcess(redis.url)));
}, 60_000);
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.kill()));
  await redis?.stop();
});

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const wsUrlOf = (instance: ServerProcess) => instance.url.replace(/^http/, 'ws');

async function createThrough(
  instance: ServerProcess,
  taskType: string,
  input: Record<string, unknown>,
): Promise<string> {
  const res = await requestTo(instance)(
    paths.create,
    json({ clientRequestId: uniqueId('mi'), taskType, input }),
  );
  expect(res.status).toBe(201);
  return ((await res.json()) as { taskId: string }).taskId;
}

const finalLog = (request: RequestFn, taskId: string) =>
  vi.waitFor(() => terminalLog(request, taskId), { timeout: 20_000, interval: 50 });

const expectOneTerminalLast = (log: readonly TaskEvent[]) => {
  expect(log.filter((e) => isTerminalEvent(e))).toHaveLength(1);
  expect(isTerminalEvent(log.at(-1) as TaskEvent)).toBe(true);
};

describe('several instances on one Redis', () => {
  it('a task created through A is polled through B and streamed over WebSocket and SSE through C and B, resuming on another instance', async () => {
    const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
    const taskId = await createThrough(a, 'ticker', { count: 300, intervalMs: 3 });

    // WebSocket on C, dropped mid-way, resumed on B from its last eventId.
    const ws1 = openWs(wsUrlOf(c), taskId);
    await vi.waitFor(() => expect(ws1.events.length).toBeGreaterThanOrEqual(40), { timeout: 15_000 });
    ws1.close();
    await ws1.closed;
    const ws2 = openWs(wsUrlOf(b), taskId, { lastEventId: ws1.events.at(-1)?.eventId ?? null });
    // SSE on B, dropped mid-way, resumed on C with Last-Event-ID.
    const sse1 = openSse(b.url, paths.stream(taskId));
    await vi.waitFor(() => expect(sse1.events.length).toBeGreaterThanOrEqual(80), { timeout: 15_000 });
    sse1.close();
    const sse2 = openSse(c.url, paths.stream(taskId), { lastEventId: sse1.events.at(-1)?.eventId as string });

    const log = await finalLog(requestTo(b), taskId);
    expect(log).toHaveLength(302);
    expectOneTerminalLast(log);
    expect(idsOf(await readLog(requestTo(c), taskId))).toEqual(idsOf(log));
    await ws2.closed;
    await sse2.done;
    expect(idsOf([...ws1.events, ...ws2.events])).toEqual(idsOf(log));
    expect(idsOf([...sse1.events, ...sse2.events])).toEqual(idsOf(log));
    const status = await requestTo(c)(paths.status(taskId));
    expect(await status.json()).toMatchObject({ status: 'COMPLETED', lastEventId: log.at(-1)?.eventId });
  });

  it('a suspension raised on A is answered through C (and deduplicated through B); the handler on A resumes', async () => {
    const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
    const taskId = await createThrough(a, 'approval', {});
    const suspended = await vi.waitFor(
      async () => {
        const found = (await readLog(requestTo(b), taskId)).find((e) => e.type === 'TASK_SUSPENDED');
        expect(found).toBeDefined();
        return found as TaskEvent & { payload: { suspendId: string } };
      },
      { timeout: 10_000, interval: 50 },
    );
    const action = {
      suspendId: suspended.payload.suspendId,
      clientActionId: uniqueId('act'),
      actionType: 'approve',
      payload: { comment: 'from C' },
    };
    const answered = await requestTo(c)(paths.actions(taskId), json(action));
    expect(answered.status).toBe(202);
    expect(await answered.json()).toMatchObject({ status: 'ACCEPTED' });
    const repeated = await requestTo(b)(paths.actions(taskId), json(action));
    expect(repeated.status).toBe(200);
    expect(await repeated.json()).toMatchObject({ status: 'DEDUPLICATED' });
    const log = await finalLog(requestTo(c), taskId);
    expectOneTerminalLast(log);
    expect(log.map((e) => e.type)).toContain('TASK_ACTION_ACCEPTED');
    expect(log.at(-1)).toMatchObject({ type: 'TASK_COMPLETED', payload: { result: { comment: 'from C' } } });
  });

  it('a task running on A is cancelled through B; C sees one TASK_CANCELLED, last', async () => {
    const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
    const taskId = await createThrough(a, 'ticker', { count: 100_000, intervalMs: 2 });
    await vi.waitFor(async () => expect((await readLog(requestTo(c), taskId)).length).toBeGreaterThan(5), {
      timeout: 10_000,
    });
    const cancel = await requestTo(b)(paths.cancel(taskId), json({ reason: 'from B' }));
    expect(await cancel.json()).toMatchObject({ status: 'CANCELLATION_REQUESTED' });
    const log = await finalLog(requestTo(c), taskId);
    expectOneTerminalLast(log);
    expect(log.at(-1)).toMatchObject({ type: 'TASK_CANCELLED' });
    // The runner on A heard the cancel and stopped: a second look finds the same log.
    expect(idsOf(await readLog(requestTo(a), taskId))).toEqual(idsOf(log));
    expect((await (await requestTo(a)(paths.status(taskId))).json()) as object).toMatchObject({
      status: 'CANCELLED',
    });
  });

  it('a stream ticket minted on A is redeemed once, on B; a second use on C is refused', async () => {
    const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
    const taskId = await createThrough(a, 'greet', { name: 'ticket' });
    await finalLog(requestTo(a), taskId);
    const minted = await requestTo(a)('/api/v1/stream-tickets', json({ taskId }));
    expect(minted.status).toBe(201);
    const { ticket } = (await minted.json()) as { ticket: string };
    const streamUrl = (instance: ServerProcess) =>
      `${instance.url}${paths.stream(taskId)}?ticket=${encodeURIComponent(ticket)}`;
    const first = await fetch(streamUrl(b), { headers: { accept: 'text/event-stream' } });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('TASK_COMPLETED');
    const second = await fetch(streamUrl(c), { headers: { accept: 'text/event-stream' } });
    expect(second.status).toBe(401);
  });

  it('100 concurrent identical creates spread over the three instances make exactly one task', async () => {
    const body = { clientRequestId: uniqueId('same'), taskType: 'greet', input: { name: 'once' } };
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        requestTo(instances[i % 3] as ServerProcess)(paths.create, json(body)),
      ),
    );
    const statuses = responses.map((r) => r.status);
    const ids = new Set(
      await Promise.all(responses.map(async (r) => ((await r.json()) as { taskId: string }).taskId)),
    );
    expect(ids.size).toBe(1);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(99);
  });

  it('cancels racing completion on two instances leave exactly one terminal event per task', async () => {
    const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const taskId = await createThrough(a, 'ticker', { count: 5, intervalMs: 2 });
        // Spread the cancels over the task's ~10–20 ms life, and past its end.
        await vi.waitFor(
          async () =>
            expect((await readLog(requestTo(a), taskId)).length).toBeGreaterThanOrEqual(1 + (i % 7)),
          { timeout: 10_000, interval: 2 },
        );
        const answers = await Promise.all(
          [b, c].map(async (instance) => {
            const res = await requestTo(instance)(paths.cancel(taskId), json({}));
            return ((await res.json()) as { status: string }).status;
          }),
        );
        const log = await finalLog(requestTo(c), taskId);
        expectOneTerminalLast(log);
        const requested = answers.filter((s) => s === 'CANCELLATION_REQUESTED').length;
        expect(requested).toBe(log.at(-1)?.type === 'TASK_CANCELLED' ? 1 : 0);
        return log.at(-1)?.type;
      }),
    );
    expect(outcomes.every((type) => type === 'TASK_CANCELLED' || type === 'TASK_COMPLETED')).toBe(true);
  });
});
