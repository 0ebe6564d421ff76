/**
 * Queue mode for tests: one Redis, API instances (`createReferenceServer({ redis, runtime: 'bullmq' })`
 * in the test process, each with its own connections, as separate machines would have) and
 * `taskbridge-worker` child processes running the fixture handlers of test/worker/fixtures.
 */
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import {
  createDemoAuthResolver,
  createReferenceServer,
  type ReferenceServer,
  silentLogger,
} from '@taskbridge/server-reference';
import { createBullmqRuntime } from '@taskbridge/server-reference/worker';
import { handlers } from '../worker/fixtures/handlers';
import { startRedisServer, type RedisTestServer } from './redis-server';
import { requestTo } from './server-process';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

/** The fixture handlers module, for `--handlers`. */
export const FIXTURE_HANDLERS = fileURLToPath(new URL('../worker/fixtures/handlers.ts', import.meta.url));

/** One API instance. */
export interface ApiInstance {
  readonly server: ReferenceServer;
  readonly url: string;
  /** `fetch` with a bearer subject (default `alice`). */
  readonly request: ReturnType<typeof requestTo>;
}

/** A running queue-mode deployment. */
export interface QueueCluster {
  readonly redis: RedisTestServer;
  readonly apis: ApiInstance[];
  readonly workers: WorkerProcess[];
  /** Starts one more worker with the cluster's worker arguments (plus `extraArgs`). */
  startWorker(extraArgs?: readonly string[]): Promise<WorkerProcess>;
  /** Creates a task through `api`; resolves with its id. */
  create(
    api: ApiInstance,
    taskType: string,
    input?: Record<string, unknown>,
    subject?: string,
  ): Promise<string>;
  /** Every stored event of a task (read through the first API's backend). */
  events(taskId: string): Promise<TaskEvent[]>;
  /** Resolves with the `suspendId` of the task's first `TASK_SUSPENDED` once it is stored. */
  suspendIdOf(taskId: string): Promise<string>;
  /** Resolves with the task's events once its terminal event is stored. */
  finished(taskId: string, timeoutMs?: number): Promise<TaskEvent[]>;
  close(): Promise<void>;
}

/** Options of {@link startQueueCluster}. */
export interface QueueClusterOptions {
  apis: number;
  workers: number;
  /** `taskbridge-worker` arguments besides `--redis` and `--handlers`. */
  workerArgs?: readonly string[];
  /** The API instances' lease reaper interval, ms (`null`: none). Default 200. */
  reapIntervalMs?: number | null;
}

export async function startQueueCluster(options: QueueClusterOptions): Promise<QueueCluster> {
  const redis = await startRedisServer();
  const apis: ApiInstance[] = [];
  const workers: WorkerProcess[] = [];
  const workerArgs = ['--handlers', FIXTURE_HANDLERS, ...(options.workerArgs ?? [])];
  const startWorker = async (extraArgs: readonly string[] = []) => {
    const worker = await startWorkerProcess(redis.url, [...workerArgs, ...extraArgs]);
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < options.apis; i++) {
    const server = createReferenceServer({
      auth: createDemoAuthResolver(),
      logger: silentLogger,
      handlers,
      redis: redis.url,
      runtime: createBullmqRuntime({
        redis: redis.url,
        reapIntervalMs: options.reapIntervalMs === undefined ? 200 : options.reapIntervalMs,
      }),
    });
    const { url } = await server.listen(0, '127.0.0.1');
    apis.push({ server, url, request: requestTo({ url }) });
  }
  await Promise.all(Array.from({ length: options.workers }, () => startWorker()));
  const first = apis[0] as ApiInstance;
  const events = async (taskId: string) =>
    (await first.server.engine.backend.events.read(taskId, null, 100_000)).events;
  return {
    redis,
    apis,
    workers,
    startWorker,
    async create(api, taskType, input = {}, subject = 'alice') {
      const res = await api.request('/api/v1/tasks', {
        method: 'POST',
        subject,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientRequestId: crypto.randomUUID(), taskType, input }),
      });
      if (res.status !== 201) throw new Error(`create ${taskType}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { taskId: string }).taskId;
    },
    events,
    suspendIdOf: (taskId) =>
      vi.waitFor(
        async () => {
          const found = (await events(taskId)).find((e) => e.type === 'TASK_SUSPENDED');
          if (found?.type !== 'TASK_SUSPENDED') throw new Error(`task ${taskId} is not suspended yet`);
          return found.payload.suspendId;
        },
        { timeout: 15_000, interval: 25 },
      ),
    async finished(taskId, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      const { events: store } = first.server.engine.backend;
      // Woken by each append of the task (the store's live tail), checked once before and after attaching.
      for (;;) {
        const log = await events(taskId);
        if (log.length > 0 && isTerminalEvent(log.at(-1) as TaskEvent)) return log;
        const left = until - Date.now();
        if (left <= 0) throw new Error(`task ${taskId} has no terminal event after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          let detach: () => void = () => undefined;
          const timer = setTimeout(done, left);
          function done() {
            clearTimeout(timer);
            detach();
            resolve();
          }
          void store
            .subscribe(taskId, (event) => isTerminalEvent(event) && done())
            .then((off) => {
              detach = off;
              void store.head(taskId).then((head) => head.terminal && done());
            });
        });
      }
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.kill()));
      await Promise.all(apis.map((api) => api.server.close()));
      await redis.stop();
    },
  };
}
