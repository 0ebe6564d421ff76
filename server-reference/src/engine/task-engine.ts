/**
 * The transport-free TaskBridge engine facade: the entry points the wire layer, the MSW kit and the
 * A2A bridge call (protocol/SPEC.md §2–§7). State lives in a backend (`engine/state/`), handlers run
 * in a runtime (`runtime/`); this file checks ownership and input and puts the pieces together.
 */
import {
  type CancelTaskResponse,
  type ClientActionRequest,
  type ClientActionResponse,
  type CreateTaskRequest,
  type JsonObject,
  type PollEventsResponse,
  PollLimits,
  TaskBridgeError,
  type TaskCreatedResponse,
  type TaskStatusResponse,
} from '@taskbridge/protocol';
import { type Logger, silentLogger } from '../logger';
import { createInProcessRuntime } from '../runtime/in-process';
import type { TaskRuntime, TaskRuntimeFactory } from '../runtime/runtime';
import { actionError, decideAction } from './actions';
import { taskNotFound } from './errors';
import { createEventBuilder, type EventBuilder } from './event-builder';
import { requestFingerprint } from './fingerprint';
import { InFlightTasks } from './in-flight';
import { type EngineLimitOptions, type EngineLimits, resolveEngineLimits } from './limits';
import { longPoll } from './long-poll';
import type { TaskBridgeBackend } from './state/backend';
import type { IdempotencyRecord } from './state/idempotency-store';
import { createMemoryBackend } from './state/memory/memory-backend';
import type { StoredTask } from './state/task-registry';
import { StreamQuota } from './stream-quota';
import { openSubscription, type Subscription } from './subscription';
import { statusOf } from './task-status';
import type { Attachment, AuthContext, TaskHandler, TaskRecord } from './types';
import { checkCursor, checkDepth } from './validation';

/** Options of {@link createTaskEngine}. */
export interface TaskEngineOptions {
  /**
   * Where tasks, events, idempotency keys and suspensions live. Default: a new
   * `createMemoryBackend()`, which the engine then closes on {@link TaskEngine.shutdown}; a backend
   * passed in is left open (its creator closes it).
   */
  backend?: TaskBridgeBackend;
  /** Handlers by `taskType`; more can be added with `registerHandler`. Default: none. */
  handlers?: Record<string, TaskHandler>;
  /** Max live events queued per subscriber before it is disconnected (hazard H3). Default 10,000. */
  maxQueuedEventsPerSubscriber?: number;
  /** Clock, ms since epoch. Default `Date.now`. */
  now?: () => number;
  /** Task and suspension id generator. Default `crypto.randomUUID()`. */
  generateId?: () => string;
  /**
   * Resource limits: events and bytes per task, unfinished tasks per subject, concurrent streams per
   * subject and per engine, the task deadline. Each field defaults as documented on
   * {@link EngineLimits}; `null` lifts one.
   *
   * @throws {RangeError} from the constructor for a value that is not `null` or a positive integer.
   */
  limits?: EngineLimitOptions;
  /**
   * Structured log hook: handler faults that failed a task (`warn`, with `taskId`, `taskType`,
   * `code`, `error`). Default: silent.
   */
  logger?: Logger;
  /**
   * What runs the handlers. Default: the in-process runtime (handlers run in this process). The
   * BullMQ runtime of `@taskbridge/server-reference/worker` (`createBullmqRuntime`) queues them for
   * worker processes instead: the engine then still needs each task type's handler for `taskTypes`
   * and `validateInput`, but never calls it.
   */
  runtime?: TaskRuntimeFactory;
}

/** A create call's result: the response body and whether a new task was made (201) or not (200). */
export interface CreateTaskResult {
  /** True for a new task (HTTP 201), false for a deduplicated repeat (HTTP 200). */
  created: boolean;
  /** The protocol/SPEC.md §2 response body. */
  response: TaskCreatedResponse;
}

/** Options of {@link TaskEngine.poll}. */
export interface PollOptions {
  /** Cursor: events strictly after it; `null`/empty = from the oldest retained (protocol/SPEC.md §3). */
  afterEventId: string | null;
  /** Long-poll wait, ms, 0–60000 (range checked by the HTTP layer); 0 = short poll. */
  waitTimeoutMs: number;
  /** Events per response, 1–500; clamped into that range. */
  maxEvents: number;
  /** Aborts the wait (client went away). Default: none. */
  signal?: AbortSignal;
}

/**
 * The engine. Every method that takes `auth` masks unknown, evicted and foreign tasks alike as 404
 * (protocol/SPEC.md §9). Every method that touches the backend is asynchronous: callers `await` it.
 * Handlers follow the producer contract of hazard H6 (the runner writes `TASK_STARTED` and the one
 * terminal event).
 */
export class TaskEngine {
  /** The state behind the engine (tests and hosts may read it; the engine is its only writer). */
  readonly backend: TaskBridgeBackend;
  readonly #ownsBackend: boolean;
  readonly #handlers = new Map<string, TaskHandler>();
  readonly #maxQueued: number;
  readonly #now: () => number;
  readonly #generateId: () => string;
  readonly #build: EventBuilder;
  readonly #runtime: TaskRuntime;
  readonly #subscriptions = new Set<Subscription>();
  readonly #createListeners = new Set<(taskId: string) => void>();
  readonly #inFlight: InFlightTasks;
  readonly #streams: StreamQuota;
  /** The limits in force, defaults applied. */
  readonly limits: Readonly<EngineLimits>;
  #created = 0;

  constructor(options: TaskEngineOptions = {}) {
    this.#ownsBackend = options.backend === undefined;
    this.backend = options.backend ?? createMemoryBackend();
    this.#maxQueued = options.maxQueuedEventsPerSubscriber ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#generateId = options.generateId ?? (() => globalThis.crypto.randomUUID());
    this.#build = createEventBuilder(this.#now);
    this.limits = Object.freeze(resolveEngineLimits(options.limits));
    this.#inFlight = new InFlightTasks(this.limits.maxInFlightTasksPerSubject, async (taskId) => {
      const head = await this.backend.events.head(taskId);
      return head.terminal !== null || !(await this.backend.tasks.get(taskId));
    });
    this.#streams = new StreamQuota(this.limits.maxStreamsPerSubject, this.limits.maxStreams);
    this.#runtime = (options.runtime ?? createInProcessRuntime)({
      backend: this.backend,
      handlerFor: (taskType) => this.#handlers.get(taskType),
      build: this.#build,
      now: this.#now,
      generateId: this.#generateId,
      limits: this.limits,
      logger: options.logger ?? silentLogger,
      onRunEnd: (task) => this.#inFlight.release(task.owner, task.taskId),
    });
    for (const [type, handler] of Object.entries(options.handlers ?? {})) this.registerHandler(type, handler);
  }

  /** Registers (or replaces) the handler of a `taskType`. */
  registerHandler(taskType: string, handler: TaskHandler): void {
    this.#handlers.set(taskType, handler);
  }

  /** Task types with a handler. */
  get taskTypes(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Number of tasks this engine created (tests use it to prove idempotency). */
  get taskCount(): number {
    return this.#created;
  }

  /** Live subscriptions opened through this engine right now (tests count network subscriptions). */
  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  /** Calls `listener(taskId)` for each new task; returns the unsubscribe function. */
  onTaskCreated(listener: (taskId: string) => void): () => void {
    this.#createListeners.add(listener);
    return () => this.#createListeners.delete(listener);
  }

  /**
   * Creates a task, or returns the existing one for an identical repeat (protocol/SPEC.md §2). Of
   * concurrent identical creates exactly one makes a task (the idempotency store's claim).
   *
   * The handler starts after the caller has the response. `metadata` is not compared.
   *
   * @param attachments - uploaded files, part of the idempotency fingerprint. Default `[]`.
   * @throws {TaskBridgeError} `IDEMPOTENCY_CONFLICT` (409) for the same owner and `clientRequestId` with
   *   a different `taskType`/`input`/attachments; `INVALID_REQUEST` (400) for an unknown `taskType`,
   *   `input`/`metadata` nested deeper than `MAX_JSON_DEPTH` or input the handler's `validateInput`
   *   refuses (which may also answer 413 `PAYLOAD_TOO_LARGE`); `RATE_LIMITED` (429) when the caller
   *   has `limits.maxInFlightTasksPerSubject` unfinished tasks (a repeat of an existing create is
   *   still answered); `TASK_SUBMISSION_ERROR` (503) when the runtime could not take the task (the
   *   task is then failed with the same code).
   */
  async createTask(
    auth: AuthContext,
    request: CreateTaskRequest,
    attachments: readonly Attachment[] = [],
  ): Promise<CreateTaskResult> {
    const input = request.input ?? {};
    checkDepth(input, 'input');
    if (request.metadata !== undefined) checkDepth(request.metadata, 'metadata');
    const fingerprint = await requestFingerprint(request.taskType, input, attachments);
    const existing = await this.#idempotencyRecord(auth.subject, request.clientRequestId);
    if (existing) return this.#repeat(existing, request.clientRequestId, fingerprint);
    const handler = this.#handlers.get(request.taskType);
    if (!handler) {
      throw new TaskBridgeError({
        code: 'INVALID_REQUEST',
        message: `unknown taskType ${request.taskType}`,
        // Not the list of task types: it would tell any caller what this server can run.
        details: { taskType: request.taskType },
      });
    }
    checkHandlerInput(handler, input, attachments);
    const now = this.#now();
    const task: StoredTask = {
      taskId: this.#generateId(),
      taskType: request.taskType,
      owner: auth.subject,
      clientRequestId: request.clientRequestId,
      input,
      metadata: request.metadata ?? {},
      attachments,
      status: 'ACCEPTED',
      createdAt: now,
      updatedAt: now,
      fingerprint,
      auth,
      runner: null,
      leaseUntil: null,
      epoch: 0,
    };
    await this.#inFlight.reserve(auth.subject, task.taskId);
    let winner: IdempotencyRecord;
    try {
      // The record exists before the key points at it, so whoever reads the key finds the task.
      await this.backend.tasks.create(task);
      winner = await this.backend.idempotency.claim(auth.subject, request.clientRequestId, {
        taskId: task.taskId,
        fingerprint,
      });
    } catch (error) {
      this.#inFlight.release(auth.subject, task.taskId);
      throw error;
    }
    if (winner.taskId !== task.taskId) {
      // A concurrent identical create won the claim: this one is its repeat.
      this.#inFlight.release(auth.subject, task.taskId);
      await this.backend.tasks.delete(task.taskId);
      return this.#repeat(winner, request.clientRequestId, fingerprint);
    }
    this.#created += 1;
    for (const listener of Array.from(this.#createListeners)) listener(task.taskId);
    await this.#submit(task);
    return {
      created: true,
      response: {
        taskId: task.taskId,
        status: 'ACCEPTED',
        clientRequestId: task.clientRequestId,
        deduplicated: false,
      },
    };
  }

  /**
   * The task's record, checked for ownership.
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND` for unknown, evicted and foreign tasks alike.
   */
  async getTask(auth: AuthContext, taskId: string): Promise<TaskRecord> {
    return this.#owned(auth, taskId);
  }

  /** E1 status (protocol/SPEC.md §1). @throws {TaskBridgeError} `TASK_NOT_FOUND`. */
  async getStatus(auth: AuthContext, taskId: string): Promise<TaskStatusResponse> {
    const task = await this.#owned(auth, taskId);
    const head = await this.backend.events.head(taskId);
    return {
      taskId: task.taskId,
      taskType: task.taskType,
      status: statusOf(head),
      createdAt: new Date(task.createdAt).toISOString(),
      updatedAt: new Date(Math.max(task.updatedAt, head.updatedAt ?? 0)).toISOString(),
      lastEventId: head.lastEventId,
      terminalEvent: head.terminal,
    };
  }

  /**
   * Poll / long-poll (protocol/SPEC.md §4): returns as soon as at least one newer event exists; else
   * after `waitTimeoutMs` with no events — or at once when the task is terminal (our extension).
   *
   * Adds `taskStatus` (our extension), and `historyTrimmed` when events after the cursor were deleted
   * by retention (protocol/SPEC.md §11).
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND`; `INVALID_REQUEST` for a malformed cursor.
   */
  async poll(auth: AuthContext, taskId: string, options: PollOptions): Promise<PollEventsResponse> {
    await this.#owned(auth, taskId);
    const cursor = checkCursor(options.afterEventId);
    const page = await longPoll(this.backend.events, taskId, {
      cursor,
      maxEvents: Math.min(Math.max(1, options.maxEvents), PollLimits.MAX_EVENTS),
      waitTimeoutMs: options.waitTimeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return {
      taskId,
      events: page.events,
      nextAfterEventId: page.events.at(-1)?.eventId ?? cursor,
      hasMore: page.hasMore,
      taskStatus: statusOf(page.head),
      ...(page.trimmed ? { historyTrimmed: page.trimmed } : {}),
    };
  }

  /**
   * Opens a live subscription after `cursor` for SSE or WebSocket (protocol/SPEC.md §5, §6; hazards
   * H1–H3): resolves once the live attach is confirmed and the first replay page is read (its
   * `historyTrimmed` is then known, protocol/SPEC.md §11); replay in pages of 500, then live events; a
   * subscriber more than `maxQueuedEventsPerSubscriber` behind is ended with `RATE_LIMITED` from
   * `next()`.
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND`; `INVALID_REQUEST` for a malformed cursor;
   *   `RATE_LIMITED` (429) when the caller has `limits.maxStreamsPerSubject` open subscriptions or
   *   the engine `limits.maxStreams`.
   */
  async subscribe(
    auth: AuthContext,
    taskId: string,
    cursor: string | null | undefined,
  ): Promise<Subscription> {
    await this.#owned(auth, taskId);
    const checked = checkCursor(cursor);
    const release = this.#streams.take(auth.subject);
    let subscription: Subscription;
    try {
      subscription = await openSubscription(this.backend.events, {
        taskId,
        cursor: checked,
        maxQueuedEvents: this.#maxQueued,
        replayPageSize: PollLimits.MAX_EVENTS,
        onFinish: () => {
          release();
          this.#subscriptions.delete(subscription);
        },
      });
    } catch (error) {
      release();
      throw error;
    }
    if (subscription.closed) release();
    else this.#subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Cancel (protocol/SPEC.md §7). Writes `TASK_CANCELLED` at once (`reason` default
   * `'cancelled_by_user'`) — the event log's terminal claim decides a race with the handler's own
   * end — then tells the runtime, which aborts the handler's `signal` wherever it runs; `ALREADY_TERMINAL` when the task had
   * ended.
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND`.
   */
  async cancel(auth: AuthContext, taskId: string, reason?: string): Promise<CancelTaskResponse> {
    await this.#owned(auth, taskId);
    const why = reason ?? 'cancelled_by_user';
    const result = await this.backend.events.append(this.#build.cancelled(taskId, why));
    if (!result.ok) return { taskId, status: 'ALREADY_TERMINAL' };
    await this.backend.tasks
      .update(taskId, { status: 'CANCELLED', runner: null, updatedAt: this.#now() })
      .catch(() => undefined);
    await this.#runtime.cancel(taskId, why);
    return { taskId, status: 'CANCELLATION_REQUESTED' };
  }

  /**
   * Answers a suspension (protocol/SPEC.md §7). Returns the response and its HTTP status: 202
   * `ACCEPTED` (a `TASK_ACTION_ACCEPTED` event is stored before the handler resumes), 200
   * `DEDUPLICATED`, 202 `REJECTED_ALREADY_RESOLVED` (also for a terminal task) or `REJECTED_EXPIRED`.
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND` (404: unknown task or `suspendId`),
   *   `IDEMPOTENCY_CONFLICT` (409: conflicting repeat or an `actionType` not allowed), `INVALID_REQUEST`
   *   (400: `payload`/`metadata` nested deeper than `MAX_JSON_DEPTH`).
   */
  async submitAction(
    auth: AuthContext,
    taskId: string,
    request: ClientActionRequest,
  ): Promise<{ httpStatus: 200 | 202; response: ClientActionResponse }> {
    await this.#owned(auth, taskId);
    if (request.payload !== undefined) checkDepth(request.payload, 'payload');
    if (request.metadata !== undefined) checkDepth(request.metadata, 'metadata');
    const respond = (httpStatus: 200 | 202, status: ClientActionResponse['status']) => ({
      httpStatus,
      response: { taskId, suspendId: request.suspendId, clientActionId: request.clientActionId, status },
    });
    const decision = await decideAction(this.backend, taskId, request, auth.subject, this.#now());
    if (decision.status === 'DEDUPLICATED') return respond(200, 'DEDUPLICATED');
    if (decision.status === 'REJECTED_ALREADY_RESOLVED' || decision.status === 'REJECTED_EXPIRED') {
      return respond(202, decision.status);
    }
    if (decision.status !== 'ACCEPTED') throw actionError(decision, request);
    // Stored before the handler resumes, so it precedes whatever the handler emits next.
    const accepted = await this.backend.events.append(this.#build.actionAccepted(taskId, request));
    if (!accepted.ok) return respond(202, 'REJECTED_ALREADY_RESOLVED');
    await this.#runtime.deliverAction(taskId, request.suspendId);
    return respond(202, 'ACCEPTED');
  }

  /**
   * Graceful shutdown: closes every subscription and stops the handlers running in this process
   * (pending `suspend()`s reject with an `AbortError`); writes no terminal events. Closes the backend
   * when the engine created it. Never rejects.
   */
  async shutdown(): Promise<void> {
    for (const subscription of Array.from(this.#subscriptions)) subscription.close();
    await this.#runtime.shutdown();
    if (this.#ownsBackend) await this.backend.close().catch(() => undefined);
  }

  // A task the runtime could not take (its queue is unreachable) ends at once with the peer's
  // TASK_SUBMISSION_ERROR, so it is never left waiting for a run that will not come.
  async #submit(task: StoredTask): Promise<void> {
    try {
      await this.#runtime.submit(task);
    } catch (cause) {
      const failure = {
        code: 'TASK_SUBMISSION_ERROR' as const,
        message: 'the task could not be handed to its runtime; retry with a new clientRequestId',
        retryable: true,
      };
      await this.backend.events.append(this.#build.failed(task.taskId, failure)).catch(() => undefined);
      this.#inFlight.release(task.owner, task.taskId);
      throw new TaskBridgeError({ ...failure, details: { taskId: task.taskId }, cause });
    }
  }

  async #owned(auth: AuthContext, taskId: string): Promise<StoredTask> {
    const task = await this.backend.tasks.get(taskId);
    if (!task || task.owner !== auth.subject) throw taskNotFound(taskId);
    return task;
  }

  // The key's record when its task still exists; a key outliving its (evicted) task is freed.
  async #idempotencyRecord(owner: string, clientRequestId: string): Promise<IdempotencyRecord | null> {
    const record = await this.backend.idempotency.get(owner, clientRequestId);
    if (!record) return null;
    if (await this.backend.tasks.get(record.taskId)) return record;
    await this.backend.idempotency.release(owner, clientRequestId, record.taskId);
    return null;
  }

  async #repeat(
    record: IdempotencyRecord,
    clientRequestId: string,
    fingerprint: string,
  ): Promise<CreateTaskResult> {
    if (record.fingerprint !== fingerprint) {
      throw new TaskBridgeError({
        code: 'IDEMPOTENCY_CONFLICT',
        message: `clientRequestId ${clientRequestId} was already used with a different taskType or input`,
        details: { clientRequestId, taskId: record.taskId },
      });
    }
    const head = await this.backend.events.head(record.taskId);
    return {
      created: false,
      response: { taskId: record.taskId, status: statusOf(head), clientRequestId, deduplicated: true },
    };
  }
}

// A handler's own input check (TaskHandler.validateInput): its TaskBridgeErrors as they are, anything
// else as a 400 — a validator's bug must not become a 500.
function checkHandlerInput(
  handler: TaskHandler,
  input: JsonObject,
  attachments: readonly Attachment[],
): void {
  if (!handler.validateInput) return;
  try {
    handler.validateInput(input, attachments);
  } catch (error) {
    if (error instanceof TaskBridgeError) throw error;
    throw new TaskBridgeError({
      code: 'INVALID_REQUEST',
      message: error instanceof Error ? error.message : 'invalid input',
    });
  }
}

/** Creates a {@link TaskEngine}; same as `new TaskEngine(options)`. */
export function createTaskEngine(options: TaskEngineOptions = {}): TaskEngine {
  return new TaskEngine(options);
}
