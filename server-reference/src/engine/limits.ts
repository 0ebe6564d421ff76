/**
 * The engine's resource limits: every task, event and stream has a bound with a documented default,
 * applied by the facade and the runner so every backend gets them. A request over a limit gets the
 * error envelope (protocol/SPEC.md §8: 429 `RATE_LIMITED`, 413 `PAYLOAD_TOO_LARGE`); a running task
 * over a limit ends with one `TASK_FAILED` (`TASK_LIMIT_EXCEEDED`, `TASK_DEADLINE_EXCEEDED`).
 *
 * @see protocol/SPEC.md §15 (limits and handler faults)
 */
import { TaskBridgeError } from '@taskbridge/protocol';

/** Default {@link EngineLimits.maxEventsPerTask}: 1,000,000 events written per task. */
export const DEFAULT_MAX_EVENTS_WRITTEN_PER_TASK = 1_000_000;
/** Default {@link EngineLimits.maxEventPayloadBytes}: 1 MiB (1,048,576 bytes) per event payload. */
export const DEFAULT_MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024;
/** Default {@link EngineLimits.maxTaskBytes}: 64 MiB (67,108,864 bytes) of event payloads per task. */
export const DEFAULT_MAX_TASK_BYTES = 64 * 1024 * 1024;
/** Default {@link EngineLimits.maxInFlightTasksPerSubject}: 100 unfinished tasks per subject. */
export const DEFAULT_MAX_IN_FLIGHT_TASKS_PER_SUBJECT = 100;
/** Default {@link EngineLimits.maxStreamsPerSubject}: 100 concurrent WebSocket/SSE streams per subject. */
export const DEFAULT_MAX_STREAMS_PER_SUBJECT = 100;
/** Default {@link EngineLimits.maxStreams}: 10,000 concurrent WebSocket/SSE streams per engine. */
export const DEFAULT_MAX_STREAMS = 10_000;
/** Default {@link EngineLimits.taskDeadlineMs}: 1 hour (3,600,000 ms) from create to terminal event. */
export const DEFAULT_TASK_DEADLINE_MS = 60 * 60 * 1000;

/**
 * The engine's limits. Each one is a positive integer or `null` (unbounded; for benchmarks and hosts
 * that bound the resource elsewhere).
 */
export interface EngineLimits {
  /**
   * Events a task may write over its life (`TASK_STARTED`, progress, messages, suspensions; the
   * terminal event is always written). The write that would pass it fails the task with
   * `TASK_LIMIT_EXCEEDED`. Not retention: `maxEventsPerTask` of the backend trims old events instead.
   * Default {@link DEFAULT_MAX_EVENTS_WRITTEN_PER_TASK} (1,000,000).
   */
  maxEventsPerTask: number | null;
  /**
   * Bytes of one event's payload (its JSON text, UTF-8; protocol/SPEC.md §3). A handler's event over
   * it fails the task with `TASK_LIMIT_EXCEEDED`; a result over it fails the task instead of
   * completing it. Default {@link DEFAULT_MAX_EVENT_PAYLOAD_BYTES} (1 MiB).
   */
  maxEventPayloadBytes: number | null;
  /**
   * Bytes of event payloads a task may write over its life (JSON text, UTF-8). Past it the task fails
   * with `TASK_LIMIT_EXCEEDED`. Default {@link DEFAULT_MAX_TASK_BYTES} (64 MiB).
   */
  maxTaskBytes: number | null;
  /**
   * Unfinished tasks (no terminal event yet) one subject may have; one more create is refused with
   * 429 `RATE_LIMITED` (protocol/SPEC.md §8). Counted per engine (per API process). Default
   * {@link DEFAULT_MAX_IN_FLIGHT_TASKS_PER_SUBJECT} (100).
   */
  maxInFlightTasksPerSubject: number | null;
  /**
   * Concurrent live subscriptions (WebSocket and SSE streams, protocol/SPEC.md §5, §6) of one subject
   * on this engine; one more is refused with 429 `RATE_LIMITED` (SSE: the envelope; WebSocket: close
   * 1013). Default {@link DEFAULT_MAX_STREAMS_PER_SUBJECT} (100).
   */
  maxStreamsPerSubject: number | null;
  /**
   * Concurrent live subscriptions on this engine, all subjects together; one more is refused with 429
   * `RATE_LIMITED`. Default {@link DEFAULT_MAX_STREAMS} (10,000).
   */
  maxStreams: number | null;
  /**
   * ms from a task's creation to its terminal event. A task still running (or suspended) then gets
   * `TASK_FAILED` `TASK_DEADLINE_EXCEEDED`, its handler's `signal` aborts and it becomes eligible for
   * retention's eviction: a handler that hangs cannot hold a task forever. Default
   * {@link DEFAULT_TASK_DEADLINE_MS} (1 hour).
   */
  taskDeadlineMs: number | null;
}

/** Options for {@link EngineLimits}: every field optional, defaults as documented there. */
export type EngineLimitOptions = Partial<EngineLimits>;

const DEFAULTS: EngineLimits = {
  maxEventsPerTask: DEFAULT_MAX_EVENTS_WRITTEN_PER_TASK,
  maxEventPayloadBytes: DEFAULT_MAX_EVENT_PAYLOAD_BYTES,
  maxTaskBytes: DEFAULT_MAX_TASK_BYTES,
  maxInFlightTasksPerSubject: DEFAULT_MAX_IN_FLIGHT_TASKS_PER_SUBJECT,
  maxStreamsPerSubject: DEFAULT_MAX_STREAMS_PER_SUBJECT,
  maxStreams: DEFAULT_MAX_STREAMS,
  taskDeadlineMs: DEFAULT_TASK_DEADLINE_MS,
};

/**
 * Applies the defaults and checks the values.
 *
 * @throws {RangeError} for a value that is neither `null` nor a positive safe integer.
 */
export function resolveEngineLimits(options: EngineLimitOptions = {}): EngineLimits {
  const resolved = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof EngineLimits)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (value !== null && !(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`${key} must be a positive integer or null, got ${String(value)}`);
    }
    resolved[key] = value;
  }
  return resolved;
}

/** The error of a running task that passed a limit: its `TASK_FAILED` carries this code and message. */
export function taskLimitExceeded(
  limit: keyof EngineLimits,
  value: number,
  message: string,
): TaskBridgeError {
  return new TaskBridgeError({
    code: 'TASK_LIMIT_EXCEEDED',
    message,
    retryable: false,
    details: { limit, value },
  });
}

/** The 429 of a request over a count limit (protocol/SPEC.md §8). */
export function rateLimited(limit: keyof EngineLimits, value: number, message: string): TaskBridgeError {
  return new TaskBridgeError({
    code: 'RATE_LIMITED',
    message,
    retryable: true,
    retryAfterMs: 1000,
    details: { limit, value },
  });
}
