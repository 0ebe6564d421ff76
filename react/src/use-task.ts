/**
 * `useTask`: follow a task (or start one) and render its folded snapshot and connection state.
 */
import {
  type ConnectionState,
  type SubmitActionOptions,
  type TaskBridgeClient,
  TaskBridgeError,
  type TaskSnapshot,
  type TaskStream,
  type TaskStreamState,
} from '@taskbridge/client';
import type { CancelTaskResponse, ClientActionResponse, JsonObject } from '@taskbridge/protocol';
import { useCallback } from 'react';
import { useTaskBridgeClient } from './provider';
import { useStreamState } from './use-stream-state';
import { type TaskStartRequest, useTaskStart } from './use-task-start';

interface CommonTaskOptions {
  /**
   * Throw {@link UseTaskResult.failure} during render, to the nearest error boundary, instead of
   * returning it; a function decides per error. A task that ran and failed (`status: 'failed'`) is an
   * outcome, not a failure of the hook, and is never thrown. Default `false` (errors are data).
   */
  throwOnError?: boolean | ((error: TaskBridgeError) => boolean);
}

/** Follow an existing task. `null`/`undefined`: follow nothing (the result stays idle). */
export interface AttachTaskOptions extends CommonTaskOptions {
  /** The task to follow (e.g. one of `client.activeTasks()` after a reload); resumes from its checkpoint. */
  taskId: string | null | undefined;
}

/**
 * Start a task once and follow it. The start is idempotent: every component, StrictMode re-run and
 * page reload that asks with the same `resumeKey` and request gets the same task until `restart()`.
 */
export interface StartTaskOptions extends CommonTaskOptions, TaskStartRequest {
  /** `false` holds the start back (e.g. until a form is submitted). Default `true`. */
  enabled?: boolean;
}

/** Options of {@link useTask}: either `taskId` or `taskType`. */
export type UseTaskOptions = AttachTaskOptions | StartTaskOptions;

/**
 * What {@link useTask} returns: the folded snapshot's fields (`status`, `progress`, `stage`, `text`,
 * `messages`, `suspension`, `result`, `error`, …; protocol/SPEC.md §3), the connection, and the commands.
 */
export interface UseTaskResult extends Omit<TaskSnapshot, 'taskId'> {
  /** The task followed; `null` before a start has answered or when there is none. */
  taskId: string | null;
  /** Transport, status and attempt of the shared connection (protocol/SPEC.md §10). */
  connection: ConnectionState;
  /**
   * Why the hook cannot start or follow the task: the start request failed, or the stream failed for
   * good (e.g. `TASK_NOT_FOUND`, `AUTHENTICATION_ERROR`). `null` otherwise; see `error` for a task
   * that failed.
   */
  failure: TaskBridgeError | null;
  /**
   * Requests cancellation (protocol/SPEC.md §7); the task then ends `cancelled` through the stream. Retried per
   * the client's `requestRetry`.
   * @throws {TaskBridgeError} `USAGE_ERROR` before there is a task; errors of `TaskStream.cancel`
   *   (`TASK_NOT_FOUND`, `AUTHENTICATION_ERROR`, or the last retryable error once retries are spent).
   */
  cancel(reason?: string): Promise<CancelTaskResponse>;
  /**
   * Answers the open suspension (protocol/SPEC.md §7), e.g. `submitAction('approve')`. Resolves with the
   * server's status (`ACCEPTED`, `DEDUPLICATED`, `REJECTED_ALREADY_RESOLVED`, `REJECTED_EXPIRED`).
   * @throws {TaskBridgeError} `USAGE_ERROR` before there is a task or without an open suspension;
   *   `IDEMPOTENCY_CONFLICT`, `TASK_NOT_FOUND` from the server; the last retryable error after retries.
   */
  submitAction(
    actionType: string,
    payload?: JsonObject,
    options?: SubmitActionOptions,
  ): Promise<ClientActionResponse>;
  /**
   * Starts a new task with the same request (forgetting the resume key's record); the old task is not
   * cancelled. The new start's own failure shows in `failure`, not here.
   * @throws {TaskBridgeError} `USAGE_ERROR` in the `taskId` form or while `enabled` is `false`;
   *   `CHECKPOINT_ERROR` from a custom checkpoint store.
   */
  restart(): Promise<void>;
}

const whole = (state: TaskStreamState) => state;

function onTask<T>(client: TaskBridgeClient, taskId: string | null, run: (stream: TaskStream) => Promise<T>) {
  if (taskId !== null) return run(client.task(taskId));
  return Promise.reject(
    new TaskBridgeError({ code: 'USAGE_ERROR', message: 'no task yet', retryable: false }),
  );
}

/**
 * Follows one task through the client's shared stream (`useSyncExternalStore`; one connection per task
 * however many components follow it), or starts it first. Safe to render on the server: it renders the
 * idle state there and starts nothing until mounted.
 *
 * @example
 * const task = useTask({ taskType: 'summarize', input: { text }, resumeKey: `summary:${docId}` });
 * if (task.suspension) return <button onClick={() => task.submitAction('approve')}>Approve</button>;
 * return <p>{task.text}{task.status === 'running' && '…'}</p>;
 *
 * @throws {TaskBridgeError} `USAGE_ERROR` without a `TaskBridgeProvider`; the `failure` when
 *   `throwOnError` asks for it.
 * @see protocol/SPEC.md §2 (idempotent start), §3 (snapshot), §10 (connection, resume)
 */
export function useTask(options: UseTaskOptions): UseTaskResult {
  const client = useTaskBridgeClient();
  const starting = 'taskType' in options;
  const start = useTaskStart(client, starting && options.enabled !== false ? options : null);
  const taskId = starting ? start.taskId : (options.taskId ?? null);
  const { snapshot, connection, failure: streamFailure } = useStreamState(client, taskId, whole);
  const failure = start.failure ?? streamFailure;
  const { throwOnError = false } = options;
  if (failure !== null && (typeof throwOnError === 'function' ? throwOnError(failure) : throwOnError)) {
    throw failure;
  }
  const cancel = useCallback(
    (reason?: string) => onTask(client, taskId, (stream) => stream.cancel(reason)),
    [client, taskId],
  );
  const submitAction = useCallback(
    (actionType: string, payload?: JsonObject, actionOptions?: SubmitActionOptions) =>
      onTask(client, taskId, (stream) => stream.submitAction(actionType, payload, actionOptions)),
    [client, taskId],
  );
  return { ...snapshot, taskId, connection, failure, cancel, submitAction, restart: start.restart };
}
