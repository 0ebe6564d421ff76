/**
 * The runtime seam: what runs the handlers of the tasks the engine creates. The in-process runtime
 * (the default) runs them in the engine's own process; a queue-backed runtime runs them on worker
 * machines, with the same `executeTask` against a shared backend.
 */
import type { StoredTask } from '../engine/state/task-registry';

/**
 * Runs created tasks. Cancel and answers do not go through the runtime: the engine stores them and
 * announces them on the backend's control channel, which reaches whichever process runs the handler.
 */
export interface TaskRuntime {
  /**
   * Starts running `task` (already in the registry); idempotent per `taskId`. Returns before the
   * handler starts. Handler faults never reject it: they become `TASK_FAILED`.
   *
   * @throws rejects only when the task could not be handed over (e.g. a queue is unreachable).
   */
  submit(task: StoredTask): Promise<void>;
  /**
   * Stops the handlers this runtime runs locally: their signals abort, pending `suspend()`s reject
   * with an `AbortError`, and no terminal event is written (the tasks can be resumed or failed by
   * whoever takes over). Idempotent.
   */
  shutdown(): Promise<void>;
}
