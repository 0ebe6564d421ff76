/**
 * The task registry seam: who owns a task, what it runs, and the runner's bookkeeping. Wire-visible
 * status is derived from the event log (see `TaskEngine.getStatus`); the registry's `status` is the
 * runner's own record (what it last did), used for housekeeping.
 */
import type { AuthContext, TaskRecord } from '../types';

/** A task as a backend keeps it: the public {@link TaskRecord} plus what only the engine needs. */
export interface StoredTask extends TaskRecord {
  /** Idempotency fingerprint of the create request (taskType, input, attachments; protocol/SPEC.md §2). */
  fingerprint: string;
  /**
   * The creator's auth context, handed to the handler as `context.auth`. A backend shared between
   * processes stores it as JSON: keep `attributes` JSON-serialisable.
   */
  auth: AuthContext;
  /** Id of the runner (process or worker) executing the handler; `null` while none holds it. */
  runner: string | null;
  /** Until when the runner's lease holds, ms since epoch; `null` = no lease. */
  leaseUntil: number | null;
  /**
   * The current execution attempt (fencing token for {@link AppendOptions.epoch}); 0 before the first
   * run. A runtime that re-runs a task raises it.
   */
  epoch: number;
}

/** The fields of a {@link StoredTask} that change after creation. */
export type TaskPatch = Partial<Pick<StoredTask, 'status' | 'updatedAt' | 'runner' | 'leaseUntil' | 'epoch'>>;

/**
 * Tasks by id. Records are evicted by the backend's retention (a finished task after its TTL), so a
 * `get` may return `null` for a task that once existed; callers answer 404 `TASK_NOT_FOUND`.
 */
export interface TaskRegistry {
  /**
   * Stores a new task.
   *
   * @throws rejects with a `TaskBridgeError` `INTERNAL_ERROR` when `task.taskId` is already taken.
   */
  create(task: StoredTask): Promise<void>;
  /** The task, or `null` when unknown or evicted. Callers must not mutate it. */
  get(taskId: string): Promise<StoredTask | null>;
  /** Applies `patch`; an unknown task is ignored. */
  update(taskId: string, patch: TaskPatch): Promise<void>;
  /** Removes the task (a lost idempotency race, eviction). Unknown ids are ignored. */
  delete(taskId: string): Promise<void>;
}
