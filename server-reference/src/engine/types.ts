/**
 * Types shared by the engine and its task handlers (protocol/SPEC.md §13 (H6): the producer contract).
 */
import type { JsonObject, MessageLevel, SuspensionKind, TaskStatus } from '@taskbridge/protocol';

/** Who made a request (protocol/SPEC.md §9). Tasks are owned by `subject`. */
export interface AuthContext {
  /** The owner id; foreign tasks are answered as 404. */
  subject: string;
  /** Granted scopes (the reference server does not check any itself). */
  scopes: readonly string[];
  /** Host data, e.g. extra route params such as `projectId`. */
  attributes: Readonly<Record<string, unknown>>;
}

/** An uploaded file (protocol/SPEC.md §2 multipart parts `attachment` / `attachments`). */
export interface Attachment {
  /** Base name as sent by the client; never contains a path separator. */
  filename: string;
  /** The part's media type as sent. */
  contentType: string;
  /** Size in bytes. */
  size: number;
  /** The file's bytes. */
  data: Uint8Array;
}

/** A suspension request from a handler (protocol/SPEC.md §3 `TASK_SUSPENDED`). */
export interface SuspendOptions {
  /** Machine-readable reason shown to the client, e.g. `'approval_required'`. */
  reasonCode: string;
  /** At least one action type; answers with any other type get 409. */
  allowedActions: readonly string[];
  /** Default `USER_ACTION_REQUIRED`. */
  kind?: SuspensionKind;
  /**
   * After this many ms the suspension expires: actions get `REJECTED_EXPIRED`, `suspend()` rejects.
   * Sent as `expiresAt`. Default: never expires.
   */
  expiresInMs?: number;
  /** What to ask, for the client's UI (payload `interaction`). Default: none. */
  interaction?: JsonObject;
  /** Presentation hints (payload `uiHints`). Default: none. */
  uiHints?: JsonObject;
  /** Version of the interaction's shape, ≥ 1. Default 1. */
  schemaVersion?: number;
}

/** The accepted answer to a suspension. */
export interface ActionAnswer {
  suspendId: string;
  clientActionId: string;
  /** One of the suspension's `allowedActions`. */
  actionType: string;
  /** The action's `payload`; `{}` when none was sent. */
  payload: JsonObject;
  /** Who answered (the request's `AuthContext.subject`). */
  subject: string;
}

/**
 * What a generator handler may yield; each yield becomes one event (`TASK_PROGRESS` with `progress`
 * 0–100, or `TASK_MESSAGE`; protocol/SPEC.md §3).
 */
export type TaskYield =
  | { type: 'progress'; progress: number; stage?: string; message?: string }
  | { type: 'message'; message: string; level?: MessageLevel };

/**
 * What a handler receives. Emitting appends to the store and never waits on subscribers (hazard H3);
 * after the task became terminal (e.g. cancelled) emitting rejects with an `AbortError`.
 *
 * @see protocol/SPEC.md §13 (H6) (producer contract)
 */
export interface TaskContext {
  taskId: string;
  taskType: string;
  input: JsonObject;
  attachments: readonly Attachment[];
  auth: AuthContext;
  /** Aborted when the task is cancelled or the engine shuts down. */
  signal: AbortSignal;
  /** Appends `TASK_PROGRESS`; `progress` is a percentage, clamped to 0–100. */
  progress(progress: number, details?: { stage?: string; message?: string }): Promise<void>;
  /** Appends `TASK_MESSAGE` (a streamed token or a log line). */
  message(message: string, level?: MessageLevel): Promise<void>;
  /**
   * Appends `TASK_SUSPENDED` and waits for an accepted action.
   *
   * @throws {TaskBridgeError} code `SUSPENSION_EXPIRED` when it expires (uncaught, the task fails with
   *   that code); an `AbortError` when the task is cancelled.
   */
  suspend(options: SuspendOptions): Promise<ActionAnswer>;
  /** Resolves after `ms` milliseconds; rejects with an `AbortError` on cancel or shutdown. */
  sleep(ms: number): Promise<void>;
}

/**
 * A task handler, registered by `taskType`. Either an async function or an async generator whose
 * yields become events. Return → `TASK_COMPLETED {result}`; throw → `TASK_FAILED`; cancel →
 * `TASK_CANCELLED`. The engine writes `TASK_STARTED` and exactly one terminal event (hazard H6):
 * handlers never write terminal events themselves.
 */
export type TaskHandler = (
  context: TaskContext,
) => Promise<unknown> | AsyncGenerator<TaskYield, unknown, undefined> | unknown;

/** A task as the engine keeps it. */
export interface TaskRecord {
  taskId: string;
  taskType: string;
  /** The creator's `AuthContext.subject`. */
  owner: string;
  clientRequestId: string;
  input: JsonObject;
  metadata: JsonObject;
  attachments: readonly Attachment[];
  status: TaskStatus;
  /** ms since epoch. */
  createdAt: number;
  /** ms since epoch. */
  updatedAt: number;
}
