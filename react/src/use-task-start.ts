/**
 * Internal: the idempotent start behind `useTask({ taskType })` (protocol/SPEC.md §2). One start per client and
 * request is in flight at a time, so StrictMode's double effects and sibling components share it; the
 * client keeps the `clientRequestId` under the resume key, so a reload re-sends it and the server
 * answers with the same task instead of creating a second one.
 */
import type { FileAttachment, StartedTask, TaskBridgeClient } from '@taskbridge/client';
import { TaskBridgeError } from '@taskbridge/client';
import type { JsonObject } from '@taskbridge/protocol';
import { useCallback, useEffect, useState } from 'react';

/** What to start: the fields of `client.startTask` that a component can describe. */
export interface TaskStartRequest {
  /** The server-side handler to run (protocol/SPEC.md §2). */
  taskType: string;
  /** Task input; part of the default resume key. Default `{}`. */
  input?: JsonObject;
  /** Free-form metadata; part of the default resume key (the server does not compare it). Default: none. */
  metadata?: JsonObject;
  /** Read when the start is sent; not part of the default resume key. */
  files?: ReadonlyArray<Blob | FileAttachment>;
  /**
   * Stable name for "this start" (see `StartTaskParams.resumeKey`). Default: derived from `taskType`,
   * `input` and `metadata` (give one when sending `files`).
   */
  resumeKey?: string;
}

/** Where a start is. `taskId` and `failure` are both `null` while it is in flight. */
export interface TaskStartState {
  taskId: string | null;
  failure: TaskBridgeError | null;
  /** Forgets the start (`client.forgetStart`) and starts a new task; the old one is not cancelled. */
  restart(): Promise<void>;
}

// Starts in flight or done, per client and request; a client that is dropped takes its starts along.
const starts = new WeakMap<TaskBridgeClient, Map<string, Promise<StartedTask>>>();

function startOnce(client: TaskBridgeClient, key: string, params: TaskStartRequest & { resumeKey: string }) {
  const byKey = starts.get(client) ?? new Map<string, Promise<StartedTask>>();
  starts.set(client, byKey);
  const known = byKey.get(key);
  if (known !== undefined) return known;
  const { taskType, input, metadata, files, resumeKey } = params;
  const started = client.startTask({ taskType, input, metadata, files, resumeKey });
  byKey.set(key, started);
  // A failed start is not remembered, so the next mount or `restart()` tries again.
  started.catch(() => {
    if (byKey.get(key) === started) byKey.delete(key);
  });
  return started;
}

interface Outcome {
  client: TaskBridgeClient;
  key: string;
  generation: number;
  taskId: string | null;
  failure: TaskBridgeError | null;
}

/** Starts `request` once (`null`: start nothing) and reports the task id or the failure. */
export function useTaskStart(client: TaskBridgeClient, request: TaskStartRequest | null): TaskStartState {
  const signature =
    request === null
      ? null
      : JSON.stringify([request.taskType, request.input ?? {}, request.metadata ?? null]);
  const resumeKey = request?.resumeKey ?? `taskbridge/react:${signature}`;
  // A changed request under the same resume key is a different start (the client gives it a new id).
  const key = `${resumeKey}\u0000${signature}`;
  const [generation, setGeneration] = useState(0);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  useEffect(() => {
    if (request === null) return;
    let current = true;
    const settle = (taskId: string | null, failure: TaskBridgeError | null) => {
      if (current) setOutcome({ client, key, generation, taskId, failure });
    };
    startOnce(client, key, { ...request, resumeKey }).then(
      (started) => settle(started.taskId, null),
      (error: unknown) => settle(null, TaskBridgeError.from(error)),
    );
    return () => {
      current = false;
    };
    // `request` is read when the start is sent; `key` stands for it (files are not compared).
  }, [client, key, generation]);

  const restart = useCallback(async () => {
    if (signature === null) {
      throw new TaskBridgeError({
        code: 'INVALID_REQUEST',
        message: 'restart() needs a taskType',
        retryable: false,
      });
    }
    await client.forgetStart(resumeKey);
    starts.get(client)?.delete(key);
    setGeneration((g) => g + 1);
  }, [client, key, resumeKey, signature]);

  const mine =
    outcome !== null && outcome.client === client && outcome.key === key && outcome.generation === generation;
  return { taskId: mine ? outcome.taskId : null, failure: mine ? outcome.failure : null, restart };
}
