/**
 * How events live in Redis: a stream entry's one field `d` holds `{"type","createdAt","payload"}`;
 * the taskId is the stream's, the eventId the entry's id. Decoded events are frozen (hazard H2).
 */
import type { TaskEvent } from '@taskbridge/protocol';
import type { NewTaskEvent } from '../event-store';
import { deepFreeze, frozenCopyOf } from '../memory/frozen-copy';

/**
 * The stored text of `event`.
 *
 * @throws {DOMException} `DataCloneError` for payloads the memory store refuses too (functions,
 *   symbols): both backends reject the same appends.
 */
export function encodeEvent(event: NewTaskEvent): string {
  frozenCopyOf(event.payload);
  return JSON.stringify({ type: event.type, createdAt: event.createdAt, payload: event.payload });
}

/** The frozen event of a stream entry, in the envelope's key order. */
export function decodeEvent(taskId: string, eventId: string, data: string): TaskEvent {
  const stored = JSON.parse(data) as { type: string; createdAt: string; payload: unknown };
  return deepFreeze({
    type: stored.type,
    taskId,
    eventId,
    createdAt: stored.createdAt,
    payload: stored.payload,
  }) as TaskEvent;
}
