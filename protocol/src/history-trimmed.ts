/**
 * The "history trimmed" extension (protocol/SPEC.md §11), additive to TaskBridge v1: when a cursor is
 * older than the oldest event a server still retains — events strictly after it were deleted by
 * retention — the server says so on every transport, then serves the retained tail. A v1 client that
 * ignores the signal keeps working (it simply does not learn that it missed events).
 */

/** Name of the extension in capabilities `extensions` (protocol/SPEC.md §1 E2, §11). */
export const HISTORY_TRIMMED_EXTENSION = 'history-trimmed';

/**
 * Name of the SSE event that carries the signal (protocol/SPEC.md §5, §11): sent once, before the
 * replay, without an `id:` line, so a v1 client's `onmessage` never sees it.
 */
export const HISTORY_TRIMMED_SSE_EVENT = 'history-trimmed';

/**
 * What was trimmed (protocol/SPEC.md §11): in the poll response (`historyTrimmed`), in the WebSocket
 * `SUBSCRIPTION_CONFIRMED` ack (`historyTrimmed`) and, with `taskId`, as the SSE `history-trimmed`
 * event's data. Present only when the cursor was trimmed.
 */
export interface HistoryTrimmed {
  /** The cursor the client asked for (`null` when it asked from the beginning). */
  requestedAfterEventId: string | null;
  /** The oldest event still retained, where the served stream starts; `null` when none is retained. */
  firstRetainedEventId: string | null;
}

/** Data of the SSE `history-trimmed` event (protocol/SPEC.md §5, §11). */
export interface HistoryTrimmedSseData extends HistoryTrimmed {
  taskId: string;
}
