/**
 * TaskBridge errors as A2A errors: the SDK's transports turn these into JSON-RPC error codes (and SSE
 * error events), so the mapping decides what an A2A client can branch on.
 */
import {
  A2AError,
  RequestMalformedError,
  TaskNotFoundError,
  UnsupportedOperationError,
} from '@a2a-js/sdk/errors';
import { TaskBridgeError } from '@taskbridge/protocol';

const MALFORMED_CODES: ReadonlySet<string> = new Set([
  'INVALID_REQUEST',
  'IDEMPOTENCY_CONFLICT',
  'UPLOAD_VALIDATION_ERROR',
  'REQUEST_VALIDATION_ERROR',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
]);

/**
 * Maps a failure to the A2A error an A2A client sees: `TASK_NOT_FOUND` → `TaskNotFoundError`
 * (-32001); request errors (400/409/413/415/422 codes) → `RequestMalformedError` (-32602); A2A errors
 * as they are; other TaskBridge errors → a plain `A2AError` (-32603) whose metadata keeps the
 * TaskBridge `code` and whether it is `retryable`; anything else → `A2AError('internal error')`.
 * Never exposes a stack trace.
 */
export function toA2AError(error: unknown): Error {
  if (error instanceof A2AError) return error;
  // Anything but our own errors may carry internals in its message: say no more than "internal".
  if (!(error instanceof TaskBridgeError)) return new A2AError({ message: 'internal error' });
  const failure = error;
  const metadata = { taskbridgeCode: failure.code, retryable: String(failure.retryable) };
  if (failure.code === 'TASK_NOT_FOUND') return new TaskNotFoundError({ message: failure.message, metadata });
  if (MALFORMED_CODES.has(failure.code))
    return new RequestMalformedError({ message: failure.message, metadata });
  return new A2AError({ message: failure.message, metadata });
}

/** The SDK's error for a task that cannot take a message or a subscription any more. */
export function terminalTaskError(taskId: string, state: number, what: string): Error {
  return new UnsupportedOperationError(
    `Task ${taskId} is in a terminal state (${state}) and cannot be ${what}.`,
  );
}
