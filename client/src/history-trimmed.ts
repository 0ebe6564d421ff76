/**
 * The client side of "history trimmed" (protocol/SPEC.md §11): the server no longer has every event
 * after the stream's cursor (retention deleted them), says so, and serves the retained tail. The
 * client never hides it: a `history-trimmed` diagnostic, the snapshot's `historyTrimmed`, and the
 * app's policy — continue from the retained tail, fail the stream, or decide in a callback (e.g. to
 * resync the task's state by other means).
 */
import { type HistoryTrimmed, TaskBridgeError, type TransportName } from '@taskbridge/protocol';
import type { DiagnosticListener } from './diagnostics';

/** What a policy callback is told. */
export interface HistoryTrimmedInfo extends HistoryTrimmed {
  /** The stream's task. */
  taskId: string;
  /** The transport that carried the signal. */
  transport: TransportName;
}

/**
 * What to do when the history after the cursor was trimmed (protocol/SPEC.md §11):
 * - `'continue'`: go on from the retained tail (the snapshot's `historyTrimmed` says events are missing);
 * - `'fail'`: fail the stream with `TaskBridgeError` `HISTORY_TRIMMED` (not retryable; `details` hold the
 *   info);
 * - a function: called once per signal, synchronously, before the retained events are delivered; it
 *   returns `'fail'` to fail the stream, anything else to continue (e.g. after scheduling a resync of
 *   the task's state with `getTaskStatus`). What it throws is reported and reads as `'continue'`.
 */
export type HistoryTrimmedPolicy =
  'continue' | 'fail' | ((info: HistoryTrimmedInfo) => 'continue' | 'fail' | void);

/**
 * Reports the signal and applies `policy`.
 *
 * @returns the error to fail the stream with, or `null` to continue.
 */
export function applyHistoryTrimmed(
  info: HistoryTrimmedInfo,
  policy: HistoryTrimmedPolicy,
  diagnostic: DiagnosticListener,
): TaskBridgeError | null {
  diagnostic({ type: 'history-trimmed', ...info });
  let decision: 'continue' | 'fail' | void = 'continue';
  if (typeof policy === 'function') {
    try {
      decision = policy(info);
    } catch (cause) {
      diagnostic({ type: 'policy-error', taskId: info.taskId, policy: 'onHistoryTrimmed', cause });
    }
  } else {
    decision = policy;
  }
  if (decision !== 'fail') return null;
  const { requestedAfterEventId, firstRetainedEventId } = info;
  return new TaskBridgeError({
    code: 'HISTORY_TRIMMED',
    message: `events after ${requestedAfterEventId ?? 'the start'} are no longer retained by the server (first retained: ${firstRetainedEventId ?? 'none'})`,
    retryable: false,
    details: { requestedAfterEventId, firstRetainedEventId, transport: info.transport },
  });
}
