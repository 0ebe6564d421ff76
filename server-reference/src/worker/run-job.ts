/**
 * One job on a worker: the run of attempt `epoch` of a task, under a lease. The first attempt writes
 * `TASK_STARTED`; a later one (after a lost worker, policy `'retry'`) does not, and its epoch fences
 * whatever the lost run might still try to write. Suspension ids are derived from the taskId and
 * the order of `suspend()` calls, so a re-run that suspends at the same point finds the suspension
 * (and its durable answer) of the run it replaces.
 */
import type { EventBuilder } from '../engine/event-builder';
import type { EngineLimits } from '../engine/limits';
import { executeTask, type RunningTask } from '../engine/runner/execute-task';
import type { TaskBridgeBackend } from '../engine/state/backend';
import type { TaskHandler } from '../engine/types';
import type { Logger } from '../logger';
import type { Lease, LeaseStore, WorkerLossPolicy } from '../runtime/leases/lease';
import { type KeptLease, keepLease } from '../runtime/leases/lease-keeper';
import type { TaskJobData } from '../runtime/bullmq/jobs';

/** What a job run needs from its worker. */
export interface JobDeps {
  backend: TaskBridgeBackend;
  handlers: Readonly<Record<string, TaskHandler>>;
  leases: LeaseStore;
  policyOf(taskType: string): WorkerLossPolicy;
  maxAttempts: number;
  leaseMs: number;
  runnerId: string;
  build: EventBuilder;
  now: () => number;
  limits: EngineLimits;
  logger: Logger;
}

/** A job being run. */
export interface ActiveJob {
  readonly run: RunningTask;
  readonly lease: Lease;
  readonly kept: KeptLease;
  /** Stops the run without ending the lease's task: the lease expires at once and a reaper applies its policy. */
  abandon(): Promise<void>;
}

/** `suspendId`s of one task's runs: `<taskId>.s1`, `<taskId>.s2`, … in `suspend()` order. */
export function suspendIdsOf(taskId: string): () => string {
  let count = 0;
  return () => `${taskId}.s${++count}`;
}

/**
 * Runs `job` to its end. Does nothing for a task that is gone or ended, or for an attempt that began
 * elsewhere already (BullMQ handing a stalled job out again: the lease reaper owns that case).
 *
 * @param onActive - receives the run once it started (the worker's drain uses it).
 */
export async function runJob(
  data: TaskJobData,
  deps: JobDeps,
  onActive: (job: ActiveJob) => void,
): Promise<void> {
  const { backend, leases } = deps;
  const { taskId, epoch } = data;
  const task = await backend.tasks.get(taskId);
  if (!task || task.epoch >= epoch) return;
  if ((await backend.events.head(taskId)).terminal) return;
  const handler = deps.handlers[task.taskType];
  if (!handler) {
    const failure = {
      code: 'TASK_EXECUTION_FAILED',
      message: `no handler for task type ${task.taskType} on this worker`,
      retryable: false,
    };
    await backend.events.append(deps.build.failed(taskId, failure), { epoch });
    return;
  }
  const lease: Lease = { taskId, epoch, policy: deps.policyOf(task.taskType), maxAttempts: deps.maxAttempts };
  let stopRun: () => void = () => undefined;
  let abandoned = false;
  // Held before the registry says this epoch began: a worker lost in between leaves a lease to reap.
  const kept = await keepLease(leases, lease, {
    leaseMs: deps.leaseMs,
    now: deps.now,
    onLost: () => stopRun(),
  });
  await backend.tasks.update(taskId, { epoch, runner: deps.runnerId, updatedAt: deps.now() });
  if (kept.lost) return;
  const run = executeTask({
    backend,
    task,
    handler,
    epoch,
    resume: epoch > 1,
    runnerId: deps.runnerId,
    build: deps.build,
    now: deps.now,
    generateId: suspendIdsOf(taskId),
    limits: deps.limits,
    logger: deps.logger,
  });
  const active = run;
  stopRun = () => active.execution.stop();
  onActive({
    run: active,
    lease,
    kept,
    async abandon() {
      abandoned = true;
      kept.stop();
      await leases.hold(lease, 0).catch(() => undefined);
      active.execution.stop();
    },
  });
  await active.done;
  kept.stop();
  if (!kept.lost && !abandoned) await leases.release(lease).catch(() => undefined);
}
