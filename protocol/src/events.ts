/**
 * TaskBridge v1 task events (protocol/SPEC.md §3): the envelope, the payload of each event type, and the
 * terminal-event helpers. Shapes follow `schemas/taskbridge-v1/task_event.schema.json`.
 */

/** Every event type a TaskBridge v1 server may send (protocol/SPEC.md §3). */
export const TASK_EVENT_TYPES = [
  'TASK_STARTED',
  'TASK_PROGRESS',
  'TASK_MESSAGE',
  'TASK_SUSPENDED',
  'TASK_ACTION_ACCEPTED',
  'TASK_COMPLETED',
  'TASK_FAILED',
  'TASK_CANCELLED',
] as const;

/** A known event type. */
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** The three event types that end a task's stream (protocol/SPEC.md §3, hazard H1). */
export const TERMINAL_EVENT_TYPES = ['TASK_COMPLETED', 'TASK_FAILED', 'TASK_CANCELLED'] as const;

/** A terminal event type. */
export type TerminalEventType = (typeof TERMINAL_EVENT_TYPES)[number];

/** Kinds of suspension (protocol/SPEC.md §3, `TASK_SUSPENDED.kind`). */
export type SuspensionKind = 'USER_ACTION_REQUIRED' | 'EXTERNAL_CONFIRMATION_PENDING' | 'SYSTEM_PAUSED';

/** Level of a `TASK_MESSAGE`. */
export type MessageLevel = 'info' | 'warning' | 'debug';

/** A JSON object as carried in `input`, `metadata`, `uiHints` and similar fields. */
export type JsonObject = { [key: string]: unknown };

/** Payload of `TASK_STARTED`. */
export interface TaskStartedPayload {
  message?: string;
}

/** Payload of `TASK_PROGRESS`: `progress` is a percentage, 0–100. */
export interface TaskProgressPayload {
  progress: number;
  stage?: string;
  message?: string;
}

/** Payload of `TASK_MESSAGE`; also the carrier of streamed AI tokens. */
export interface TaskMessagePayload {
  message: string;
  level?: MessageLevel;
}

/** Payload of `TASK_SUSPENDED`: the task waits for an action whose type is in `allowedActions`. */
export interface TaskSuspendedPayload {
  suspendId: string;
  kind: SuspensionKind;
  reasonCode: string;
  /** At least one action type. */
  allowedActions: string[];
  /** Version of `interaction`'s shape; ≥ 1. */
  schemaVersion: number;
  /** ISO-8601 UTC; after it the server answers actions with `REJECTED_EXPIRED`. */
  expiresAt?: string | null;
  uiHints?: JsonObject;
  interaction?: JsonObject;
}

/** Payload of `TASK_ACTION_ACCEPTED`. */
export interface TaskActionAcceptedPayload {
  suspendId: string;
  clientActionId: string;
  actionType: string;
  /** ISO-8601 UTC. */
  acceptedAt: string;
  message?: string;
}

/** Payload of `TASK_COMPLETED`: `result` is any JSON value; more keys are allowed. */
export interface TaskCompletedPayload {
  result: unknown;
  [key: string]: unknown;
}

/** Payload of `TASK_FAILED`. */
export interface TaskFailedPayload {
  code: string;
  message: string;
  retryable: boolean;
}

/** Payload of `TASK_CANCELLED`. */
export interface TaskCancelledPayload {
  reason: string;
  message?: string;
}

/** Maps each event type to its payload. */
export interface TaskEventPayloads {
  TASK_STARTED: TaskStartedPayload;
  TASK_PROGRESS: TaskProgressPayload;
  TASK_MESSAGE: TaskMessagePayload;
  TASK_SUSPENDED: TaskSuspendedPayload;
  TASK_ACTION_ACCEPTED: TaskActionAcceptedPayload;
  TASK_COMPLETED: TaskCompletedPayload;
  TASK_FAILED: TaskFailedPayload;
  TASK_CANCELLED: TaskCancelledPayload;
}

/** The event envelope with the payload of event type `T` (protocol/SPEC.md §3). */
export interface TaskEventOf<T extends TaskEventType> {
  type: T;
  taskId: string;
  /** Opaque, strictly increasing within one task; compare with {@link compareEventIds}. */
  eventId: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  payload: TaskEventPayloads[T];
}

/** A TaskBridge v1 event: a discriminated union on `type`. */
export type TaskEvent = { [T in TaskEventType]: TaskEventOf<T> }[TaskEventType];

/** A terminal event (`TASK_COMPLETED`, `TASK_FAILED` or `TASK_CANCELLED`). */
export type TerminalTaskEvent = TaskEventOf<TerminalEventType>;

/**
 * An event whose `type` this version does not know. protocol/SPEC.md §3: passed through, neither dropped nor
 * fatal.
 */
export interface UnknownTaskEvent {
  type: string;
  taskId: string;
  eventId: string;
  createdAt: string;
  payload: JsonObject;
}

/** True when `type` is one of the eight v1 event types. */
export function isKnownEventType(type: string): type is TaskEventType {
  return (TASK_EVENT_TYPES as readonly string[]).includes(type);
}

/** True for `TASK_COMPLETED`, `TASK_FAILED` and `TASK_CANCELLED` (protocol/SPEC.md §3). */
export function isTerminalEventType(type: string): type is TerminalEventType {
  return type === 'TASK_COMPLETED' || type === 'TASK_FAILED' || type === 'TASK_CANCELLED';
}

/**
 * True when the event ends the task's stream. Works on unknown events too (they are never terminal).
 *
 * @see protocol/SPEC.md §3, protocol/SPEC.md §13 (H1)
 */
export function isTerminalEvent(event: { type: string }): event is TerminalTaskEvent {
  return isTerminalEventType(event.type);
}
