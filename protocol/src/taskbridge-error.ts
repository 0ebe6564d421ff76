/**
 * The one error class of TaskBridge JS. Server and client both throw it (or a subclass), so every
 * failure carries a stable `code`, whether it may be retried, and the HTTP status when there was one.
 */
import { ERROR_STATUS, type ErrorCode, type ErrorEnvelope } from './errors';

/**
 * Codes raised on the client side, where no server envelope exists:
 * - `NETWORK_ERROR`: the request or socket failed before a response (retryable).
 * - `TIMEOUT`: an open, first-frame or liveness deadline passed (retryable; a transport that keeps
 *   timing out is skipped).
 * - `UNEXPECTED_RESPONSE`: a 2xx with the wrong content type or an unreadable body, e.g. a proxy's
 *   HTML page (retryable on another transport; protocol/SPEC.md §13 (H5)).
 * - `CONNECTION_CLOSED`: a stream ended before the terminal event (retryable).
 * - `TRANSPORT_UNAVAILABLE`: the environment or the server does not offer the transport.
 * - `ABORTED`: the caller aborted.
 * - `PROTOCOL_ERROR`: a frame broke the contract in a way that cannot be passed through.
 * - `CHECKPOINT_ERROR`: the checkpoint store failed (the client falls back to memory).
 * - `SERVER_ERROR`: a 5xx without a recognisable envelope (retryable).
 * - `USAGE_ERROR`: the caller misused the API (e.g. an action with no open suspension); nothing was
 *   sent, so there is no HTTP status. Never retryable.
 * - `HISTORY_TRIMMED`: the events after the client's cursor are gone from the server's retention and
 *   the app asked to fail rather than continue from the retained tail (protocol/SPEC.md §11).
 */
export type ClientErrorCode =
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'UNEXPECTED_RESPONSE'
  | 'CONNECTION_CLOSED'
  | 'TRANSPORT_UNAVAILABLE'
  | 'ABORTED'
  | 'PROTOCOL_ERROR'
  | 'CHECKPOINT_ERROR'
  | 'SERVER_ERROR'
  | 'USAGE_ERROR'
  | 'HISTORY_TRIMMED';

/**
 * Codes carried by `TASK_FAILED` payloads written by the reference server's engine:
 * - `TASK_EXECUTION_FAILED`: the handler threw something without a code of its own.
 * - `SUSPENSION_EXPIRED`: nobody answered a suspension before its `expiresAt`.
 * - `ACTION_REJECTED`: the answer to a suspension rejected the task (demo `approval`).
 * - `INVALID_HANDLER_OUTPUT`: the handler returned, emitted or passed to `suspend()` something that is
 *   not JSON or not a valid event field (a function, a `BigInt`, a cycle, `NaN`, bad suspend options).
 * - `TASK_LIMIT_EXCEEDED`: the task passed one of the engine's limits (events per task, bytes per
 *   event, bytes per task).
 * - `TASK_DEADLINE_EXCEEDED`: the task was not finished by its deadline (the engine's
 *   `taskDeadlineMs`).
 * - `WORKER_LOST`: the worker process running the task stopped renewing its lease (it died, froze
 *   or lost Redis) and the task type's policy is not to run it again (retryable: a new task may
 *   succeed).
 * - `TASK_SUBMISSION_ERROR`: the server could not hand the task to its runtime (e.g. the queue was
 *   unreachable); the create was answered 503 with the same code.
 */
export type TaskFailureCode =
  | 'TASK_EXECUTION_FAILED'
  | 'SUSPENSION_EXPIRED'
  | 'ACTION_REJECTED'
  | 'INVALID_HANDLER_OUTPUT'
  | 'TASK_LIMIT_EXCEEDED'
  | 'TASK_DEADLINE_EXCEEDED'
  | 'WORKER_LOST'
  | 'TASK_SUBMISSION_ERROR'
  | A2AFailureCode;

/**
 * Codes of `TASK_FAILED` payloads written for a task type backed by a remote A2A agent (the A2A
 * bridge's consume side, `@taskbridge/server-reference/a2a`):
 * - `A2A_TASK_FAILED`: the remote task ended FAILED (`retryable` as the remote said).
 * - `A2A_TASK_REJECTED`: the remote agent refused the task (REJECTED).
 * - `A2A_TASK_CANCELED`: the remote task was cancelled by someone else.
 * - `A2A_AUTH_FAILED`: the agent refused the credentials (HTTP 401/403).
 * - `A2A_AGENT_UNREACHABLE`: the agent stayed unreachable through every reconnect (retryable).
 * - `A2A_AGENT_ERROR`: the agent refused the request or broke the protocol (e.g. task not found).
 */
export type A2AFailureCode =
  | 'A2A_TASK_FAILED'
  | 'A2A_TASK_REJECTED'
  | 'A2A_TASK_CANCELED'
  | 'A2A_AUTH_FAILED'
  | 'A2A_AGENT_UNREACHABLE'
  | 'A2A_AGENT_ERROR';

/** Every stable error code: the server's (protocol/SPEC.md §8), the client's and task failures'. */
export type TaskBridgeErrorCode = ErrorCode | ClientErrorCode | TaskFailureCode;

/** Options of {@link TaskBridgeError}. */
export interface TaskBridgeErrorOptions {
  /** The stable code; clients branch on it, never on `message`. */
  code: TaskBridgeErrorCode;
  /** Human-readable; no stack traces or secrets (it may reach the wire in an envelope). */
  message: string;
  /**
   * Default: true for `NETWORK_ERROR`, `TIMEOUT`, `UNEXPECTED_RESPONSE`, `CONNECTION_CLOSED`,
   * `RATE_LIMITED`, `SERVER_ERROR`, `INTERNAL_ERROR`, `TASK_SUBMISSION_ERROR` and any code whose status
   * is ≥ 500; false otherwise (protocol/SPEC.md §8).
   */
  retryable?: boolean;
  /** HTTP status, when the error came from a response. Default: the code's status for server codes. */
  status?: number;
  /** Wait before retrying, ms (from `Retry-After`). Default: none. */
  retryAfterMs?: number;
  /** Extra data; for server errors, the envelope's `details`. Default `{}`. */
  details?: Record<string, unknown>;
  /** The underlying failure, kept as the standard `Error.cause`. Default: none. */
  cause?: unknown;
}

const RETRYABLE_CODES: ReadonlySet<TaskBridgeErrorCode> = new Set<TaskBridgeErrorCode>([
  'NETWORK_ERROR',
  'TIMEOUT',
  'UNEXPECTED_RESPONSE',
  'CONNECTION_CLOSED',
  'RATE_LIMITED',
  'SERVER_ERROR',
  'INTERNAL_ERROR',
  'TASK_SUBMISSION_ERROR',
]);

/**
 * A TaskBridge failure with a stable `code` (protocol/SPEC.md §8 codes plus {@link ClientErrorCode}).
 * Errors are data: they travel in snapshots and connection states, and are thrown only at API edges.
 */
export class TaskBridgeError extends Error {
  override name = 'TaskBridgeError';
  /** The stable code (see {@link TaskBridgeErrorCode}). */
  readonly code: TaskBridgeErrorCode;
  /** True when the same request may succeed later (protocol/SPEC.md §8 classification). */
  readonly retryable: boolean;
  /** HTTP status, when there was a response or the code has one (protocol/SPEC.md §8 table). */
  readonly status: number | undefined;
  /** Wait before retrying, ms (from `Retry-After`), when the server said so. */
  readonly retryAfterMs: number | undefined;
  /** Extra data (the envelope's `details`, close codes, schema issues…); `{}` when none. */
  readonly details: Record<string, unknown>;

  constructor(options: TaskBridgeErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.status = options.status ?? (ERROR_STATUS as Record<string, number | undefined>)[options.code];
    this.retryable =
      options.retryable ??
      (RETRYABLE_CODES.has(options.code) || (this.status !== undefined && this.status >= 500));
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }

  /**
   * The protocol/SPEC.md §8 envelope for this error, as the server sends it.
   *
   * @param now - the envelope's `timestamp` (ISO-8601 UTC). Default: the current time.
   */
  toEnvelope(now: Date = new Date()): ErrorEnvelope {
    return { code: this.code, message: this.message, details: this.details, timestamp: now.toISOString() };
  }

  /**
   * Normalises anything thrown into a TaskBridgeError: returns `error` itself when it already is one,
   * maps `AbortError` to `ABORTED` and any `TypeError` (what a failed `fetch` throws, but also a
   * programming error) to `NETWORK_ERROR` (retryable), and wraps the rest as `INTERNAL_ERROR` (not
   * retryable) with the original as `cause`. Never throws.
   */
  static from(error: unknown): TaskBridgeError {
    if (error instanceof TaskBridgeError) return error;
    if (error instanceof Error && error.name === 'AbortError') {
      return new TaskBridgeError({ code: 'ABORTED', message: 'aborted', retryable: false, cause: error });
    }
    if (error instanceof TypeError) {
      return new TaskBridgeError({ code: 'NETWORK_ERROR', message: error.message, cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new TaskBridgeError({ code: 'INTERNAL_ERROR', message, retryable: false, cause: error });
  }
}
