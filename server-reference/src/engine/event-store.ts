/**
 * The storage seam of the reference server. The engine only talks to this interface, so a Redis
 * stream (whose ids look the same: `<ms>-<seq>`) can replace the in-memory default.
 */
import type { TaskEvent, TaskEventPayloads, TaskEventType } from '@taskbridge/protocol';

/** An event before the store assigned its id: the protocol/SPEC.md §3 envelope without `eventId`. */
export type NewTaskEvent = {
  [T in TaskEventType]: { type: T; taskId: string; createdAt: string; payload: TaskEventPayloads[T] };
}[TaskEventType];

/** A page of stored events after a cursor. */
export interface EventPage {
  /** Frozen events in id order; the array itself is the caller's. */
  events: TaskEvent[];
  /** True when more events exist after the last one returned. */
  hasMore: boolean;
}

/** What the store keeps (reported by capabilities, hazard H7). */
export interface RetentionInfo {
  /** Events kept per task; `null` = unbounded. */
  maxEventsPerTask: number | null;
}

/** Receives each appended event; called synchronously from `append`, must not block (hazard H3). */
export type EventListener = (event: TaskEvent) => void;

/**
 * An append-only per-task event log with live fan-out.
 *
 * Contract: ids are strictly increasing per task (`compareEventIds` order); `append`, `read` and
 * listeners give immutable (frozen, payload included) events, never objects a caller could change
 * stored history through (hazard H2: a shared mutable object hid the subscribe race) — a store may
 * share one frozen object between all readers, and the transports cache each frozen event's JSON
 * text; `append` notifies listeners over a snapshot of the listener set (hazard H4) and never waits
 * on them (hazard H3).
 */
export interface EventStore {
  /**
   * Appends an event, assigns its `eventId` (strictly increasing per task, protocol/SPEC.md §3), notifies live
   * listeners; resolves with the stored, frozen event. The store keeps its own copy: the caller may go
   * on mutating `event`.
   */
  append(event: NewTaskEvent): Promise<TaskEvent>;
  /**
   * Events strictly after `afterEventId` (`null` = from the oldest retained), at most `limit`.
   * A cursor older than the oldest retained event reads from the oldest retained one. The events are
   * frozen; the array is the caller's (protocol/SPEC.md §3 replay: a cursor means "strictly newer").
   */
  read(taskId: string, afterEventId: string | null, limit: number): Promise<EventPage>;
  /** Subscribes to live appends of one task; returns the unsubscribe function. */
  subscribe(taskId: string, listener: EventListener): () => void;
  /** Id of the task's newest event, or `null`. */
  lastEventId(taskId: string): Promise<string | null>;
  /** Retention settings, advertised by capabilities (protocol/SPEC.md §1 E2, hazard H7). */
  retention(): RetentionInfo;
}
