/**
 * The runtime seam: what runs the handlers of the tasks the engine creates (TaskBridge's "execution
 * adapter"). The in-process runtime (the default) runs them in the engine's own process; the BullMQ
 * runtime hands them to worker processes (`@taskbridge/server-reference/worker`), which run the same
 * `executeTask` against the shared backend. A Temporal adapter would be one more file implementing
 * {@link TaskRuntime}: `submit` starts workflow `taskbridge:{taskId}` ("already started" = success),
 * `cancel` and `deliverAction` signal it.
 */
import type { EventBuilder } from '../engine/event-builder';
import type { EngineLimits } from '../engine/limits';
import type { TaskBridgeBackend } from '../engine/state/backend';
import type { StoredTask } from '../engine/state/task-registry';
import type { TaskHandler } from '../engine/types';
import type { Logger } from '../logger';

/**
 * Runs created tasks. The engine stores every fact first (the task, `TASK_CANCELLED`, the decided
 * answer and its `TASK_ACTION_ACCEPTED`) and then tells the runtime, so a runtime that loses a
 * message loses nothing: whoever runs the handler finds the facts in the stores.
 */
export interface TaskRuntime {
  /**
   * Starts running `task` (already in the registry); idempotent per `taskId`. Resolves once the task
   * is handed over (before the handler starts). Handler faults never reject it: they become
   * `TASK_FAILED`.
   *
   * @throws rejects only when the task could not be handed over (e.g. the queue is unreachable).
   */
  submit(task: StoredTask): Promise<void>;
  /**
   * The task was cancelled (its `TASK_CANCELLED` is stored): abort its handler's `signal`, wherever it
   * runs. Best effort, never rejects: a runner that misses it is refused its next append.
   */
  cancel(taskId: string, reason: string): Promise<void>;
  /**
   * An answer to `suspendId` was accepted (it is durable in the suspension store): wake the suspended
   * handler, wherever it runs. Best effort, never rejects: a runner that picks the task up later
   * finds the answer in the store.
   */
  deliverAction(taskId: string, suspendId: string): Promise<void>;
  /**
   * Stops the handlers this runtime runs locally: their signals abort, pending `suspend()`s reject
   * with an `AbortError`, and no terminal event is written (the tasks can be resumed or failed by
   * whoever takes over). Closes what the runtime opened. Idempotent.
   */
  shutdown(): Promise<void>;
}

/** What the engine hands a runtime factory: its backend, handlers, clock and limits. */
export interface RuntimeContext {
  backend: TaskBridgeBackend;
  /** The handler of a `taskType`, or `undefined`. */
  handlerFor(taskType: string): TaskHandler | undefined;
  build: EventBuilder;
  /** Clock, ms since epoch. */
  now: () => number;
  /** Id generator (`suspendId`s, runner ids). */
  generateId: () => string;
  /** The engine's resolved limits (event bounds and the task deadline each run enforces). */
  limits: EngineLimits;
  /** Where handler faults are logged. */
  logger: Logger;
  /** Call once when a local run is over (the engine's per-subject in-flight count). */
  onRunEnd(task: StoredTask): void;
}

/** Makes the engine's runtime; `createTaskEngine({ runtime })` calls it once. */
export type TaskRuntimeFactory = (context: RuntimeContext) => TaskRuntime;
