// @taskbridge/server-reference/worker: task handlers on worker machines (BullMQ). Explicit exports.

export type { TaskWorker, TaskWorkerOptions } from './task-worker';
export { createTaskWorker } from './task-worker';
export type { BullmqRuntimeOptions } from '../runtime/bullmq/bullmq-runtime';
export { createBullmqRuntime } from '../runtime/bullmq/bullmq-runtime';
export type { TaskQueueOptions } from '../runtime/bullmq/task-queue';
export type { TaskJobData } from '../runtime/bullmq/jobs';
export { DEFAULT_QUEUE_NAME, jobIdOf } from '../runtime/bullmq/jobs';
export type { Lease, LeaseStore, WorkerLossPolicy } from '../runtime/leases/lease';
export { WORKER_LOST } from '../runtime/leases/worker-loss';
