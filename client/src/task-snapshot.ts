/**
 * The folded state of one task (protocol/SPEC.md §3): a pure reducer over task events, cheap enough for the data
 * path (design/recovery.md: target 100k events/s) and JSON-serialisable because it is checkpointed
 * (protocol/SPEC.md §10).
 *
 * Cost model — why `messages` is shared between snapshots:
 * every `TASK_MESSAGE` (one streamed AI token) appends one entry. Copying the array per token would make
 * a stream of n tokens cost O(n²). Instead successive snapshots of one stream share one append-only
 * array: the reducer pushes onto it when the snapshot it is given is the newest one that array has seen,
 * and copies it (once) otherwise, e.g. when an older snapshot is reduced again or a snapshot came from a
 * checkpoint. The consequence callers must know: an *older* snapshot's `messages` may show entries
 * appended after it. Read `messages` from the latest snapshot (what `getSnapshot()` returns), detect
 * changes with `eventCount`, not with the identity of `messages`, and call {@link detachTaskSnapshot}
 * before keeping a snapshot beyond the next event (the checkpoint stores do so, or keep the shared array
 * with the snapshot's own count: {@link sharedMessageCount}). `text` is a plain string built by
 * concatenation (engines use ropes, so this is amortised O(1)) and is always exact.
 */
import type {
  MessageLevel,
  TaskEvent,
  TaskEventType,
  TaskSuspendedPayload,
  UnknownTaskEvent,
} from '@taskbridge/protocol';

/** Lifecycle of a task as the client sees it (protocol/SPEC.md §3); `idle` until its first event. */
export type TaskSnapshotStatus = 'idle' | 'running' | 'suspended' | 'completed' | 'failed' | 'cancelled';

/** One `TASK_MESSAGE`, as folded into {@link TaskSnapshot.messages}. */
export interface TaskSnapshotMessage {
  /** The `TASK_MESSAGE` event's id. */
  eventId: string;
  /** The message text (a streamed AI token, or a whole line). */
  message: string;
  /** The event's level; `'info'` when the event had none. A peer may send levels this version lacks. */
  level: MessageLevel | (string & {});
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
 * The folded state of one task. Data only (own enumerable fields, JSON-serialisable and
 * structured-cloneable), treated as immutable — except that `messages` is shared append-only between
 * successive snapshots (see the module comment).
 */
export interface TaskSnapshot {
  readonly taskId: string;
  /** Lifecycle derived from the events folded so far (see {@link reduceTaskSnapshot}). */
  readonly status: TaskSnapshotStatus;
  /** Last `TASK_PROGRESS.progress`, clamped to 0–100; `null` before the first one. */
  readonly progress: number | null;
  /** Last `TASK_PROGRESS.stage` that was given; `null` before the first one. */
  readonly stage: string | null;
  /** Every `TASK_MESSAGE`, in order. Shared between snapshots of one stream: read it from the latest. */
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
}

/** The snapshot of a task before any event: `status: 'idle'`, everything else empty. */
export function initialTaskSnapshot(taskId: string): TaskSnapshot {
  return {
    taskId,
    status: 'idle',
    progress: null,
    stage: null,
    messages: [],
    text: '',
    suspension: null,
    result: null,
    error: null,
    terminalEvent: null,
    lastEventId: null,
    eventCount: 0,
  };
}

/**
 * Returns a snapshot equal to `snapshot` that owns its `messages` array (exactly this snapshot's
 * entries), so it stays correct while the stream goes on. O(messages) when the array is shared, O(1)
 * otherwise. Use it before storing or handing a snapshot to code that keeps it.
 */
export function detachTaskSnapshot(snapshot: TaskSnapshot): TaskSnapshot {
  const count = sharedMessageCount(snapshot);
  if (count === undefined) return snapshot;
  return { ...snapshot, messages: snapshot.messages.slice(0, count) };
}

/**
 * How many entries of `snapshot.messages` are its own when the reducer made it and its array is shared
 * with later snapshots; `undefined` when the snapshot owns its whole array (initial, restored, detached
 * or built by hand). Entries below that count never change, so storage may keep the shared array and the
 * count instead of a copy (`checkpoint/memory.ts`). Internal.
 */
export function sharedMessageCount(snapshot: TaskSnapshot): number | undefined {
  return ReducedSnapshot.messageCountOf(snapshot);
}

type Draft = { -readonly [K in keyof TaskSnapshot]: TaskSnapshot[K] };

/**
 * A snapshot made by the reducer. Its fields are exactly {@link TaskSnapshot}'s, in the same order (so
 * `structuredClone`, JSON and deep equality see plain data); the class exists for one private field:
 * how many entries of the shared `messages` array are its own. A side table (a WeakMap per snapshot)
 * cost more than the rest of the reducer together, and one class gives every snapshot one hidden class.
 * Fields are writable only while {@link reduceTaskSnapshot} builds the instance.
 */
class ReducedSnapshot implements Draft {
  taskId: string;
  status: TaskSnapshotStatus;
  progress: number | null;
  stage: string | null;
  messages: readonly TaskSnapshotMessage[];
  text: string;
  suspension: TaskSnapshotSuspension | null;
  result: unknown;
  error: TaskSnapshotError | null;
  terminalEvent: TaskEvent | null;
  lastEventId: string | null;
  eventCount: number;
  // -1: `messages` is not ours to push onto (the previous snapshot owned its whole array).
  #messageCount: number;

  /** The next snapshot after `previous`, before the event's own changes. */
  constructor(previous: TaskSnapshot, eventId: string) {
    this.taskId = previous.taskId;
    this.status = previous.status;
    this.progress = previous.progress;
    this.stage = previous.stage;
    this.messages = previous.messages;
    this.text = previous.text;
    this.suspension = previous.suspension;
    this.result = previous.result;
    this.error = previous.error;
    this.terminalEvent = previous.terminalEvent;
    this.lastEventId = eventId;
    this.eventCount = previous.eventCount + 1;
    this.#messageCount = ReducedSnapshot.messageCountOf(previous) ?? -1;
  }

  static messageCountOf(snapshot: TaskSnapshot): number | undefined {
    // Storage may hand back anything (another version's data): never throw on a non-object.
    if (typeof snapshot !== 'object' || snapshot === null || !(#messageCount in snapshot)) return undefined;
    const count = (snapshot as ReducedSnapshot).#messageCount;
    return count < 0 ? undefined : count;
  }

  /** Appends one message: in place when no later snapshot extended the array, else on a copy (once). */
  appendMessage(entry: TaskSnapshotMessage): void {
    const shared = this.messages as TaskSnapshotMessage[];
    const count = this.#messageCount;
    const messages = count === shared.length ? shared : shared.slice(0, count < 0 ? shared.length : count);
    messages.push(entry);
    this.messages = messages;
    this.#messageCount = messages.length;
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
function foldLive(next: ReducedSnapshot, type: TaskEventType, payload: Payload, eventId: string): void {
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
 * Folds one event into a snapshot and returns the next snapshot (the input is not modified, apart from
 * the shared `messages` array described in the module comment).
 *
 * Rules (protocol/SPEC.md §3): `TASK_STARTED` → running; `TASK_PROGRESS` sets `progress` (clamped 0–100) and
 * `stage` when given; `TASK_MESSAGE` appends to `messages` and `text`; `TASK_SUSPENDED` sets `suspension`
 * and status `suspended`; `TASK_ACTION_ACCEPTED` for the open `suspendId` clears it → running;
 * `TASK_COMPLETED` / `TASK_FAILED` / `TASK_CANCELLED` set the terminal state and clear the suspension,
 * even when their payload is off-schema (peer quirk). Any non-terminal known event moves an `idle` task
 * to `running`. Unknown event types only advance `lastEventId` and `eventCount`. After a terminal event
 * the same snapshot is returned unchanged. Never throws. Deduplication is the sequencer's job: the
 * reducer folds whatever it is given.
 *
 * @param snapshot the current snapshot, e.g. {@link initialTaskSnapshot} or one restored from a checkpoint
 * @param event a known, off-schema or unknown-type event of this task
 */
export function reduceTaskSnapshot(
  snapshot: TaskSnapshot,
  event: TaskEvent | UnknownTaskEvent,
): TaskSnapshot {
  if (snapshot.terminalEvent !== null) return snapshot;
  const next = new ReducedSnapshot(snapshot, event.eventId);
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
      foldLive(next, known.type, payload, event.eventId);
      break;
    default:
    // Unknown types only advance `lastEventId` and `eventCount`.
  }
  return next;
}
