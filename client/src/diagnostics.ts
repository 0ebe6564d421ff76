/**
 * What the client reports about itself, as data: transport choices, fallbacks, climb-backs, dropped
 * duplicates, malformed or off-schema frames, credential refreshes and checkpoint failures.
 */
import type { TaskBridgeError, TransportName } from '@taskbridge/protocol';
import type { DuplicateReason } from './sequencer';

/** One diagnostic record. `taskId` is absent for client-wide records. */
export type Diagnostic =
  /** The first transport a stream went live on. */
  | { type: 'transport-selected'; taskId: string; transport: TransportName }
  /** The stream moved down the ladder (WS → SSE → polling), with the error that caused it when known. */
  | {
      type: 'fallback';
      taskId: string;
      from: TransportName;
      to: TransportName;
      error: TaskBridgeError | null;
    }
  /** A background probe of a better transport succeeded and the stream switched to it. */
  | { type: 'climb-back'; taskId: string; from: TransportName; to: TransportName }
  /** A retry was scheduled after a retryable error; `delayMs` is the backoff. */
  | { type: 'retry'; taskId: string; attempt: number; delayMs: number; error: TaskBridgeError | null }
  /** The stream failed for good. */
  | { type: 'stream-failed'; taskId: string; error: TaskBridgeError }
  /** A duplicate event was dropped by the sequencer (exactly-once delivery). */
  | {
      type: 'duplicate-dropped';
      taskId: string;
      eventId: string;
      reason: DuplicateReason;
      transport: TransportName;
    }
  /** An event for another task arrived on this task's stream: dropped, never delivered or folded. */
  | {
      type: 'foreign-event';
      taskId: string;
      eventId: string;
      eventTaskId: string;
      transport: TransportName;
    }
  /**
   * The server no longer has every event after the cursor (retention): the stream goes on from
   * `firstRetainedEventId`, or fails, per `onHistoryTrimmed` (protocol/SPEC.md §11).
   */
  | {
      type: 'history-trimmed';
      taskId: string;
      transport: TransportName;
      requestedAfterEventId: string | null;
      firstRetainedEventId: string | null;
    }
  /** An app callback (e.g. `onHistoryTrimmed`) threw; the client went on as if it had not been given. */
  | { type: 'policy-error'; taskId: string; policy: 'onHistoryTrimmed'; cause: unknown }
  /** A frame that could not be parsed; the stream went on. */
  | { type: 'malformed-frame'; taskId: string; transport: TransportName; error: TaskBridgeError }
  /** An event of a known type whose payload breaks the schema (peer quirk); delivered anyway. */
  | { type: 'off-schema-event'; taskId: string; eventId: string; eventType: string }
  /** An event type this version does not know; delivered as unknown. */
  | { type: 'unknown-event-type'; taskId: string; eventId: string; eventType: string }
  /**
   * A start under `resumeKey` that the server had answered with `previousTaskId` got another task this
   * time (the server lost the first, e.g. restarted without persistence): the work runs again.
   */
  | { type: 'task-restarted'; resumeKey: string; previousTaskId: string; taskId: string }
  /** Credentials were refreshed after a 401 or a WebSocket 1008 before the ack. */
  | { type: 'auth-refresh'; taskId?: string }
  /** The checkpoint store failed; the client fell back to memory or skipped a write. */
  | { type: 'checkpoint-error'; taskId?: string; error: TaskBridgeError };

/** Receives diagnostics; must not throw. */
export type DiagnosticListener = (diagnostic: Diagnostic) => void;

/**
 * A stream's checkpoint write failures as `checkpoint-error` diagnostics: one small function per
 * stream, made here so it captures nothing but the listener and the task id.
 */
export function reportWriteErrors(
  diagnostic: DiagnosticListener,
  taskId: string,
): (error: TaskBridgeError) => void {
  return (error) => diagnostic({ type: 'checkpoint-error', taskId, error });
}
