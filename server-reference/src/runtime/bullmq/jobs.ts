/**
 * How tasks travel through BullMQ: one job per run attempt, named after the task type, carrying only
 * ids (the task itself is in the shared registry). The job id is derived from the taskId and the
 * epoch, so submitting a task twice, or two reapers re-queueing the same lost run, adds one job.
 */

/** Default queue name: `taskbridge`. API processes and workers must use the same one. */
export const DEFAULT_QUEUE_NAME = 'taskbridge';

/** The data of a task's job. */
export interface TaskJobData {
  taskId: string;
  /** The epoch (attempt number, ≥ 1) this job runs the task with. */
  epoch: number;
}

/**
 * The job id of attempt `epoch` of `taskId`. BullMQ refuses ids that are integers or contain `:`;
 * this one is neither, whatever the taskId (`:` is percent-encoded).
 */
export function jobIdOf(taskId: string, epoch: number): string {
  return `task_${encodeURIComponent(taskId)}_${epoch}`;
}

/**
 * Options of every task job. BullMQ retries a job only when its run could not begin (Redis
 * unreachable at pick-up: 5 attempts, 1 s, 2 s, 4 s … apart); a run that began and was lost is the
 * lease reaper's to retry or fail, per task type. Finished jobs are kept 1 hour / 10,000 at most
 * (the job id keeps `submit` idempotent meanwhile; the task's state is in the registry and log).
 */
export const TASK_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 3600, count: 10_000 },
} as const;

/** The lease store's key under the backend's key prefix (`tb:leases` by default). */
export function leaseKeyOf(keyPrefix: string): string {
  return `${keyPrefix}leases`;
}
