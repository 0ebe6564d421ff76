/**
 * `startTask`: the idempotent create (protocol/SPEC.md §2). The `clientRequestId` is persisted before
 * the request and re-sent on retries and reloads, so the server answers with the same task instead of
 * creating a second one; concurrent starts of the same request share one request.
 */
import type { JsonObject, TaskCreatedResponse } from '@taskbridge/protocol';
import type { CheckpointStore } from './checkpoint/checkpoint-store';
import type { DiagnosticListener } from './diagnostics';
import { toTaskBridgeError } from './errors';
import type { FileAttachment, HttpApi } from './http';
import { type RetryContext, withRetries } from './retry';
import { stableEqual } from './stable-equal';
import { initialTaskSnapshot } from './task-snapshot';
import type { TaskStream } from './task-stream-api';

/** Arguments of `TaskBridgeClient.startTask` (protocol/SPEC.md §2). */
export interface StartTaskParams {
  /** The server-side handler to run, e.g. `'summarize'`. */
  taskType: string;
  /** Task input, compared for idempotency. Default `{}` (always sent: the peer requires it). */
  input?: JsonObject;
  /** Free-form metadata; not compared for idempotency. Default: none. */
  metadata?: JsonObject;
  /**
   * Files/Blobs, sent as multipart `attachments` parts (not persisted for reloads). Default: none (JSON
   * body).
   */
  files?: ReadonlyArray<Blob | FileAttachment>;
  /** Idempotency key. Default: reused from `resumeKey`'s record, else a new UUID. */
  clientRequestId?: string;
  /**
   * A stable name for "this start" (e.g. a form id). The `clientRequestId` is kept under it, so a
   * retry or a page reload re-sends the same id and re-attaches to the same task instead of starting
   * a second one. A different `taskType` or `input` under the same key starts a new task. Forget it with
   * `forgetStart(resumeKey)` to start afresh. Default: none (the id is forgotten once the server answers).
   */
  resumeKey?: string;
  /** Aborts the request and any further retries; the call then rejects with `ABORTED`. */
  signal?: AbortSignal;
}

/** Result of `TaskBridgeClient.startTask`. */
export interface StartedTask {
  /** The server's id of the task. */
  taskId: string;
  /** The idempotency key that was sent. */
  clientRequestId: string;
  /** The server's answer (201 new, or 200 deduplicated). */
  response: TaskCreatedResponse;
  /** The task's shared stream (not yet attached: subscribe to start receiving). */
  stream: TaskStream;
  /**
   * True when this start was sent before, under the same `resumeKey`, and the server answered with
   * another task this time (it lost the first one, e.g. a restart without persistence, or it forgot the
   * `clientRequestId`): the work runs a second time. Also reported as a `task-restarted` diagnostic.
   */
  restarted: boolean;
  /** With `restarted`: the task the first answer named. */
  previousTaskId?: string;
}

/** What {@link createTaskStarter} needs from its client. */
export interface TaskStarterContext {
  http: HttpApi;
  store: CheckpointStore;
  retry: RetryContext;
  /** The checkpoint key of a task, and the key of a pending start. */
  keys: { checkpoint(taskId: string): string; pendingStart(resumeKey: string): string };
  diagnostic: DiagnosticListener;
  task(taskId: string): TaskStream;
}

/** `startTask` for one client, and `forgetStart`. */
export interface TaskStarter {
  start(params: StartTaskParams): Promise<StartedTask>;
  /** Forgets a resume key's record and any start under it still in flight (the next start is new). */
  forget(resumeKey: string): Promise<void>;
}

/** Creates `startTask` and `forgetStart` for one client. */
export function createTaskStarter(context: TaskStarterContext): TaskStarter {
  const { http, store, keys, retry } = context;
  const inFlight = new Map<string, Promise<StartedTask>>();
  const reportCheckpoint = (error: unknown) =>
    context.diagnostic({ type: 'checkpoint-error', error: toTaskBridgeError(error) });

  const start = async (params: StartTaskParams): Promise<StartedTask> => {
    const input = params.input ?? {};
    const { resumeKey, taskType } = params;
    let clientRequestId = params.clientRequestId;
    let previousTaskId: string | undefined;
    if (clientRequestId === undefined && resumeKey !== undefined) {
      const pending = await store.loadPendingStart(keys.pendingStart(resumeKey)).catch(() => undefined);
      // A changed request under the same key is a new task, not a conflict.
      if (pending && pending.taskType === taskType && stableEqual(pending.input, input)) {
        clientRequestId = pending.clientRequestId;
        previousTaskId = pending.taskId;
      }
    }
    const id = clientRequestId ?? globalThis.crypto.randomUUID();
    const pendingKey = keys.pendingStart(resumeKey ?? id);
    const createdAt = retry.clock.now();
    const record = {
      clientRequestId: id,
      taskType,
      input,
      ...(resumeKey === undefined ? {} : { resumeKey }),
      createdAt,
    };
    // Persisted before the request, so a retry or a reload re-sends the same id.
    if (previousTaskId === undefined)
      await store.savePendingStart(pendingKey, record).catch(reportCheckpoint);
    const body = {
      clientRequestId: id,
      taskType,
      input,
      ...(params.metadata ? { metadata: params.metadata } : {}),
      ...(params.files ? { files: params.files } : {}),
    };
    const requestOptions = params.signal ? { signal: params.signal } : {};
    const response = await withRetries(() => http.createTask(body, requestOptions), {
      ...retry,
      signal: params.signal,
    });
    // Acknowledged: without a resume key nobody can ask for this id again; with one, remember the answer.
    if (resumeKey === undefined) await store.deletePendingStart(pendingKey).catch(reportCheckpoint);
    else if (previousTaskId !== response.taskId) {
      await store
        .savePendingStart(pendingKey, { ...record, taskId: response.taskId })
        .catch(reportCheckpoint);
    }
    const restarted = previousTaskId !== undefined && previousTaskId !== response.taskId;
    if (restarted && previousTaskId !== undefined && resumeKey !== undefined) {
      // The server no longer knows the first answer: the work runs again. Never silent.
      context.diagnostic({ type: 'task-restarted', resumeKey, previousTaskId, taskId: response.taskId });
    }
    const key = keys.checkpoint(response.taskId);
    const existing = await store.load(key).catch(() => undefined);
    if (!existing) {
      const checkpoint = {
        taskId: response.taskId,
        lastEventId: null,
        snapshot: initialTaskSnapshot(response.taskId),
        terminalEvent: null,
        updatedAt: retry.clock.now(),
      };
      await store.save(key, checkpoint).catch(reportCheckpoint);
    }
    const stream = context.task(response.taskId);
    return {
      taskId: response.taskId,
      clientRequestId: id,
      response,
      stream,
      restarted,
      ...(restarted ? { previousTaskId } : {}),
    };
  };

  return {
    start(params) {
      // Concurrent starts of one request (StrictMode's double effects, sibling components) share it.
      const key = dedupeKey(params);
      if (key === undefined) return start(params);
      const known = inFlight.get(key);
      if (known !== undefined) return known;
      const started = start(params).finally(() => {
        if (inFlight.get(key) === started) inFlight.delete(key);
      });
      inFlight.set(key, started);
      return started;
    },
    async forget(resumeKey) {
      const prefix = JSON.stringify(['resumeKey', resumeKey]).slice(0, -1);
      for (const key of Array.from(inFlight.keys())) if (key.startsWith(prefix)) inFlight.delete(key);
      await store.deletePendingStart(keys.pendingStart(resumeKey));
    },
  };
}

/** Which in-flight start a call may join: same resume key (or id) and same request; none with a signal. */
function dedupeKey(params: StartTaskParams): string | undefined {
  if (params.signal !== undefined) return undefined;
  const name = params.resumeKey ?? params.clientRequestId;
  if (name === undefined) return undefined;
  const by = params.resumeKey !== undefined ? 'resumeKey' : 'clientRequestId';
  return JSON.stringify([by, name, params.taskType, params.input ?? {}, params.metadata ?? null]);
}
