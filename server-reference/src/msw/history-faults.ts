/**
 * Applies a {@link HistoryFault} to a replay cursor (protocol/SPEC.md §3): moves it back (duplicate replay) or
 * forward past events a trimmed history no longer has. The engine then serves the moved cursor with
 * its usual semantics, so replay, live and terminal behaviour stay the engine's own.
 */
import { compareEventIds, PollLimits, type TaskEvent } from '@taskbridge/protocol';
import { checkCursor, type TaskEngine } from '../engine/task-engine';
import type { AuthContext } from '../engine/types';
import type { HistoryFault } from './faults';

async function readAll(engine: TaskEngine, taskId: string): Promise<TaskEvent[]> {
  const all: TaskEvent[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await engine.store.read(taskId, cursor, PollLimits.MAX_EVENTS);
    all.push(...page.events);
    const last = page.events.at(-1);
    if (!page.hasMore || !last) return all;
    cursor = last.eventId;
  }
}

/**
 * The cursor to serve instead of `cursor` under `fault`.
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
): Promise<string | null> {
  engine.getTask(auth, taskId);
  const checked = checkCursor(cursor);
  if (!fault) return checked;
  const events = await readAll(engine, taskId);
  // Index of the first event strictly newer than the cursor.
  const next = checked === null ? 0 : events.findIndex((e) => compareEventIds(e.eventId, checked) === 1);
  const firstNewer = next === -1 ? events.length : next;
  if (fault.kind === 'duplicate') {
    const from = Math.max(0, firstNewer - (fault.events ?? 2));
    return from === 0 ? null : (events[from - 1] as TaskEvent).eventId;
  }
  const oldestRetained = Math.max(0, events.length - fault.keep);
  if (firstNewer >= oldestRetained) return checked;
  return oldestRetained === 0 ? null : (events[oldestRetained - 1] as TaskEvent).eventId;
}
