/**
 * What a reaper does with a run whose lease expired: per the lease's policy, queue the task again
 * with the next epoch, or end it with one `TASK_FAILED` `WORKER_LOST` written with the next epoch —
 * which fences the lost run, so a worker that was only paused cannot write after it.
 */
import type { EventBuilder, TaskFailure } from '../../engine/event-builder';
import type { TaskBridgeBackend } from '../../engine/state/backend';
import type { Logger } from '../../logger';
import type { Lease } from './lease';

/** `TASK_FAILED.code` of a task whose worker was lost (protocol/SPEC.md §15). */
export const WORKER_LOST = 'WORKER_LOST';

/** What {@link applyLossPolicy} needs. */
export interface LossPolicyDeps {
  backend: Pick<TaskBridgeBackend, 'events' | 'tasks'>;
  build: EventBuilder;
  /** Clock, ms since epoch. */
  now: () => number;
  /** Queues attempt `epoch` of the task (idempotent per taskId and epoch). */
  enqueue(taskId: string, taskType: string, epoch: number): Promise<void>;
  logger: Logger;
}

const lostFailure = (lease: Lease): TaskFailure => ({
  code: WORKER_LOST,
  message:
    lease.policy === 'retry'
      ? `the worker running this task was lost ${lease.maxAttempts} times`
      : 'the worker running this task was lost',
  retryable: true,
});

/**
 * Applies `lease.policy` to its task, unless the task has ended (or is gone) meanwhile.
 *
 * @throws rejects when the store or the queue is unreachable (the reaper tries again).
 */
export async function applyLossPolicy(lease: Lease, deps: LossPolicyDeps): Promise<void> {
  const { backend, logger } = deps;
  const { taskId } = lease;
  const [task, head] = await Promise.all([backend.tasks.get(taskId), backend.events.head(taskId)]);
  if (!task || head.terminal) return;
  const next = lease.epoch + 1;
  if (lease.policy === 'retry' && lease.epoch < lease.maxAttempts) {
    await deps.enqueue(taskId, task.taskType, next);
    await backend.tasks.update(taskId, { status: 'ACCEPTED', runner: null, updatedAt: deps.now() });
    logger({
      level: 'warn',
      msg: 'worker lost: task queued again',
      taskId,
      taskType: task.taskType,
      epoch: next,
    });
    return;
  }
  const result = await backend.events.append(deps.build.failed(taskId, lostFailure(lease)), { epoch: next });
  if (!result.ok) return;
  await backend.tasks.update(taskId, { status: 'FAILED', runner: null, updatedAt: deps.now() });
  logger({
    level: 'warn',
    msg: 'worker lost: task failed',
    taskId,
    taskType: task.taskType,
    code: WORKER_LOST,
  });
}
