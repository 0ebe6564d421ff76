/**
 * The folded state of one task (protocol/SPEC.md §3): a pure reducer over task events, cheap enough
 * for the data path and JSON-serialisable because it is checkpointed (protocol/SPEC.md §10).
 *
 * Snapshots are immutable values and cost O(1) per event however long the stream: every `TASK_MESSAGE`
 * (one streamed AI token) appends to an append-only log that successive snapshots share, and each
 * snapshot remembers how many entries of it are its own. Its `messages` is an own, enumerable getter
 * that hands out exactly those entries as a frozen array, built on first read and kept — so an older
 * snapshot never shows newer messages, and a stream of n tokens never costs O(n²). `text` is a string
 * built by concatenation (engines use ropes: amortised O(1)).
 */
import type {
  HistoryTrimmed,
  MessageLevel,
  TaskEvent,
  TaskSuspendedPayload,
  UnknownTaskEvent,
} from '@taskbridge/protocol';

/** Lifecycle of a task as the client sees it (protocol/SPEC.md §3); `idle` until its first event. */
export type TaskSnapshotStatus = 'idle' | 'running' | 'suspended' | 'completed' | 'failed' | 'cancelled';

/** One `TASK_MESSAGE`, as folded into {@link TaskSnapshot.messages}. */
export interface TaskSnapshotMessage {
  /** The `TASK_MESSAGE` event's id. */
  readonly eventId: string;
  /** The message text (a streamed AI token, or a whole line). */
  readonly message: string;
  /** The event's level; `'info'` when the event had none. A peer may send levels this version lacks. */
  readonly level: MessageLevel | (string & {});
}

/** The open suspension: the `TASK_SUSPENDED` payload plus the id of the event that carried it. */
export type TaskSnapshotSuspension = TaskSuspendedPayload & { eventId: string };

/** Why a task failed, from its `TASK_FAILED` payload (filled with defaults when the peer omits fields). */
export interface TaskSnapshotError {
  /** The task's failure code, e.g. `TASK_EXECUTION_FAILED`; `'TASK_FAILED'` when the payload has none. */
  code: string;
  /** Human-readable reason; `'Task failed'` when the payload has none. */
  message: string;
  /** Whether starting the task again may succeed; `false` when the payload does not say `true`. */
  retryable: boolean;
}

/**
 * The folded state of one task: an immutable value (reducing it returns a new snapshot and leaves it
 * as it was). Own enumerable fields only, so it spreads, serialises to JSON and structured-clones as
 * plain data.
 */
export interface TaskSnapshot {
  readonly taskId: string;
  /** Lifecycle derived from the events folded so far (see {@link reduceTaskSnapshot}). */
  readonly status: TaskSnapshotStatus;
  /** Last `TASK_PROGRESS.progress`, clamped to 0–100; `null` before the first one. */
  readonly progress: number | null;
  /** Last `TASK_PROGRESS.stage` that was given; `null` before the first one. */
  readonly stage: string | null;
  /** Every `TASK_MESSAGE` folded into this snapshot, in order (a frozen array). */
  readonly messages: readonly TaskSnapshotMessage[];
  /** Concatenation of every `TASK_MESSAGE.message`: the streamed AI answer. */
  readonly text: string;
  /** The suspension waiting for an action, or `null`. Cleared by its `TASK_ACTION_ACCEPTED` or a terminal event. */
  readonly suspension: TaskSnapshotSuspension | null;
  /** `TASK_COMPLETED.result`; `null` until then, and when the peer completes without a `result`. */
  readonly result: unknown;
  /** Set by `TASK_FAILED`; `null` otherwise. */
  readonly error: TaskSnapshotError | null;
  /** The terminal event, once seen; after it the snapshot never changes. */
  readonly terminalEvent: TaskEvent | null;
  /** `eventId` of the last event folded in (the checkpoint cursor); `null` before the first. */
  readonly lastEventId: string | null;
  /** Number of events folded in, unknown types included. */
  readonly eventCount: number;
  /**
   * Set when the server said that events after the stream's cursor are no longer retained: the
   * snapshot goes on from `firstRetainedEventId` and misses what came before it (protocol/SPEC.md
   * §11). `null` otherwise.
   */
  readonly historyTrimmed: HistoryTrimmed | null;
}

const NO_MESSAGES: readonly TaskSnapshotMessage[] = Object.freeze([]);

/** The snapshot of a task before any event: `status: 'idle'`, everything else empty. */
export function initialTaskSnapshot(taskId: string): TaskSnapshot {
  return {
    taskId,
    status: 'idle',
    progress: null,
    stage: null,
    messages: NO_MESSAGES,
    text: '',
    suspension: null,
    result: null,
    error: null,
    terminalEvent: null,
    lastEventId: null,
    eventCount: 0,
    historyTrimmed: null,
  };
}

/** An append-only log of messages shared by successive snapshots of one stream. */
type MessageLog = TaskSnapshotMessage[];

/**
 * The log behind a reducer-made snapshot and how many of its entries are the snapshot's own;
 * `undefined` for snapshots made otherwise (initial, restored, built by hand). Entries below `count`
 * never change, so storage may keep the log and the count instead of a copy. Internal.
 */
export function messageLogOf(
  snapshot: TaskSnapshot,
): { log: readonly TaskSnapshotMessage[]; count: number } | undefined {
  return ReducedSnapshot.logOf(snapshot);
}

const MESSAGES: PropertyDescriptor = {
  enumerable: true,
  configurable: false,
  get(this: ReducedSnapshot) {
    return this.ownMessages();
  },
};

type Draft = { -readonly [K in keyof TaskSnapshot]: TaskSnapshot[K] };

/**
 * A snapshot made by the reducer. Its enumerable fields are exactly {@link TaskSnapshot}'s, in the same
 * order (so spreading, `structuredClone`, JSON and deep equality see plain data); `messages` is an own
 * getter over the shared log (see the module comment). Fields are written only while
 * {@link reduceTaskSnapshot} builds the instance.
 */
class ReducedSnapshot implements Omit<Draft, 'messages'> {
  // Declared only: the constructor defines them, in this order (a class field would come first).
  declare taskId: string;
  declare status: TaskSnapshotStatus;
  declare progress: number | null;
  declare stage: string | null;
  declare readonly messages: readonly TaskSnapshotMessage[];
  declare text: string;
  declare suspension: TaskSnapshotSuspension | null;
  declare result: unknown;
  declare error: TaskSnapshotError | null;
  declare terminalEvent: TaskEvent | null;
  declare lastEventId: string | null;
  declare eventCount: number;
  declare historyTrimmed: HistoryTrimmed | null;
  #log: MessageLog;
  #count: number;
  #messages: readonly TaskSnapshotMessage[] | undefined;

  /** A copy of `previous` (the reducer then applies one event to it). */
  constructor(previous: TaskSnapshot) {
    this.taskId = previous.taskId;
    this.status = previous.status;
    this.progress = previous.progress;
    this.stage = previous.stage;
    Object.defineProperty(this, 'messages', MESSAGES);
    this.text = previous.text;
    this.suspension = previous.suspension;
    this.result = previous.result;
    this.error = previous.error;
    this.terminalEvent = previous.terminalEvent;
    this.lastEventId = previous.lastEventId;
    this.eventCount = previous.eventCount;
    this.historyTrimmed = previous.historyTrimmed ?? null;
    if (#log in previous) {
      this.#log = previous.#log;
      this.#count = previous.#count;
    } else {
      // A snapshot we did not make owns a plain array: start a log from it (one copy per stream).
      this.#log = Array.isArray(previous.messages) ? previous.messages.slice() : [];
      this.#count = this.#log.length;
    }
  }

  static logOf(snapshot: TaskSnapshot): { log: MessageLog; count: number } | undefined {
    // Storage may hand back anything (another version's data): never throw on a non-object.
    if (typeof snapshot !== 'object' || snapshot === null || !(#log in snapshot)) return undefined;
    const reduced = snapshot as ReducedSnapshot;
    return { log: reduced.#log, count: reduced.#count };
  }

  ownMessages(): readonly TaskSnapshotMessage[] {
    if (this.#messages === undefined) {
      this.#messages = this.#count === 0 ? NO_MESSAGES : Object.freeze(this.#log.slice(0, this.#count));
    }
    return this.#messages;
  }

  /** Appends one message: onto the shared log when no later snapshot extended it, else onto a copy. */
  appendMessage(entry: TaskSnapshotMessage): void {
    if (this.#log.length !== this.#count) this.#log = this.#log.slice(0, this.#count);
    this.#log.push(entry);
    this.#count += 1;
    this.text += entry.message;
  }
}

type Payload = Readonly<Record<string, unknown>>;

function payloadOf(event: TaskEvent | UnknownTaskEvent): Payload {
  const payload: unknown = event.payload;
  return typeof payload === 'object' && payload !== null ? (payload as Payload) : {};
}

function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

/** Applies a non-terminal event; payloads are read defensively because off-schema ones get here. */
function foldLive(next: ReducedSnapshot, event: TaskEvent, payload: Payload): void {
  const { type, eventId } = event;
  // Any sign of life moves an idle task to running (its TASK_STARTED may have been trimmed from history).
  if (next.status === 'idle') next.status = 'running';
  switch (type) {
    case 'TASK_STARTED':
      return;
    case 'TASK_PROGRESS': {
      const raw = payload.progress;
      if (typeof raw === 'number' && Number.isFinite(raw)) next.progress = Math.min(100, Math.max(0, raw));
      next.stage = stringOr(payload.stage, next.stage);
      return;
    }
    case 'TASK_MESSAGE':
      if (typeof payload.message !== 'string') return;
      next.appendMessage({ eventId, message: payload.message, level: stringOr(payload.level, 'info') });
      return;
    case 'TASK_SUSPENDED':
      next.status = 'suspended';
      next.suspension = { ...(payload as unknown as TaskSuspendedPayload), eventId };
      return;
    case 'TASK_ACTION_ACCEPTED':
      if (next.suspension !== null && next.suspension.suspendId === payload.suspendId) {
        next.status = 'running';
        next.suspension = null;
      }
      return;
    case 'TASK_COMPLETED':
    case 'TASK_FAILED':
    case 'TASK_CANCELLED':
      // Folded by foldTerminal; listed so the switch stays exhaustive over the event types.
      return;
  }
}

/** Applies a terminal event, whose payload may be off-schema (peer quirk, protocol/SPEC.md §3). */
function foldTerminal(next: ReducedSnapshot, event: TaskEvent, payload: Payload): void {
  next.suspension = null;
  next.terminalEvent = event;
  switch (event.type) {
    case 'TASK_COMPLETED':
      // `TASK_COMPLETED {"message": …}` without `result` is still a completion.
      next.status = 'completed';
      next.result = 'result' in payload ? payload.result : null;
      return;
    case 'TASK_FAILED':
      next.status = 'failed';
      next.error = {
        code: stringOr(payload.code, 'TASK_FAILED'),
        message: stringOr(payload.message, 'Task failed'),
        retryable: payload.retryable === true,
      };
      return;
    default:
      // TASK_CANCELLED, with or without `reason`; the reason stays readable on `terminalEvent`.
      next.status = 'cancelled';
  }
}

/**
 * Folds one event into a snapshot and returns the next snapshot; `snapshot` is left as it was. O(1)
 * per event, whatever the length of the stream.
 *
 * Rules (protocol/SPEC.md §3): `TASK_STARTED` → running; `TASK_PROGRESS` sets `progress` (clamped
 * 0–100) and `stage` when given; `TASK_MESSAGE` appends to `messages` and `text`; `TASK_SUSPENDED` sets
 * `suspension` and status `suspended`; `TASK_ACTION_ACCEPTED` for the open `suspendId` clears it →
 * running; `TASK_COMPLETED` / `TASK_FAILED` / `TASK_CANCELLED` set the terminal state and clear the
 * suspension, even when their payload is off-schema (peer quirk). Any non-terminal known event moves
 * an `idle` task to `running`. Unknown event types only advance `lastEventId` and `eventCount`. After a
 * terminal event the same snapshot is returned unchanged. Never throws. Deduplication is the
 * sequencer's job: the reducer folds whatever it is given.
 *
 * @param snapshot the current snapshot, e.g. {@link initialTaskSnapshot} or one restored from a checkpoint
 * @param event a known, off-schema or unknown-type event of this task
 */
export function reduceTaskSnapshot(
  snapshot: TaskSnapshot,
  event: TaskEvent | UnknownTaskEvent,
): TaskSnapshot {
  if (snapshot.terminalEvent !== null) return snapshot;
  const next = new ReducedSnapshot(snapshot);
  next.lastEventId = event.eventId;
  next.eventCount += 1;
  const payload = payloadOf(event);
  const known = event as TaskEvent;
  switch (known.type) {
    case 'TASK_COMPLETED':
    case 'TASK_FAILED':
    case 'TASK_CANCELLED':
      foldTerminal(next, known, payload);
      break;
    case 'TASK_STARTED':
    case 'TASK_PROGRESS':
    case 'TASK_MESSAGE':
    case 'TASK_SUSPENDED':
    case 'TASK_ACTION_ACCEPTED':
      foldLive(next, known, payload);
      break;
    default:
    // Unknown types only advance `lastEventId` and `eventCount`.
  }
  return next as unknown as TaskSnapshot;
}

/** `snapshot` with `historyTrimmed` set (protocol/SPEC.md §11); everything else unchanged. */
export function withHistoryTrimmed(snapshot: TaskSnapshot, info: HistoryTrimmed): TaskSnapshot {
  const next = new ReducedSnapshot(snapshot);
  next.historyTrimmed = info;
  return next as unknown as TaskSnapshot;
}
