/**
 * What the page prints for a snapshot and a connection. A stage belongs to a running task: once the task
 * ended, the line says how, with the reason when it failed.
 */
import type { ConnectionState, TaskBridgeError, TaskSnapshot } from '@taskbridge/client';

/** The line under the progress bar, e.g. `running · streaming`, `failed · TASK_EXECUTION_FAILED: …`. */
export function statusLabel(snapshot: TaskSnapshot): string {
  switch (snapshot.status) {
    case 'failed':
      return snapshot.error ? `failed · ${snapshot.error.code}: ${snapshot.error.message}` : 'failed';
    case 'completed':
    case 'cancelled':
      return snapshot.status;
    default:
      return snapshot.stage ? `${snapshot.status} · ${snapshot.stage}` : snapshot.status;
  }
}

/** The badge, e.g. `websocket · live · retries 0`, or `failed · TASK_NOT_FOUND` when the stream gave up. */
export function connectionLabel(connection: ConnectionState): string {
  const base = `${connection.transport ?? 'none'} · ${connection.status} · retries ${connection.attempt}`;
  return connection.status === 'failed' && connection.error ? `${base} · ${connection.error.code}` : base;
}

/** Why the stream could not go on (its observable errored), e.g. `stream failed · TASK_NOT_FOUND: …`. */
export function streamFailureLabel(error: TaskBridgeError): string {
  return `stream failed · ${error.code}: ${error.message}`;
}
