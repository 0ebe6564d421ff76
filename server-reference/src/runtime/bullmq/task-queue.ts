/**
 * The queue side shared by API processes and workers: the BullMQ queue tasks are added to, the lease
 * store, and the reaper that applies the worker-loss policy to runs whose lease expired.
 */
import { Queue } from 'bullmq';
import type { EventBuilder } from '../../engine/event-builder';
import type { TaskBridgeBackend } from '../../engine/state/backend';
import {
  FAIL_FAST,
  newRedisClient,
  type RedisConnectionSpec,
} from '../../engine/state/redis/redis-connection';
import type { Logger } from '../../logger';
import type { LeaseStore } from '../leases/lease';
import { type Reaper, startReaper } from '../leases/reaper';
import { createRedisLeaseStore } from '../leases/redis-lease-store';
import { applyLossPolicy } from '../leases/worker-loss';
import { DEFAULT_QUEUE_NAME, jobIdOf, leaseKeyOf, TASK_JOB_OPTIONS, type TaskJobData } from './jobs';

/** Where the queue is; shared by {@link createBullmqRuntime} and `createTaskWorker`. */
export interface TaskQueueOptions {
  /** Redis (≥ 7.0) of the queue and the leases: a URL, a unix socket path, ioredis options or a client. */
  redis: RedisConnectionSpec;
  /** BullMQ queue name; API processes and workers must agree. Default `taskbridge`. */
  queueName?: string;
  /** BullMQ's own key prefix. Default `bull` (BullMQ's default). */
  queuePrefix?: string;
  /** Prefix of the lease key, the Redis backend's `keyPrefix`. Default `tb:` (key `tb:leases`). */
  keyPrefix?: string;
  /**
   * How often this process looks for expired leases, ms; `null` = never (others do). A lost worker
   * is noticed at most `leaseMs` + this after its last renewal. Default 1,000.
   */
  reapIntervalMs?: number | null;
}

/** What the reaper needs from the process it runs in. */
export interface TaskQueueDeps {
  backend: Pick<TaskBridgeBackend, 'events' | 'tasks'>;
  build: EventBuilder;
  now: () => number;
  logger: Logger;
}

/** The queue, the leases and the reaper of one process. */
export interface TaskQueue {
  readonly queue: Queue<TaskJobData>;
  readonly leases: LeaseStore;
  /** Adds attempt `epoch` of a task (idempotent: the job id comes from the taskId and epoch). */
  enqueue(taskId: string, taskType: string, epoch: number): Promise<void>;
  /** Stops the reaper, closes the queue and the connection. Idempotent. */
  close(): Promise<void>;
}

/** Opens the queue (fail-fast connection: an add while Redis is away rejects instead of waiting). */
export function openTaskQueue(options: TaskQueueOptions, deps: TaskQueueDeps): TaskQueue {
  const connection = newRedisClient(options.redis, FAIL_FAST);
  connection.on('error', () => undefined);
  const queue = new Queue<TaskJobData>(options.queueName ?? DEFAULT_QUEUE_NAME, {
    connection,
    ...(options.queuePrefix ? { prefix: options.queuePrefix } : {}),
  });
  queue.on('error', () => undefined);
  const leases = createRedisLeaseStore(connection, leaseKeyOf(options.keyPrefix ?? 'tb:'));
  const enqueue = async (taskId: string, taskType: string, epoch: number) => {
    await queue.add(taskType, { taskId, epoch }, { ...TASK_JOB_OPTIONS, jobId: jobIdOf(taskId, epoch) });
  };
  const intervalMs = options.reapIntervalMs === undefined ? 1000 : options.reapIntervalMs;
  const reaper: Reaper | undefined =
    intervalMs === null
      ? undefined
      : startReaper({
          store: leases,
          intervalMs,
          now: deps.now,
          onExpired: (lease) => applyLossPolicy(lease, { ...deps, enqueue }),
          onError: (error) =>
            deps.logger({
              level: 'warn',
              msg: 'lease reaper failed; retrying',
              error: error instanceof Error ? error.message : String(error),
            }),
        });
  let closing: Promise<void> | undefined;
  return {
    queue,
    leases,
    enqueue,
    close: () =>
      (closing ??= (async () => {
        await reaper?.stop();
        await queue.close().catch(() => undefined);
        await connection.quit().catch(() => connection.disconnect());
      })()),
  };
}
