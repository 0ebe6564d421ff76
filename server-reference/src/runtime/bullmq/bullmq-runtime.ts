/**
 * The API side of the BullMQ runtime ("queue mode"): a created task becomes a BullMQ job that a
 * worker process (`createTaskWorker`, the `taskbridge-worker` bin) picks up; no handler runs here.
 * Cancels and answers go out on the backend's control channel to whichever worker runs the task.
 */
import { controlRelay } from '../control-relay';
import type { TaskRuntimeFactory } from '../runtime';
import { openTaskQueue, type TaskQueueOptions } from './task-queue';

/** Options of {@link createBullmqRuntime}: where the queue is (see {@link TaskQueueOptions}). */
export type BullmqRuntimeOptions = TaskQueueOptions;

/**
 * The runtime factory for `createTaskEngine({ runtime })` / `createReferenceServer({ runtime })`. The
 * engine's backend must be the Redis backend on the same Redis as the workers'. This process also
 * reaps expired leases (`reapIntervalMs`), so a task whose worker died is failed or queued again even
 * when no other worker is alive to notice.
 *
 * @example
 * createReferenceServer({ auth, redis: url, runtime: createBullmqRuntime({ redis: url }) });
 */
export function createBullmqRuntime(options: BullmqRuntimeOptions): TaskRuntimeFactory {
  return (context) => {
    const tasks = openTaskQueue(options, context);
    return {
      submit: (task) => tasks.enqueue(task.taskId, task.taskType, 1),
      ...controlRelay(context.backend),
      shutdown: () => tasks.close(),
    };
  };
}
