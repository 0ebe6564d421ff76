/**
 * `createTaskWorker`: a process that runs task handlers for API processes in queue mode. It takes
 * BullMQ jobs, runs each task with the same handler API as in-process (`emit`/`yield`, `suspend`,
 * `signal`) against the shared Redis backend, hears cancels and answers through the backend's control
 * channel, holds a lease per run, reaps the expired leases of lost workers, and drains on `close()`.
 */
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { createEventBuilder } from '../engine/event-builder';
import { type EngineLimitOptions, resolveEngineLimits } from '../engine/limits';
import type { TaskBridgeBackend } from '../engine/state/backend';
import { createRedisBackend } from '../engine/state/redis/redis-backend';
import { newRedisClient } from '../engine/state/redis/redis-connection';
import type { TaskHandler } from '../engine/types';
import { type Logger, silentLogger } from '../logger';
import { DEFAULT_QUEUE_NAME, type TaskJobData } from '../runtime/bullmq/jobs';
import { openTaskQueue, type TaskQueueOptions } from '../runtime/bullmq/task-queue';
import type { WorkerLossPolicy } from '../runtime/leases/lease';
import { type ActiveJob, runJob } from './run-job';

/** Options of {@link createTaskWorker}; the queue options must match the API processes'. */
export interface TaskWorkerOptions extends TaskQueueOptions {
  /** Handlers by `taskType`: the same ones the API processes register (for validation). */
  handlers: Record<string, TaskHandler>;
  /** Tasks run at once by this worker. Default 10. */
  concurrency?: number;
  /**
   * Worker-loss policy per task type (see {@link WorkerLossPolicy}); a type not listed gets `'fail'`.
   * Default: every type `'fail'`.
   */
  onWorkerLost?: Readonly<Record<string, WorkerLossPolicy>>;
  /** Runs a `'retry'` task may get in all (the first included), ≥ 1. Default 3. */
  maxAttempts?: number;
  /**
   * How long a run's lease lasts without renewal, ms (renewed every third of it). A worker that
   * stops renewing is noticed by a reaper within `leaseMs + reapIntervalMs`. Default 30,000.
   */
  leaseMs?: number;
  /**
   * How long `close()` lets running tasks finish, ms; then the rest are stopped without a terminal
   * event and their leases expire at once, so another process applies their loss policy. `null` =
   * wait for ever. Default 30,000.
   */
  drainTimeoutMs?: number | null;
  /**
   * The shared state; must be on the API processes' Redis with the same `keyPrefix` and retention.
   * Default `createRedisBackend({ redis, keyPrefix })` (default retention), closed by `close()`.
   */
  backend?: TaskBridgeBackend;
  /** Event limits and the task deadline each run enforces, as `createTaskEngine`'s. Default: its defaults. */
  limits?: EngineLimitOptions;
  /** Log hook: handler faults, lost workers, drain. Default: silent. */
  logger?: Logger;
  /** This worker's id, recorded as the runner of its tasks. Default `<hostname>:<pid>:<random>`. */
  workerId?: string;
}

/** A running worker. */
export interface TaskWorker {
  /** Recorded as `runner` of the tasks it runs. */
  readonly id: string;
  /** Tasks running here now. */
  readonly running: number;
  /** Resolves once the worker is connected and taking jobs. */
  ready(): Promise<void>;
  /**
   * Graceful drain: takes no new jobs, lets running tasks finish (up to `drainTimeoutMs`), then closes
   * its connections (and the backend it created). Idempotent; never rejects.
   */
  close(): Promise<void>;
}

/**
 * Creates and starts a worker.
 *
 * @throws {RangeError} for a `concurrency`, `maxAttempts`, `leaseMs` or `drainTimeoutMs` that is not
 *   a positive integer (or `null` where allowed).
 *
 * @example
 * const worker = createTaskWorker({ handlers, redis: process.env.REDIS_URL, concurrency: 20 });
 * process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
 */
export function createTaskWorker(options: TaskWorkerOptions): TaskWorker {
  const concurrency = positive('concurrency', options.concurrency ?? 10);
  const maxAttempts = positive('maxAttempts', options.maxAttempts ?? 3);
  const leaseMs = positive('leaseMs', options.leaseMs ?? 30_000);
  const drainTimeoutMs =
    options.drainTimeoutMs === null ? null : positive('drainTimeoutMs', options.drainTimeoutMs ?? 30_000);
  const logger = options.logger ?? silentLogger;
  const now = Date.now;
  const id = options.workerId ?? `${hostname()}:${process.pid}:${globalThis.crypto.randomUUID().slice(0, 8)}`;
  const backend =
    options.backend ?? createRedisBackend({ redis: options.redis, keyPrefix: options.keyPrefix });
  const build = createEventBuilder(now);
  const tasks = openTaskQueue(options, { backend, build, now, logger });
  const active = new Map<string, ActiveJob>();
  const policies = options.onWorkerLost ?? {};
  const deps = {
    backend,
    handlers: options.handlers,
    leases: tasks.leases,
    policyOf: (taskType: string) => policies[taskType] ?? 'fail',
    maxAttempts,
    leaseMs,
    runnerId: `worker:${id}`,
    build,
    now,
    limits: resolveEngineLimits(options.limits),
    logger,
  };
  // BullMQ's blocking connection must retry for ever (its requirement); it gets its own client.
  const connection = newRedisClient(options.redis, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const worker = new Worker<TaskJobData>(
    options.queueName ?? DEFAULT_QUEUE_NAME,
    async (job) => {
      const key = `${job.data.taskId}\n${job.data.epoch}`;
      try {
        await runJob(job.data, deps, (running) => active.set(key, running));
      } finally {
        active.delete(key);
      }
    },
    {
      connection,
      concurrency,
      ...(options.queuePrefix ? { prefix: options.queuePrefix } : {}),
      // BullMQ's own lock is not the lease: a stalled job handed out again is skipped by runJob.
      lockDuration: Math.max(leaseMs, 1000),
      maxStalledCount: 1,
    },
  );
  // E.g. a lock BullMQ could not renew while Redis was away: logged, never an uncaught 'error'.
  worker.on('error', (error) => logger({ level: 'warn', msg: 'worker queue error', error: error.message }));
  let closing: Promise<void> | undefined;
  return {
    id,
    get running() {
      return active.size;
    },
    ready: () => worker.waitUntilReady().then(() => undefined),
    close: () =>
      (closing ??= (async () => {
        logger({ level: 'info', msg: 'worker draining', workerId: id, running: active.size });
        const timer =
          drainTimeoutMs === null
            ? undefined
            : setTimeout(() => {
                for (const job of active.values()) void job.abandon();
              }, drainTimeoutMs);
        await worker.close().catch(() => undefined);
        clearTimeout(timer);
        await tasks.close();
        if (!options.backend) await backend.close().catch(() => undefined);
        await connection.quit().catch(() => connection.disconnect());
        logger({ level: 'info', msg: 'worker closed', workerId: id });
      })()),
  };
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`createTaskWorker: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
