/**
 * Builds the events the engine writes (protocol/SPEC.md §3), before the store assigns their ids.
 * Payloads are frozen here so the memory store can keep them without a copy (they are ours alone).
 */
import type { ClientActionRequest } from '@taskbridge/protocol';
import type { NewTaskEvent } from './state/event-store';
import type { SuspendOptions, TaskYield } from './types';

/** A task failure as `TASK_FAILED` carries it. */
export interface TaskFailure {
  code: string;
  message: string;
  retryable: boolean;
}

/** Builders for every event the engine writes, sharing one clock. */
export interface EventBuilder {
  /** ISO-8601 `createdAt` for now; cached per millisecond (a fast task emits many per ms). */
  iso(): string;
  started(taskId: string): NewTaskEvent;
  /** `TASK_PROGRESS` (progress clamped to 0–100) or `TASK_MESSAGE` from a handler's yield. */
  fromYield(taskId: string, item: TaskYield): NewTaskEvent;
  /**
   * `TASK_SUSPENDED`.
   *
   * @param expiresAt - ms since epoch, or `null`.
   * @throws {RangeError} when `expiresAt` is not a representable date.
   */
  suspended(
    taskId: string,
    suspendId: string,
    options: SuspendOptions,
    expiresAt: number | null,
  ): NewTaskEvent;
  actionAccepted(taskId: string, request: ClientActionRequest): NewTaskEvent;
  completed(taskId: string, result: unknown): NewTaskEvent;
  failed(taskId: string, failure: TaskFailure): NewTaskEvent;
  cancelled(taskId: string, reason: string): NewTaskEvent;
}

/** Creates an {@link EventBuilder} on the clock `now` (ms since epoch). */
export function createEventBuilder(now: () => number): EventBuilder {
  let isoMs = Number.NaN;
  let isoText = '';
  const iso = (): string => {
    const ms = now();
    if (ms !== isoMs) {
      isoMs = ms;
      isoText = new Date(ms).toISOString();
    }
    return isoText;
  };
  return {
    iso,
    started: (taskId) => ({ type: 'TASK_STARTED', taskId, createdAt: iso(), payload: {} }),
    fromYield(taskId, item) {
      const createdAt = iso();
      if (item.type === 'progress') {
        return {
          type: 'TASK_PROGRESS',
          taskId,
          createdAt,
          payload: Object.freeze({
            progress: Math.min(100, Math.max(0, item.progress)),
            ...(item.stage === undefined ? {} : { stage: item.stage }),
            ...(item.message === undefined ? {} : { message: item.message }),
          }),
        };
      }
      return {
        type: 'TASK_MESSAGE',
        taskId,
        createdAt,
        payload: Object.freeze(
          item.level === undefined ? { message: item.message } : { message: item.message, level: item.level },
        ),
      };
    },
    suspended: (taskId, suspendId, options, expiresAt) => ({
      type: 'TASK_SUSPENDED',
      taskId,
      createdAt: iso(),
      payload: {
        suspendId,
        kind: options.kind ?? 'USER_ACTION_REQUIRED',
        reasonCode: options.reasonCode,
        allowedActions: [...options.allowedActions],
        schemaVersion: options.schemaVersion ?? 1,
        ...(expiresAt === null ? {} : { expiresAt: new Date(expiresAt).toISOString() }),
        ...(options.interaction === undefined ? {} : { interaction: options.interaction }),
        ...(options.uiHints === undefined ? {} : { uiHints: options.uiHints }),
      },
    }),
    actionAccepted: (taskId, request) => ({
      type: 'TASK_ACTION_ACCEPTED',
      taskId,
      createdAt: iso(),
      payload: {
        suspendId: request.suspendId,
        clientActionId: request.clientActionId,
        actionType: request.actionType,
        acceptedAt: iso(),
      },
    }),
    completed: (taskId, result) => ({
      type: 'TASK_COMPLETED',
      taskId,
      createdAt: iso(),
      payload: { result },
    }),
    failed: (taskId, failure) => ({ type: 'TASK_FAILED', taskId, createdAt: iso(), payload: failure }),
    cancelled: (taskId, reason) => ({
      type: 'TASK_CANCELLED',
      taskId,
      createdAt: iso(),
      payload: { reason, message: 'Task cancelled by the client' },
    }),
  };
}
