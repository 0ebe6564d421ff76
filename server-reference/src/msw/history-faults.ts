/**
 * Applies a {@link HistoryFault} to a replay cursor (protocol/SPEC.md §3): moves it back (duplicate replay) or
 * forward past events a trimmed history no longer has — and then says so exactly as real retention
 * does (protocol/SPEC.md §11): the poll field, the WebSocket ack field and the SSE named event all come
 * from the same `HistoryTrimmed`. The engine serves the moved cursor with its usual semantics, so
 * replay, live and terminal behaviour stay the engine's own.
 */
import { compareEventIds, type HistoryTrimmed, PollLimits, type TaskEvent } from '@taskbridge/protocol';
import type { Subscription } from '../engine/subscription';
import type { TaskEngine } from '../engine/task-engine';
import type { AuthContext } from '../engine/types';
import { checkCursor } from '../engine/validation';
import type { HistoryFault } from './faults';

async function readAll(engine: TaskEngine, taskId: string): Promise<TaskEvent[]> {
  const all: TaskEvent[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await engine.backend.events.read(taskId, cursor, PollLimits.MAX_EVENTS);
    all.push(...page.events);
    const last = page.events.at(-1);
    if (!page.hasMore || !last) return all;
    cursor = last.eventId;
  }
}

/** The cursor to serve under a fault, and the trimmed signal the fault implies (or `null`). */
export interface CursorUnderFault {
  cursor: string | null;
  trimmed: HistoryTrimmed | null;
}

/**
 * The cursor to serve instead of `cursor` under `fault`. Under `trimmed`, a cursor older than the
 * newest `keep` events (or none) moves to just before them and the result carries the signal.
 *
 * @throws {TaskBridgeError} `TASK_NOT_FOUND` for unknown/foreign tasks and `INVALID_REQUEST` for a
 *   malformed cursor, exactly as without the fault (ownership and cursor are checked first).
 */
export async function cursorUnderFault(
  engine: TaskEngine,
  auth: AuthContext,
  taskId: string,
  cursor: string | null | undefined,
  fault: HistoryFault | undefined,
): Promise<CursorUnderFault> {
  await engine.getTask(auth, taskId);
  const checked = checkCursor(cursor);
  if (!fault) return { cursor: checked, trimmed: null };
  const events = await readAll(engine, taskId);
  // Index of the first event strictly newer than the cursor.
  const next = checked === null ? 0 : events.findIndex((e) => compareEventIds(e.eventId, checked) === 1);
  const firstNewer = next === -1 ? events.length : next;
  if (fault.kind === 'duplicate') {
    const from = Math.max(0, firstNewer - (fault.events ?? 2));
    return { cursor: from === 0 ? null : (events[from - 1] as TaskEvent).eventId, trimmed: null };
  }
  const oldestRetained = Math.max(0, events.length - fault.keep);
  if (firstNewer >= oldestRetained) return { cursor: checked, trimmed: null };
  return {
    cursor: oldestRetained === 0 ? null : (events[oldestRetained - 1] as TaskEvent).eventId,
    trimmed: {
      requestedAfterEventId: checked,
      firstRetainedEventId: events[oldestRetained]?.eventId ?? null,
    },
  };
}

/** `subscription`, reporting `trimmed` as its {@link Subscription.historyTrimmed} when set. */
export function withHistoryTrimmed(subscription: Subscription, trimmed: HistoryTrimmed | null): Subscription {
  if (!trimmed) return subscription;
  return {
    next: () => subscription.next(),
    close: () => subscription.close(),
    get closed() {
      return subscription.closed;
    },
    get endedAtTerminal() {
      return subscription.endedAtTerminal;
    },
    historyTrimmed: trimmed,
    return: () => subscription.return?.() ?? Promise.resolve({ done: true, value: undefined }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Subscribes under an optional history fault: the moved cursor, and the fault's trimmed signal (else
 * the engine's own).
 */
export async function subscribeUnderFault(
  engine: TaskEngine,
  auth: AuthContext,
  taskId: string,
  cursor: string | null | undefined,
  fault: HistoryFault | undefined,
): Promise<Subscription> {
  const served = await cursorUnderFault(engine, auth, taskId, cursor, fault);
  return withHistoryTrimmed(await engine.subscribe(auth, taskId, served.cursor), served.trimmed);
}
