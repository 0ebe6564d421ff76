/**
 * The one-shot commands of a task (protocol/SPEC.md §7): cancel, and answering a suspension, each
 * with its idempotency key and the client's request retries. A task stream exposes them; they never
 * attach it.
 */
import type { CancelTaskResponse, ClientActionResponse, JsonObject } from '@taskbridge/protocol';
import { usageError } from './errors';
import type { HttpApi } from './http';
import { type RetryContext, withRetries } from './retry';
import type { TaskSnapshotSuspension } from './task-snapshot';

/** Options of {@link TaskStream.submitAction}. */
export interface SubmitActionOptions {
  /** Which suspension to answer. Default: the open suspension in the snapshot. */
  suspendId?: string;
  /** Idempotency key. Default: a new UUID (reused for this call's retries). */
  clientActionId?: string;
  /** Free-form metadata; not compared for idempotency (protocol/SPEC.md §7). Default: none. */
  metadata?: JsonObject;
}

/** One answer to a suspension. */
export interface ActionRequest {
  actionType: string;
  payload?: JsonObject | undefined;
  options?: SubmitActionOptions | undefined;
}

/** The commands, for any task of one client. */
export interface TaskCommands {
  cancel(taskId: string, reason?: string): Promise<CancelTaskResponse>;
  /** @throws {TaskBridgeError} `USAGE_ERROR` without a suspension to answer (nothing is sent). */
  submitAction(
    taskId: string,
    open: TaskSnapshotSuspension | null,
    request: ActionRequest,
  ): Promise<ClientActionResponse>;
}

/** Creates the commands over the client's HTTP API and request retries. */
export function createTaskCommands(http: HttpApi, retry: RetryContext): TaskCommands {
  return {
    cancel: (taskId, reason) => withRetries(() => http.cancelTask(taskId, reason), retry),
    submitAction(taskId, open, { actionType, payload, options = {} }) {
      const suspendId = options.suspendId ?? open?.suspendId;
      if (suspendId === undefined) return Promise.reject(usageError('no open suspension to answer'));
      const clientActionId = options.clientActionId ?? globalThis.crypto.randomUUID();
      const action = {
        clientActionId,
        suspendId,
        actionType,
        ...(payload === undefined ? {} : { payload }),
        ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
      };
      return withRetries(() => http.submitAction(taskId, action), retry);
    },
  };
}
