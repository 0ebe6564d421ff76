/**
 * Internal: the idempotent start behind `useTask({ taskType })` (protocol/SPEC.md §2). The client
 * shares one start per request in flight (StrictMode's double effects, sibling components) and keeps
 * the `clientRequestId` under the resume key, so a reload re-sends it and the server answers with the
 * same task instead of creating a second one.
 */
import type { FileAttachment, TaskBridgeClient } from '@taskbridge/client';
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

interface Outcome {
  client: TaskBridgeClient;
  key: string;
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
  const [generation, setGeneration] = useState(0);
  // A changed request under the same resume key is a different start (the client gives it a new id).
  const key = JSON.stringify([resumeKey, signature, generation]);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  useEffect(() => {
    if (request === null) return;
    let current = true;
    const { taskType, input, metadata, files } = request;
    client.startTask({ taskType, input, metadata, files, resumeKey }).then(
      (started) => current && setOutcome({ client, key, taskId: started.taskId, failure: null }),
      (error: unknown) =>
        current && setOutcome({ client, key, taskId: null, failure: TaskBridgeError.from(error) }),
    );
    return () => {
      current = false;
    };
    // `request` is read when the start is sent; `key` stands for it (files are not compared).
  }, [client, key]);

  const restart = useCallback(async () => {
    if (signature === null) {
      throw new TaskBridgeError({
        code: 'USAGE_ERROR',
        message: 'restart() needs a taskType',
        retryable: false,
      });
    }
    await client.forgetStart(resumeKey);
    setGeneration((g) => g + 1);
  }, [client, resumeKey, signature]);

  const mine = outcome !== null && outcome.client === client && outcome.key === key;
  return { taskId: mine ? outcome.taskId : null, failure: mine ? outcome.failure : null, restart };
}
