/**
 * The transport-free TaskBridge engine: tasks, owners, idempotency, handlers, suspensions,
 * cancellation, polling and subscriptions. The Express adapter and the MSW handlers both drive it, so
 * both speak the same protocol (SPEC.md §2–§7).
 */
import {
  type CancelTaskResponse,
  type ClientActionRequest,
  type ClientActionResponse,
  type CreateTaskRequest,
  isTerminalEvent,
  type JsonObject,
  type PollEventsResponse,
  PollLimits,
  parseEventId,
  TaskBridgeError,
  type TaskCreatedResponse,
  type TaskEvent,
  type TaskStatus,
  type TaskStatusResponse,
  type TerminalTaskEvent,
} from '@taskbridge/protocol';
import type { EventStore, NewTaskEvent } from './event-store';
import { jsonDepth, requestFingerprint } from './idempotency';
import { createMemoryEventStore } from './memory-event-store';
import { openSubscription, type Subscription } from './subscription';
import { SuspensionRegistry } from './suspensions';
import { runTask } from './task-runner';
import type { Attachment, AuthContext, TaskContext, TaskHandler, TaskRecord, TaskYield } from './types';

/** Options of {@link createTaskEngine}. */
export interface TaskEngineOptions {
  /** Event storage. Default: {@link createMemoryEventStore}. */
  store?: EventStore;
  /** Handlers by `taskType`; more can be added with `registerHandler`. Default: none. */
  handlers?: Record<string, TaskHandler>;
  /** Max live events queued per subscriber before it is disconnected (hazard H3). Default 10,000. */
  maxQueuedEventsPerSubscriber?: number;
  /** Clock, ms since epoch. Default `Date.now`. */
  now?: () => number;
  /** Task id generator. Default `crypto.randomUUID()`. */
  generateId?: () => string;
}

/** A create call's result: the response body and whether a new task was made (201) or not (200). */
export interface CreateTaskResult {
  /** True for a new task (HTTP 201), false for a deduplicated repeat (HTTP 200). */
  created: boolean;
  /** The SPEC.md §2 response body. */
  response: TaskCreatedResponse;
}

/** Options of {@link TaskEngine.poll}. */
export interface PollOptions {
  /** Cursor: events strictly after it; `null`/empty = from the oldest retained (SPEC.md §3). */
  afterEventId: string | null;
  /** Long-poll wait, ms, 0–60000 (range checked by the HTTP layer); 0 = short poll. */
  waitTimeoutMs: number;
  /** Events per response, 1–500; clamped into that range. */
  maxEvents: number;
  /** Aborts the wait (client went away). Default: none. */
  signal?: AbortSignal;
}

interface TaskState {
  record: TaskRecord;
  fingerprint: string;
  abort: AbortController;
  suspensions: SuspensionRegistry;
  /** Set synchronously when a terminal event is claimed, so only one is ever written (H6). */
  terminalClaimed: boolean;
  /** Set once the terminal event is stored. */
  terminalEvent: TerminalTaskEvent | null;
  lastEventId: string | null;
  /** The newest append: the next one starts after it settles, so events are stored in emit order. */
  chain: Promise<unknown>;
  /** Non-terminal events emitted by the handler so far (see {@link YIELD_EVERY_EVENTS}). */
  emitted: number;
  /** Appends not yet settled; at 0 the next append goes to the store at once, without chaining. */
  appending: number;
}

function abortError(): Error {
  const error = new Error('task is no longer running');
  error.name = 'AbortError';
  return error;
}

const notFound = (taskId: string) =>
  new TaskBridgeError({ code: 'TASK_NOT_FOUND', message: `task ${taskId} not found`, details: { taskId } });

/**
 * Validates a cursor: ids are `<int>` or `<int>-<int>` (SPEC.md §3). Empty means "from the oldest".
 *
 * @throws {TaskBridgeError} `INVALID_REQUEST` for any other form.
 */
export function checkCursor(cursor: string | null | undefined): string | null {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  if (cursor.length > 64 || !parseEventId(cursor)) {
    throw new TaskBridgeError({
      code: 'INVALID_REQUEST',
      message: 'cursor must be an event id of the form <int> or <int>-<int>',
      details: { cursor: cursor.slice(0, 64) },
    });
  }
  return cursor;
}

/**
 * A handler that emits in a tight loop (a fast token stream, the `ticker`) resolves every emit in a
 * microtask and would hold the event loop until it finishes: sockets would not be written and other
 * tasks would not run. Every this many events its emit waits for one macrotask.
 */
const YIELD_EVERY_EVENTS = 256;

const yieldToEventLoop: (callback: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (callback) => globalThis.setImmediate(callback)
    : (callback) => globalThis.setTimeout(callback, 0);

/** Deepest nesting accepted in `input`, `metadata` and action `payload`s. */
export const MAX_JSON_DEPTH = 64;

// Fingerprints and stored copies recurse; a 10,000-deep object must be a 400, not a stack overflow.
function checkDepth(value: unknown, field: string): void {
  if (jsonDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new TaskBridgeError({
      code: 'INVALID_REQUEST',
      message: `${field} is nested deeper than ${MAX_JSON_DEPTH} levels`,
      details: { field, maxDepth: MAX_JSON_DEPTH },
    });
  }
}

/**
 * The engine. Every method that takes `auth` masks foreign tasks as 404 (SPEC.md §9). Handlers follow
 * the producer contract of HAZARDS.md H6 (the engine writes `TASK_STARTED` and the one terminal event).
 */
export class TaskEngine {
  readonly store: EventStore;
  readonly #handlers = new Map<string, TaskHandler>();
  readonly #tasks = new Map<string, TaskState>();
  readonly #idempotency = new Map<string, string>();
  readonly #maxQueued: number;
  readonly #now: () => number;
  readonly #generateId: () => string;
  readonly #subscriptions = new Set<Subscription>();
  readonly #createListeners = new Set<(taskId: string) => void>();
  // `createdAt` of the last event: a fast task emits many per ms, and formatting is not free.
  #isoMs = Number.NaN;
  #isoText = '';

  constructor(options: TaskEngineOptions = {}) {
    this.store = options.store ?? createMemoryEventStore();
    this.#maxQueued = options.maxQueuedEventsPerSubscriber ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#generateId = options.generateId ?? (() => globalThis.crypto.randomUUID());
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

  /** Number of tasks ever created (tests use it to prove idempotency). */
  get taskCount(): number {
    return this.#tasks.size;
  }

  /** Live subscriptions right now (tests count network subscriptions with it). */
  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  /** Calls `listener(taskId)` for each new task; returns the unsubscribe function. */
  onTaskCreated(listener: (taskId: string) => void): () => void {
    this.#createListeners.add(listener);
    return () => this.#createListeners.delete(listener);
  }

  /**
   * Creates a task, or returns the existing one for an identical repeat (SPEC.md §2).
   *
   * The handler starts in a microtask, after the caller has the response. `metadata` is not compared.
   *
   * @param attachments - uploaded files, part of the idempotency fingerprint. Default `[]`.
   * @throws {TaskBridgeError} `IDEMPOTENCY_CONFLICT` (409) for the same owner and `clientRequestId` with
   *   a different `taskType`/`input`/attachments; `INVALID_REQUEST` (400) for an unknown `taskType` or
   *   `input`/`metadata` nested deeper than {@link MAX_JSON_DEPTH}.
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
    // From here to the insert there is no await: concurrent identical creates cannot both miss.
    const key = `${auth.subject}\u0000${request.clientRequestId}`;
    const existingId = this.#idempotency.get(key);
    if (existingId !== undefined) {
      const existing = this.#tasks.get(existingId) as TaskState;
      if (existing.fingerprint !== fingerprint) {
        throw new TaskBridgeError({
          code: 'IDEMPOTENCY_CONFLICT',
          message: `clientRequestId ${request.clientRequestId} was already used with a different taskType or input`,
          details: { clientRequestId: request.clientRequestId, taskId: existingId },
        });
      }
      return { created: false, response: this.#createdResponse(existing, true) };
    }
    const handler = this.#handlers.get(request.taskType);
    if (!handler) {
      throw new TaskBridgeError({
        code: 'INVALID_REQUEST',
        message: `unknown taskType ${request.taskType}`,
        // Not the list of task types: it would tell any caller what this server can run.
        details: { taskType: request.taskType },
      });
    }
    const now = this.#now();
    const state: TaskState = {
      record: {
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
      },
      fingerprint,
      abort: new AbortController(),
      suspensions: new SuspensionRegistry(this.#now),
      terminalClaimed: false,
      terminalEvent: null,
      lastEventId: null,
      chain: Promise.resolve(),
      emitted: 0,
      appending: 0,
    };
    this.#tasks.set(state.record.taskId, state);
    this.#idempotency.set(key, state.record.taskId);
    for (const listener of Array.from(this.#createListeners)) listener(state.record.taskId);
    // Start after the caller has its response in hand; the handler runs detached from the request.
    queueMicrotask(() => void this.#run(state, handler, auth));
    return { created: true, response: this.#createdResponse(state, false) };
  }

  /**
   * The task's record, checked for ownership.
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND` for unknown and foreign tasks alike.
   */
  getTask(auth: AuthContext, taskId: string): TaskRecord {
    return this.#owned(auth, taskId).record;
  }

  /** E1 status (SPEC.md §1). @throws {TaskBridgeError} `TASK_NOT_FOUND`. */
  getStatus(auth: AuthContext, taskId: string): TaskStatusResponse {
    const state = this.#owned(auth, taskId);
    const r = state.record;
    return {
      taskId: r.taskId,
      taskType: r.taskType,
      status: this.#visibleStatus(state),
      createdAt: new Date(r.createdAt).toISOString(),
      updatedAt: new Date(r.updatedAt).toISOString(),
      lastEventId: state.lastEventId,
      terminalEvent: state.terminalEvent,
    };
  }

  /**
   * Poll / long-poll (SPEC.md §4): returns as soon as at least one newer event exists; else after
   * `waitTimeoutMs` with no events — or at once when the task is terminal (our extension).
   *
   * Adds `taskStatus` to the response (our extension).
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND`; `INVALID_REQUEST` for a malformed cursor.
   */
  async poll(auth: AuthContext, taskId: string, options: PollOptions): Promise<PollEventsResponse> {
    const state = this.#owned(auth, taskId);
    const cursor = checkCursor(options.afterEventId);
    const maxEvents = Math.min(Math.max(1, options.maxEvents), PollLimits.MAX_EVENTS);
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let appended = false;
    // Attach before reading (hazard H2): an append during the read or the wait is never missed.
    const unsubscribe = this.store.subscribe(taskId, () => {
      appended = true;
      wake();
    });
    try {
      let page = await this.store.read(taskId, cursor, maxEvents);
      if (
        page.events.length === 0 &&
        !appended &&
        state.terminalEvent === null &&
        options.waitTimeoutMs > 0
      ) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = () => wake();
        options.signal?.addEventListener('abort', onAbort);
        await Promise.race([
          woken,
          new Promise<void>((resolve) => (timer = setTimeout(resolve, options.waitTimeoutMs))),
        ]);
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }
      // Something was stored after the read began (maybe the terminal event): read it too.
      if (page.events.length === 0 && appended) page = await this.store.read(taskId, cursor, maxEvents);
      const last = page.events.at(-1);
      return {
        taskId,
        events: page.events,
        nextAfterEventId: last?.eventId ?? cursor,
        hasMore: page.hasMore,
        taskStatus: this.#visibleStatus(state),
      };
    } finally {
      unsubscribe();
    }
  }

  /**
   * Opens a live subscription after `cursor` for SSE or WebSocket (SPEC.md §5, §6; hazards H1–H3):
   * replay in pages of 500, then live events; a subscriber more than `maxQueuedEventsPerSubscriber`
   * behind is ended with `RATE_LIMITED` from `next()`.
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND`; `INVALID_REQUEST` for a malformed cursor.
   */
  subscribe(auth: AuthContext, taskId: string, cursor: string | null | undefined): Subscription {
    const state = this.#owned(auth, taskId);
    const subscription = openSubscription(this.store, {
      taskId,
      cursor: checkCursor(cursor),
      maxQueuedEvents: this.#maxQueued,
      replayPageSize: PollLimits.MAX_EVENTS,
      isTerminal: () => state.terminalEvent !== null,
      onFinish: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Cancel (SPEC.md §7). Writes `TASK_CANCELLED` at once (`reason` default `'cancelled_by_user'`) and
   * aborts the handler's `signal`; `ALREADY_TERMINAL` when the task has ended.
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND`.
   */
  async cancel(auth: AuthContext, taskId: string, reason?: string): Promise<CancelTaskResponse> {
    const state = this.#owned(auth, taskId);
    if (state.terminalClaimed) return { taskId, status: 'ALREADY_TERMINAL' };
    await this.#finish(state, 'CANCELLED', {
      type: 'TASK_CANCELLED',
      taskId,
      createdAt: this.#iso(),
      payload: { reason: reason ?? 'cancelled_by_user', message: 'Task cancelled by the client' },
    });
    return { taskId, status: 'CANCELLATION_REQUESTED' };
  }

  /**
   * Answers a suspension (SPEC.md §7). Returns the response and its HTTP status: 202 `ACCEPTED` (a
   * `TASK_ACTION_ACCEPTED` event is appended first), 200 `DEDUPLICATED`, 202 `REJECTED_ALREADY_RESOLVED`
   * (also for a terminal task) or `REJECTED_EXPIRED`.
   *
   * @throws {TaskBridgeError} `TASK_NOT_FOUND` (404: unknown task or `suspendId`),
   *   `IDEMPOTENCY_CONFLICT` (409: conflicting repeat or an `actionType` not allowed), `INVALID_REQUEST`
   *   (400: `payload`/`metadata` nested deeper than {@link MAX_JSON_DEPTH}).
   */
  async submitAction(
    auth: AuthContext,
    taskId: string,
    request: ClientActionRequest,
  ): Promise<{ httpStatus: 200 | 202; response: ClientActionResponse }> {
    const state = this.#owned(auth, taskId);
    if (request.payload !== undefined) checkDepth(request.payload, 'payload');
    if (request.metadata !== undefined) checkDepth(request.metadata, 'metadata');
    const decision = state.suspensions.decide(request, auth.subject, state.terminalClaimed);
    const response = (status: ClientActionResponse['status']): ClientActionResponse => ({
      taskId,
      suspendId: request.suspendId,
      clientActionId: request.clientActionId,
      status,
    });
    if (decision.status !== 'ACCEPTED') {
      return {
        httpStatus: decision.status === 'DEDUPLICATED' ? 200 : 202,
        response: response(decision.status),
      };
    }
    const { resume } = decision.accept();
    // The accepted event is stored before the handler resumes, so it precedes whatever follows.
    await this.#append(state, {
      type: 'TASK_ACTION_ACCEPTED',
      taskId,
      createdAt: this.#iso(),
      payload: {
        suspendId: request.suspendId,
        clientActionId: request.clientActionId,
        actionType: request.actionType,
        acceptedAt: this.#iso(),
      },
    });
    resume();
    this.#setStatus(state, 'RUNNING');
    return { httpStatus: 202, response: response('ACCEPTED') };
  }

  /**
   * Aborts every running task (pending `suspend()`s reject with an `AbortError`) and closes every
   * subscription (graceful shutdown). Writes no terminal events.
   */
  shutdown(): void {
    for (const subscription of Array.from(this.#subscriptions)) subscription.close();
    for (const state of this.#tasks.values()) {
      if (!state.terminalClaimed) {
        state.abort.abort();
        state.suspensions.abortAll(abortError());
      }
    }
  }

  #owned(auth: AuthContext, taskId: string): TaskState {
    const state = this.#tasks.get(taskId);
    if (!state || state.record.owner !== auth.subject) throw notFound(taskId);
    return state;
  }

  // The terminal status is claimed before its event is stored; until the event is readable, report
  // RUNNING, or a client that stops on a terminal status would miss the terminal event itself.
  #visibleStatus(state: TaskState): TaskStatus {
    const status = state.record.status;
    const terminal = status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
    return terminal && state.terminalEvent === null ? 'RUNNING' : status;
  }

  #createdResponse(state: TaskState, deduplicated: boolean): TaskCreatedResponse {
    return {
      taskId: state.record.taskId,
      status: state.record.status,
      clientRequestId: state.record.clientRequestId,
      deduplicated,
    };
  }

  #iso(): string {
    const ms = this.#now();
    if (ms !== this.#isoMs) {
      this.#isoMs = ms;
      this.#isoText = new Date(ms).toISOString();
    }
    return this.#isoText;
  }

  #setStatus(state: TaskState, status: TaskStatus): void {
    state.record.status = status;
    state.record.updatedAt = this.#now();
  }

  #append(state: TaskState, event: NewTaskEvent): Promise<TaskEvent> {
    // Nothing but the one terminal event may follow the terminal claim.
    if (state.terminalClaimed && !isTerminalEvent(event)) return Promise.reject(abortError());
    // Only an append still in flight has to be waited for; a failed one does not stop the next.
    state.appending += 1;
    const appended =
      state.appending === 1
        ? this.#write(state, event)
        : state.chain.then(
            () => this.#write(state, event),
            () => this.#write(state, event),
          );
    state.chain = appended;
    return appended;
  }

  #write(state: TaskState, event: NewTaskEvent): Promise<TaskEvent> {
    let appended: Promise<TaskEvent>;
    try {
      appended = this.store.append(event);
    } catch (error) {
      // A store that throws (e.g. a payload structuredClone refuses) fails this append, as a rejection.
      appended = Promise.reject(error);
    }
    return appended.then(
      (stored) => {
        state.appending -= 1;
        state.lastEventId = stored.eventId;
        state.record.updatedAt = this.#now();
        if (isTerminalEvent(stored)) state.terminalEvent = stored;
        return stored;
      },
      (error: unknown) => {
        state.appending -= 1;
        throw error;
      },
    );
  }

  // The only writer of terminal events (H6): the first caller wins, later ones are ignored.
  async #finish(state: TaskState, status: TaskStatus, event: NewTaskEvent): Promise<void> {
    if (state.terminalClaimed) return;
    state.terminalClaimed = true;
    this.#setStatus(state, status);
    state.abort.abort();
    state.suspensions.abortAll(abortError());
    await this.#append(state, event);
  }

  // Non-terminal emits from the handler; refused once the task is terminal.
  #emit(state: TaskState, item: TaskYield): Promise<TaskEvent> {
    if (state.terminalClaimed) return Promise.reject(abortError());
    const { taskId } = state.record;
    const createdAt = this.#iso();
    const event: NewTaskEvent =
      item.type === 'progress'
        ? {
            type: 'TASK_PROGRESS',
            taskId,
            createdAt,
            // Frozen here, so the store can keep it without a copy (it is ours alone).
            payload: Object.freeze({
              progress: Math.min(100, Math.max(0, item.progress)),
              ...(item.stage === undefined ? {} : { stage: item.stage }),
              ...(item.message === undefined ? {} : { message: item.message }),
            }),
          }
        : {
            type: 'TASK_MESSAGE',
            taskId,
            createdAt,
            payload: Object.freeze(
              item.level === undefined
                ? { message: item.message }
                : { message: item.message, level: item.level },
            ),
          };
    const appended = this.#append(state, event);
    if (++state.emitted % YIELD_EVERY_EVENTS !== 0) return appended;
    return appended.then(
      (stored) => new Promise<TaskEvent>((resolve) => yieldToEventLoop(() => resolve(stored))),
    );
  }

  async #run(state: TaskState, handler: TaskHandler, auth: AuthContext): Promise<void> {
    const { taskId, taskType, input, attachments } = state.record;
    const signal = state.abort.signal;
    const context: TaskContext = {
      taskId,
      taskType,
      input: input as JsonObject,
      attachments,
      auth,
      signal,
      progress: (progress, details) =>
        this.#emit(state, { type: 'progress', progress, ...details }).then(() => undefined),
      message: (message, level) =>
        this.#emit(
          state,
          level === undefined ? { type: 'message', message } : { type: 'message', message, level },
        ).then(() => undefined),
      suspend: async (options) => {
        if (state.terminalClaimed) throw abortError();
        const suspendId = this.#generateId();
        const answer = state.suspensions.open(suspendId, options.allowedActions, options.expiresInMs);
        this.#setStatus(state, 'RUNNING');
        await this.#append(state, {
          type: 'TASK_SUSPENDED',
          taskId,
          createdAt: this.#iso(),
          payload: {
            suspendId,
            kind: options.kind ?? 'USER_ACTION_REQUIRED',
            reasonCode: options.reasonCode,
            allowedActions: [...options.allowedActions],
            schemaVersion: options.schemaVersion ?? 1,
            ...(options.expiresInMs === undefined
              ? {}
              : { expiresAt: new Date(this.#now() + options.expiresInMs).toISOString() }),
            ...(options.interaction === undefined ? {} : { interaction: options.interaction }),
            ...(options.uiHints === undefined ? {} : { uiHints: options.uiHints }),
          },
        });
        return answer;
      },
      sleep: (ms) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(abortError());
          const timer = setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          }, ms);
          const onAbort = () => {
            clearTimeout(timer);
            reject(abortError());
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }),
    };
    await runTask(handler, {
      context,
      emit: (item) => this.#emit(state, item),
      started: async () => {
        if (state.terminalClaimed) throw abortError();
        this.#setStatus(state, 'RUNNING');
        await this.#append(state, { type: 'TASK_STARTED', taskId, createdAt: this.#iso(), payload: {} });
      },
      completed: (result) =>
        this.#finish(state, 'COMPLETED', {
          type: 'TASK_COMPLETED',
          taskId,
          createdAt: this.#iso(),
          payload: { result },
        }),
      failed: (failure) =>
        this.#finish(state, 'FAILED', {
          type: 'TASK_FAILED',
          taskId,
          createdAt: this.#iso(),
          payload: failure,
        }),
    });
  }
}

/** Creates a {@link TaskEngine}; same as `new TaskEngine(options)`. */
export function createTaskEngine(options: TaskEngineOptions = {}): TaskEngine {
  return new TaskEngine(options);
}
