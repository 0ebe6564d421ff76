/**
 * The folded state of one task (SPEC.md §3): a pure reducer over task events, cheap enough for the data
 * path (design/recovery.md: target 100k events/s) and JSON-serialisable because it is checkpointed
 * (SPEC.md §10).
 *
 * Cost model — why `messages` is shared between snapshots:
 * every `TASK_MESSAGE` (one streamed AI token) appends one entry. Copying the array per token would make
 * a stream of n tokens cost O(n²). Instead successive snapshots of one stream share one append-only
 * array: the reducer pushes onto it when the snapshot it is given is the newest one that array has seen,
 * and copies it (once) otherwise, e.g. when an older snapshot is reduced again or a snapshot came from a
 * checkpoint. The consequence callers must know: an *older* snapshot's `messages` may show entries
 * appended after it. Read `messages` from the latest snapshot (what `getSnapshot()` returns), detect
 * changes with `eventCount`, not with the identity of `messages`, and call {@link detachTaskSnapshot}
 * before keeping a snapshot beyond the next event (the checkpoint stores do so). `text` is a plain string
 * built by concatenation (engines use ropes, so this is amortised O(1)) and is always exact.
 */
import type {
  MessageLevel,
  TaskEvent,
  TaskEventType,
  TaskSuspendedPayload,
  UnknownTaskEvent,
} from '@taskbridge/protocol';

/** Lifecycle of a task as the client sees it; `idle` until its first event. */
export type TaskSnapshotStatus = 'idle' | 'running' | 'suspended' | 'completed' | 'failed' | 'cancelled';

/** One `TASK_MESSAGE`, as folded into {@link TaskSnapshot.messages}. */
export interface TaskSnapshotMessage {
  eventId: string;
  message: string;
  /** The event's level; `'info'` when the event had none. A peer may send levels this version lacks. */
  level: MessageLevel | (string & {});
}

/** The open suspension: the `TASK_SUSPENDED` payload plus the id of the event that carried it. */
export type TaskSnapshotSuspension = TaskSuspendedPayload & { eventId: string };

/** Why a task failed, from its `TASK_FAILED` payload (filled with defaults when the peer omits fields). */
export interface TaskSnapshotError {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * The folded state of one task. Plain data, JSON-serialisable, treated as immutable — except that
 * `messages` is shared append-only between successive snapshots (see the module comment).
 */
export interface TaskSnapshot {
  readonly taskId: string;
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

/**
 * For each snapshot made by the reducer, how many entries of its (shared) `messages` array are its own.
 * A snapshot absent from this map owns its whole array, and nobody pushes onto that array.
 */
const ownLength = new WeakMap<TaskSnapshot, number>();

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
  const length = ownLength.get(snapshot);
  if (length === undefined) return snapshot;
  return { ...snapshot, messages: snapshot.messages.slice(0, length) };
}

type Payload = Readonly<Record<string, unknown>>;

function payloadOf(event: TaskEvent | UnknownTaskEvent): Payload {
  const payload: unknown = event.payload;
  return typeof payload === 'object' && payload !== null ? (payload as Payload) : {};
}

function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

function appendMessage(snapshot: TaskSnapshot, entry: TaskSnapshotMessage): TaskSnapshotMessage[] {
  const length = ownLength.get(snapshot);
  const shared = snapshot.messages as TaskSnapshotMessage[];
  // Push in place only when no later snapshot has extended this array; otherwise branch with a copy.
  const messages =
    length !== undefined && length === shared.length ? shared : shared.slice(0, length ?? shared.length);
  messages.push(entry);
  return messages;
}

type Changes = Partial<Omit<TaskSnapshot, 'taskId' | 'lastEventId' | 'eventCount'>>;

/** Changes made by a non-terminal event; payloads are read defensively because off-schema ones get here. */
function foldLive(snapshot: TaskSnapshot, type: TaskEventType, payload: Payload, eventId: string): Changes {
  // Any sign of life moves an idle task to running (its TASK_STARTED may have been trimmed from history).
  const status = snapshot.status === 'idle' ? 'running' : snapshot.status;
  switch (type) {
    case 'TASK_STARTED':
      return { status };
    case 'TASK_PROGRESS': {
      const raw = payload.progress;
      const progress =
        typeof raw === 'number' && Number.isFinite(raw) ? Math.min(100, Math.max(0, raw)) : snapshot.progress;
      return { status, progress, stage: stringOr(payload.stage, snapshot.stage) };
    }
    case 'TASK_MESSAGE': {
      if (typeof payload.message !== 'string') return { status };
      const entry = { eventId, message: payload.message, level: stringOr(payload.level, 'info') };
      return { status, messages: appendMessage(snapshot, entry), text: snapshot.text + payload.message };
    }
    case 'TASK_SUSPENDED':
      return {
        status: 'suspended',
        suspension: { ...(payload as unknown as TaskSuspendedPayload), eventId },
      };
    case 'TASK_ACTION_ACCEPTED':
      if (snapshot.suspension === null || snapshot.suspension.suspendId !== payload.suspendId)
        return { status };
      return { status: 'running', suspension: null };
    case 'TASK_COMPLETED':
    case 'TASK_FAILED':
    case 'TASK_CANCELLED':
      // Folded by foldTerminal; listed so the switch stays exhaustive over the event types.
      return {};
  }
}

/** Changes made by a terminal event, whose payload may be off-schema (peer quirk, SPEC.md §3). */
function foldTerminal(event: TaskEvent, payload: Payload): Changes {
  const ended = { suspension: null, terminalEvent: event };
  switch (event.type) {
    case 'TASK_COMPLETED':
      // `TASK_COMPLETED {"message": …}` without `result` is still a completion.
      return { ...ended, status: 'completed', result: 'result' in payload ? payload.result : null };
    case 'TASK_FAILED':
      return {
        ...ended,
        status: 'failed',
        error: {
          code: stringOr(payload.code, 'TASK_FAILED'),
          message: stringOr(payload.message, 'Task failed'),
          retryable: payload.retryable === true,
        },
      };
    default:
      // TASK_CANCELLED, with or without `reason`; the reason stays readable on `terminalEvent`.
      return { ...ended, status: 'cancelled' };
  }
}

/**
 * Folds one event into a snapshot and returns the next snapshot (the input is not modified, apart from
 * the shared `messages` array described in the module comment).
 *
 * Rules (SPEC.md §3): `TASK_STARTED` → running; `TASK_PROGRESS` sets `progress` (clamped 0–100) and
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
  const payload = payloadOf(event);
  const known = event as TaskEvent;
  let changes: Changes;
  switch (known.type) {
    case 'TASK_COMPLETED':
    case 'TASK_FAILED':
    case 'TASK_CANCELLED':
      changes = foldTerminal(known, payload);
      break;
    case 'TASK_STARTED':
    case 'TASK_PROGRESS':
    case 'TASK_MESSAGE':
    case 'TASK_SUSPENDED':
    case 'TASK_ACTION_ACCEPTED':
      changes = foldLive(snapshot, known.type, payload, event.eventId);
      break;
    default:
      changes = {};
  }
  const next: TaskSnapshot = {
    ...snapshot,
    ...changes,
    lastEventId: event.eventId,
    eventCount: snapshot.eventCount + 1,
  };
  const length = changes.messages ? changes.messages.length : ownLength.get(snapshot);
  if (length !== undefined) ownLength.set(next, length);
  return next;
}
