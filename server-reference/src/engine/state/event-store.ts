/**
 * The event log seam of the engine: per-task, append-only, ordered by `eventId`, with a live tail.
 * The memory backend implements it with arrays; a Redis backend with one stream per task (whose ids
 * look the same: `<ms>-<seq>`).
 */
import type {
  HistoryTrimmed,
  TaskBridgeError,
  TaskEvent,
  TaskEventPayloads,
  TaskEventType,
  TerminalTaskEvent,
} from '@taskbridge/protocol';

/** An event before the store assigned its id: the protocol/SPEC.md §3 envelope without `eventId`. */
export type NewTaskEvent = {
  [T in TaskEventType]: { type: T; taskId: string; createdAt: string; payload: TaskEventPayloads[T] };
}[TaskEventType];

/** Options of {@link EventStore.append}. */
export interface AppendOptions {
  /**
   * Fencing token of the writer (the runner's attempt number, ≥ 1). An append whose `epoch` is lower
   * than the highest epoch the task's log has seen is refused with `reason: 'fenced'`, so a stale
   * runner (one whose lease expired while it was paused) cannot interleave writes with its successor.
   * A higher epoch raises the log's epoch. Default: none — the append is not fenced (API-side writes:
   * `TASK_CANCELLED`, `TASK_ACTION_ACCEPTED`).
   */
  epoch?: number;
}

/**
 * What an append did. Refusals are results, not errors: they are expected outcomes of the races the
 * store arbitrates (hazard H6), and callers branch on them.
 */
export type AppendResult =
  | { ok: true; event: TaskEvent }
  /** A terminal event is already stored: nothing may follow it, and the first terminal event wins. */
  | { ok: false; reason: 'terminal'; terminalEventId: string }
  /** `options.epoch` is lower than the log's epoch: the writer was superseded. */
  | { ok: false; reason: 'fenced'; epoch: number };

/** Where a task's log stands. */
export interface StreamHead {
  /** The newest event's id, or `null` before the first append. Never goes back, even after trimming. */
  lastEventId: string | null;
  /** The terminal event once it is stored, else `null`. */
  terminal: TerminalTaskEvent | null;
  /**
   * The newest eventId deleted by retention (the per-task cap), or `null` when nothing was deleted
   * (protocol/SPEC.md §11).
   */
  trimmedThrough: string | null;
  /** When the newest event was appended, ms since epoch; `null` before the first append. */
  updatedAt: number | null;
}

/** A page of stored events after a cursor. */
export interface EventPage {
  /** Frozen events in id order; the array itself is the caller's. */
  events: TaskEvent[];
  /** True when more events exist after the last one returned. */
  hasMore: boolean;
  /** Where the log stood when the page was read — the same snapshot as `events`. */
  head: StreamHead;
  /**
   * Set when events strictly after the requested cursor were deleted by retention — the cursor is
   * `null` and something was trimmed, or it is older than `head.trimmedThrough` (see
   * `isCursorTrimmed`; protocol/SPEC.md §11). `events` then start at the oldest retained event, whose
   * id is `firstRetainedEventId`. `null` otherwise.
   */
  trimmed: HistoryTrimmed | null;
}

/**
 * Receives each event appended after the live attach. Called in id order, at most once per event; must
 * not block (hazard H3) and should not throw (a throw is swallowed: hazard H4).
 */
export type EventListener = (event: TaskEvent) => void;

/** Options of {@link EventStore.subscribe}. */
export interface LiveOptions {
  /**
   * Called at most once when the store can no longer promise every later event to this listener
   * (e.g. a Redis subscriber connection dropped and the gap could not be filled). No event follows;
   * the subscriber should end so its client resumes from its checkpoint. Default: none (the memory
   * store never loses its tail).
   */
  onLost?: (error: TaskBridgeError) => void;
}

/**
 * An append-only, per-task event log with a live tail (protocol/SPEC.md §3).
 *
 * Contract, for every implementation:
 * - **Ids** are strictly increasing per task (`compareEventIds` order) and never reused, trimming
 *   included.
 * - **Order**: appends of one task are stored in the order `append` was *called*, even when the
 *   caller does not wait for one to settle before the next (a Redis store pipelines them on one
 *   connection); a rejected append does not stop later ones.
 * - **Terminal claim**: the first terminal event appended wins, atomically across every process
 *   sharing the store; every later append of that task, terminal or not, is refused (hazard H6).
 * - **Immutability**: `append`, `read` and listeners give frozen events (payload included); callers
 *   may share them and the transports cache each one's JSON text (hazard H2: a shared mutable object
 *   hid the subscribe race). The store keeps its own copy: the producer may go on mutating its objects.
 * - **Live tail** (hazard H2): `subscribe` resolves only once the live attach is in effect; every
 *   event appended after that reaches the listener. History is read *after* it resolves and merged
 *   by `eventId`, so an event may arrive both ways; readers drop what they already have.
 * - **Fan-out** iterates a snapshot of the task's listeners (hazard H4), never waits on them (H3), and
 *   a listener's throw never reaches the producer.
 * - **Retention**: a store may keep at most a cap of events per task (oldest deleted first, recorded as
 *   `trimmedThrough`) and may delete a finished task's log after a time-to-live; `read` reports a
 *   trimmed cursor in {@link EventPage.trimmed}.
 * - **Errors**: a store that cannot reach its storage rejects with a `TaskBridgeError` (the wire
 *   layer answers 503 for a `status` of 503), and never hangs without bound.
 */
export interface EventStore {
  /**
   * Appends an event and assigns its `eventId` (protocol/SPEC.md §3), or refuses it (terminal already
   * stored, stale epoch). On success live listeners are notified and the stored, frozen event is
   * returned.
   *
   * @throws rejects with the payload's clone error (e.g. `DataCloneError` for a function) or a
   *   storage error; nothing is stored then.
   */
  append(event: NewTaskEvent, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Events strictly after `afterEventId` (`null` = from the oldest retained), at most `limit` (≥ 1).
   * A cursor older than the oldest retained event reads from the oldest retained one and reports it
   * in {@link EventPage.trimmed}. A cursor that is not a stored id reads what is newer than it. An
   * unknown task reads as empty. The cursor must already be validated (`checkCursor`).
   */
  read(taskId: string, afterEventId: string | null, limit: number): Promise<EventPage>;
  /** Where the task's log stands (an unknown or evicted task: all `null`). */
  head(taskId: string): Promise<StreamHead>;
  /**
   * Attaches `listener` to the task's live appends; resolves with the detach function once the attach
   * is in effect (hazard H2: attach first, read history second). Detaching is idempotent and
   * synchronous for the caller (the store may finish it in the background).
   */
  subscribe(taskId: string, listener: EventListener, options?: LiveOptions): Promise<() => void>;
}
