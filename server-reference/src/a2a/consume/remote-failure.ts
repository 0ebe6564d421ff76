/**
 * How a remote agent's failures become TaskBridge task failures, and which ones are worth a reconnect
 * (hazard H5: decided by the HTTP status and the A2A error, never by parsing a body as a stream).
 */
import { A2AError } from '@a2a-js/sdk/errors';
import { type A2AFailureCode, TaskBridgeError } from '@taskbridge/protocol';

/** A failure of a remote-agent task, as its `TASK_FAILED` payload shows it. */
export function remoteFailure(
  code: A2AFailureCode,
  message: string,
  retryable = false,
  details: Record<string, unknown> = {},
): TaskBridgeError {
  return new TaskBridgeError({ code, message, retryable, details });
}

/** What to do after a call to the agent failed. */
export type FailureVerdict =
  /** Try again after a backoff (network, 5xx, 429, a 2xx that was not a stream, a stream error). */
  | { kind: 'retry'; reason: string }
  /** Resubscribing found the task finished: read it with GetTask. */
  | { kind: 'finished' }
  /** Give up with this failure. */
  | { kind: 'fail'; error: TaskBridgeError };

// The SDK reports an error event inside a stream as a plain Error whose cause is the A2A error.
function a2aErrorOf(error: unknown): A2AError | undefined {
  if (error instanceof A2AError) return error;
  if (error instanceof Error && error.cause instanceof A2AError) return error.cause;
  return undefined;
}

/**
 * Classifies a failed call.
 *
 * @param status - HTTP status of the call's response, when it got one.
 * @param resubscribing - the call was SubscribeToTask (a terminal task answers it with
 *   `UnsupportedOperationError`, by the SDK's documented contract).
 */
export function classifyFailure(
  error: unknown,
  status: number | undefined,
  resubscribing: boolean,
): FailureVerdict {
  if (status === 401 || status === 403) {
    return {
      kind: 'fail',
      error: remoteFailure('A2A_AUTH_FAILED', `the agent refused the credentials (HTTP ${status})`, false, {
        status,
      }),
    };
  }
  const a2a = a2aErrorOf(error);
  if (a2a?.reason === 'TASK_NOT_FOUND') {
    return {
      kind: 'fail',
      error: remoteFailure('A2A_AGENT_ERROR', `the agent does not know the task: ${a2a.message}`, false, {
        reason: a2a.reason,
      }),
    };
  }
  if (a2a?.reason === 'UNSUPPORTED_OPERATION' && resubscribing) return { kind: 'finished' };
  if (a2a !== undefined) {
    // An internal error (JSON-RPC -32603) may pass (a TaskBridge agent sends one when it cuts a reader
    // that fell behind, H3); every other A2A error refuses the request for good.
    if (a2a.reason === 'INTERNAL_ERROR') {
      return { kind: 'retry', reason: `agent error: ${a2a.message}` };
    }
    return {
      kind: 'fail',
      error: remoteFailure('A2A_AGENT_ERROR', `the agent refused the request: ${a2a.message}`, false, {
        reason: a2a.reason,
      }),
    };
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return {
      kind: 'fail',
      error: remoteFailure('A2A_AGENT_ERROR', `the agent answered HTTP ${status}`, false, { status }),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    kind: 'retry',
    reason: status === undefined ? `network: ${message}` : `HTTP ${status}: ${message}`,
  };
}
