/**
 * Worker loss (issue: task handlers on worker machines): a worker SIGKILLed mid-task stops renewing
 * its lease; within the lease (plus one reaper sweep) the task type's policy applies — `'fail'`: one
 * `TASK_FAILED WORKER_LOST`, no re-run; `'retry'`: the task finishes on another worker, with no second
 * `TASK_STARTED` and nothing from the dead run after the new one began. A task suspended on a worker
 * that dies is answered meanwhile and the re-run finds the durable answer. Short leases: 1,000 ms,
 * swept every 200 ms.
 */
import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiInstance, type QueueCluster, startQueueCluster } from '../support/queue-cluster';
import type { WorkerProcess } from '../support/worker-process';

const LEASE_MS = 1000;
const REAP_INTERVAL_MS = 200;
let cluster: QueueCluster;
let api: ApiInstance;

beforeAll(async () => {
  cluster = await startQueueCluster({
    apis: 1,
    workers: 0,
    reapIntervalMs: REAP_INTERVAL_MS,
    workerArgs: ['--lease-ms', String(LEASE_MS), '--reap-interval-ms', String(REAP_INTERVAL_MS)],
  });
  api = cluster.apis[0] as ApiInstance;
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});
// Each test starts its own workers; none may take the next test's tasks.
afterEach(async () => {
  await Promise.all(cluster.workers.map((worker) => worker.kill()));
});

const messagePid = (event: TaskEvent) =>
  event.type === 'TASK_MESSAGE' ? Number(event.payload.message.split(' ')[0]) : null;

/** The stream as the test prints it: one line per event, a run of messages from one pid as one line. */
function show(log: readonly TaskEvent[]): string {
  const lines: string[] = [];
  let run: { pid: number | null; first: string; last: string; count: number } | undefined;
  const flush = () => {
    if (run)
      lines.push(`  ${run.first}…${run.last} TASK_MESSAGE ×${run.count} from worker pid ${String(run.pid)}`);
    run = undefined;
  };
  for (const event of log) {
    const pid = messagePid(event);
    if (event.type === 'TASK_MESSAGE' && run?.pid === pid) {
      run.last = event.eventId;
      run.count += 1;
      continue;
    }
    flush();
    if (event.type === 'TASK_MESSAGE') run = { pid, first: event.eventId, last: event.eventId, count: 1 };
    else lines.push(`  ${event.eventId} ${event.type} ${JSON.stringify(event.payload)}`);
  }
  flush();
  return lines.join('\n');
}

async function waitForMessages(taskId: string, atLeast: number): Promise<TaskEvent[]> {
  return vi.waitFor(
    async () => {
      const log = await cluster.events(taskId);
      expect(log.filter((e) => e.type === 'TASK_MESSAGE').length).toBeGreaterThanOrEqual(atLeast);
      return log;
    },
    { timeout: 15_000, interval: 25 },
  );
}

/** The worker whose pid is in the task's messages so far (the one running it). */
function runnerOf(log: readonly TaskEvent[], workers: readonly WorkerProcess[]): WorkerProcess {
  const pid = log.map(messagePid).find((p) => p !== null);
  const runner = workers.find((w) => w.pid === pid);
  if (!runner) throw new Error(`no worker ran this task (pid ${String(pid)})`);
  return runner;
}

describe('a worker SIGKILLed mid-task', () => {
  it("'fail' (the default): exactly one TASK_FAILED WORKER_LOST within the lease, no re-run elsewhere", async () => {
    const workers = [await cluster.startWorker(), await cluster.startWorker()];
    const taskId = await cluster.create(api, 'paced', { count: 200, intervalMs: 20 });
    const early = await waitForMessages(taskId, 3);
    const runner = runnerOf(early, workers);
    const killedAt = performance.now();
    await runner.kill();
    const log = await cluster.finished(taskId, 10_000);
    const noticedMs = performance.now() - killedAt;
    console.log(
      `'fail': WORKER_LOST ${noticedMs.toFixed(0)} ms after the SIGKILL (lease ${LEASE_MS} ms)\n${show(log)}`,
    );
    expect(log.filter((e) => isTerminalEvent(e))).toHaveLength(1);
    expect(log.at(-1)).toMatchObject({
      type: 'TASK_FAILED',
      payload: { code: 'WORKER_LOST', retryable: true },
    });
    expect(noticedMs).toBeLessThan(LEASE_MS + REAP_INTERVAL_MS + 1000);
    expect(log.filter((e) => e.type === 'TASK_STARTED')).toHaveLength(1);
    // Every message came from the dead worker: nobody ran it again.
    expect(new Set(log.map(messagePid).filter((p) => p !== null))).toEqual(new Set([runner.pid]));
    await Promise.all(workers.map((w) => w.kill()));
  }, 30_000);

  it("'retry': the task finishes on another worker, one TASK_STARTED, nothing from the dead run after the new one began", async () => {
    const workers = [await cluster.startWorker(), await cluster.startWorker()];
    const taskId = await cluster.create(api, 'paced-retry', { count: 60, intervalMs: 20 });
    const early = await waitForMessages(taskId, 5);
    const runner = runnerOf(early, workers);
    const survivor = workers.find((w) => w !== runner) as WorkerProcess;
    await runner.kill();
    const log = await cluster.finished(taskId, 15_000);
    console.log(`'retry': the stream\n${show(log)}`);
    expect(log.filter((e) => e.type === 'TASK_STARTED')).toHaveLength(1);
    expect(log[0]?.type).toBe('TASK_STARTED');
    expect(log.filter((e) => isTerminalEvent(e))).toHaveLength(1);
    expect(log.at(-1)).toMatchObject({ type: 'TASK_COMPLETED', payload: { result: { pid: survivor.pid } } });
    const pids = log.map(messagePid).filter((p): p is number => p !== null);
    const firstOfNew = pids.indexOf(survivor.pid);
    expect(firstOfNew).toBeGreaterThan(0);
    // The dead run's messages all precede the new run's first one.
    expect(pids.slice(0, firstOfNew).every((p) => p === runner.pid)).toBe(true);
    expect(pids.slice(firstOfNew).every((p) => p === survivor.pid)).toBe(true);
    expect(pids.slice(firstOfNew)).toHaveLength(60);
    await survivor.kill();
  }, 30_000);

  it("'retry' with a paused worker (SIGSTOP): the new run fences it; resumed, it writes nothing and aborts its handler", async () => {
    const workers = [await cluster.startWorker(), await cluster.startWorker()];
    const taskId = await cluster.create(api, 'paced-retry', { count: 40, intervalMs: 20 });
    const early = await waitForMessages(taskId, 3);
    const stale = runnerOf(early, workers);
    const survivor = workers.find((w) => w !== stale) as WorkerProcess;
    stale.child.kill('SIGSTOP');
    // The re-run is under way on the survivor before the paused worker wakes up.
    await vi.waitFor(
      async () =>
        expect((await cluster.events(taskId)).some((e) => messagePid(e) === survivor.pid)).toBe(true),
      { timeout: 10_000, interval: 25 },
    );
    stale.child.kill('SIGCONT');
    await vi.waitFor(() => expect(stale.output).toContain(`aborted ${taskId}`), { timeout: 5_000 });
    const log = await cluster.finished(taskId, 15_000);
    console.log(`'retry' with a paused worker: the stream\n${show(log)}`);
    const pids = log.map(messagePid).filter((p): p is number => p !== null);
    const firstOfNew = pids.indexOf(survivor.pid);
    expect(pids.slice(0, firstOfNew).every((p) => p === stale.pid)).toBe(true);
    expect(pids.slice(firstOfNew).every((p) => p === survivor.pid)).toBe(true);
    expect(log.filter((e) => e.type === 'TASK_STARTED')).toHaveLength(1);
    expect(log.at(-1)).toMatchObject({ type: 'TASK_COMPLETED', payload: { result: { pid: survivor.pid } } });
  }, 30_000);

  it("'retry' while suspended: answered through the API meanwhile, the re-run on another worker finds the durable answer", async () => {
    const first = await cluster.startWorker();
    const taskId = await cluster.create(api, 'ask-retry');
    const suspendId = await cluster.suspendIdOf(taskId);
    await first.kill();
    const answered = await api.request(`/api/v1/tasks/${taskId}/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        suspendId,
        clientActionId: crypto.randomUUID(),
        actionType: 'approve',
        payload: { while: 'no worker held it' },
      }),
    });
    expect(answered.status).toBe(202);
    const second = await cluster.startWorker();
    const log = await cluster.finished(taskId, 15_000);
    console.log(`'retry' while suspended: the stream\n${show(log)}`);
    expect(log.at(-1)).toMatchObject({
      type: 'TASK_COMPLETED',
      payload: { result: { pid: second.pid, payload: { while: 'no worker held it' } } },
    });
    const types = log.map((e) => e.type);
    expect(types.filter((t) => t === 'TASK_STARTED')).toHaveLength(1);
    expect(types.filter((t) => t === 'TASK_SUSPENDED')).toHaveLength(1);
    expect(types.filter((t) => t === 'TASK_ACTION_ACCEPTED')).toHaveLength(1);
    await second.kill();
  }, 30_000);
});

describe('SIGTERM on a worker', () => {
  it('drains: running tasks finish, no new one is taken, the process exits 0', async () => {
    const draining = await cluster.startWorker();
    const running = await Promise.all(
      [0, 1].map(() => cluster.create(api, 'paced', { count: 30, intervalMs: 30 })),
    );
    await Promise.all(running.map((taskId) => waitForMessages(taskId, 2)));
    const exited = draining.stop();
    // Created after the SIGTERM: it must wait for another worker.
    await vi.waitFor(() => expect(draining.output).toContain('draining'), { timeout: 5_000 });
    const later = await cluster.create(api, 'paced', { count: 2 });
    expect(await exited).toBe(0);
    for (const taskId of running) {
      const log = await cluster.events(taskId);
      expect(log.at(-1)).toMatchObject({
        type: 'TASK_COMPLETED',
        payload: { result: { pid: draining.pid } },
      });
      expect(log.filter((e) => e.type === 'TASK_MESSAGE')).toHaveLength(30);
    }
    expect(await cluster.events(later)).toEqual([]);
    const next = await cluster.startWorker();
    const log = await cluster.finished(later);
    expect(log.at(-1)).toMatchObject({ type: 'TASK_COMPLETED', payload: { result: { pid: next.pid } } });
    await next.kill();
  }, 30_000);
});
