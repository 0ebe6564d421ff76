/**
 * Queue mode (issue: task handlers on worker machines): two API instances and three worker processes
 * on one Redis. Tasks created through either instance run on the workers, each with one
 * `TASK_STARTED` and one terminal event; a cancel through one instance aborts the handler on the
 * worker running it; an answer through the other resumes a handler suspended on a worker.
 */
import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import { createDemoAuthResolver, createReferenceServer } from '@taskbridge/server-reference';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiInstance, type QueueCluster, startQueueCluster } from '../support/queue-cluster';

let cluster: QueueCluster;

beforeAll(async () => {
  cluster = await startQueueCluster({ apis: 2, workers: 3, workerArgs: ['--concurrency', '20'] });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const pidOf = (event: TaskEvent | undefined) =>
  event?.type === 'TASK_MESSAGE' ? Number(event.payload.message.split(' ')[0]) : Number.NaN;
const count = (log: readonly TaskEvent[], type: TaskEvent['type']) =>
  log.filter((e) => e.type === type).length;

describe('queue mode: 2 API instances, 3 workers', () => {
  it('200 tasks through both instances all complete on the workers, one TASK_STARTED and one terminal each', async () => {
    const [a, b] = cluster.apis as [ApiInstance, ApiInstance];
    const started = performance.now();
    const taskIds = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        cluster.create(i % 2 === 0 ? a : b, 'paced', { count: 3 }, `user-${i % 4}`),
      ),
    );
    const logs = await Promise.all(taskIds.map((taskId) => cluster.finished(taskId, 60_000)));
    const seconds = (performance.now() - started) / 1000;
    const events = logs.reduce((sum, log) => sum + log.length, 0);
    const byWorker = new Map<number, number>();
    for (const log of logs) {
      expect(count(log, 'TASK_STARTED')).toBe(1);
      expect(log[0]?.type).toBe('TASK_STARTED');
      expect(log.filter((e) => isTerminalEvent(e))).toHaveLength(1);
      expect(log.at(-1)?.type).toBe('TASK_COMPLETED');
      expect(log).toHaveLength(5);
      const pid = pidOf(log[1]);
      byWorker.set(pid, (byWorker.get(pid) ?? 0) + 1);
    }
    const workerPids = cluster.workers.map((w) => w.pid);
    expect([...byWorker.keys()].every((pid) => workerPids.includes(pid))).toBe(true);
    expect(byWorker.size).toBeGreaterThanOrEqual(2);
    // Through the other instance, over HTTP: the same logs.
    const status = await b.request(`/api/v1/tasks/${taskIds[0] as string}`, { subject: 'user-0' });
    expect(await status.json()).toMatchObject({ status: 'COMPLETED' });
    console.log(
      `queue mode: 200 tasks (${events} events) over 2 API instances and 3 workers in ${seconds.toFixed(2)} s: ` +
        `${(200 / seconds).toFixed(0)} tasks/s, ${(events / seconds).toFixed(0)} events/s; ` +
        `tasks per worker: ${[...byWorker.values()].join(', ')}`,
    );
  }, 90_000);

  it('a cancel through instance B aborts the handler on the worker running it; nothing is written after TASK_CANCELLED', async () => {
    const [a, b] = cluster.apis as [ApiInstance, ApiInstance];
    const taskId = await cluster.create(a, 'paced', { count: 10_000, intervalMs: 20 });
    const early = await vi.waitFor(
      async () => {
        const log = await cluster.events(taskId);
        expect(log.length).toBeGreaterThanOrEqual(4);
        return log;
      },
      { timeout: 15_000, interval: 50 },
    );
    const runner = cluster.workers.find((w) => w.pid === pidOf(early[1]));
    expect(runner).toBeDefined();
    const cancel = await b.request(`/api/v1/tasks/${taskId}/cancel`, json({ reason: 'through B' }));
    expect(await cancel.json()).toMatchObject({ status: 'CANCELLATION_REQUESTED' });
    await vi.waitFor(() => expect(runner?.output).toContain(`aborted ${taskId}`), { timeout: 5_000 });
    const log = await cluster.finished(taskId);
    expect(log.at(-1)).toMatchObject({ type: 'TASK_CANCELLED', payload: { reason: 'through B' } });
    expect(log.filter((e) => isTerminalEvent(e))).toHaveLength(1);
    // The handler stopped: well past its 20 ms pace, the log has not moved.
    const length = log.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await cluster.events(taskId)).toHaveLength(length);
  });

  it('an approval answered through instance A resumes the handler suspended on a worker', async () => {
    const [a, b] = cluster.apis as [ApiInstance, ApiInstance];
    const taskId = await cluster.create(b, 'ask');
    const suspendId = await cluster.suspendIdOf(taskId);
    const answered = await a.request(
      `/api/v1/tasks/${taskId}/actions`,
      json({
        suspendId,
        clientActionId: crypto.randomUUID(),
        actionType: 'approve',
        payload: { comment: 'through A' },
      }),
    );
    expect(answered.status).toBe(202);
    const log = await cluster.finished(taskId);
    const result = log.at(-1) as TaskEvent & { payload: { result: { pid: number; payload: unknown } } };
    expect(result.type).toBe('TASK_COMPLETED');
    expect(cluster.workers.map((w) => w.pid)).toContain(result.payload.result.pid);
    expect(result.payload.result.pid).not.toBe(process.pid);
    expect(result.payload.result.payload).toEqual({ comment: 'through A' });
    expect(log.map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_PROGRESS',
      'TASK_SUSPENDED',
      'TASK_ACTION_ACCEPTED',
      'TASK_MESSAGE',
      'TASK_COMPLETED',
    ]);
  });
});

describe('queue mode configuration', () => {
  it("runtime 'bullmq' without redis is refused before anything connects", () => {
    expect(() => createReferenceServer({ auth: createDemoAuthResolver(), runtime: 'bullmq' })).toThrow(
      /runtime 'bullmq' queues tasks in Redis: pass `redis`/,
    );
  });
});
