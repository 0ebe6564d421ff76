import { compareEventIds, type TaskEvent } from '@taskbridge/protocol';
import type { EventListener, EventPage, EventStore, NewTaskEvent, RetentionInfo } from './event-store';
import { frozenCopyOf } from './frozen-copy';

/** Options of {@link createMemoryEventStore}. */
export interface MemoryEventStoreOptions {
  /** Keep at most this many events per task (oldest trimmed first). Default: unbounded. */
  maxEventsPerTask?: number;
  /**
   * Clock for `<ms>-<seq>` ids, ms since epoch; a clock that goes back never makes ids go back.
   * Default `Date.now`.
   */
  now?: () => number;
}

interface TaskLog {
  events: TaskEvent[];
  listeners: Set<EventListener>;
  lastMs: number;
  lastSeq: number;
}

/**
 * The default {@link EventStore}: per-task arrays in memory with `<ms>-<seq>` ids like a Redis stream.
 * Each event is deep-frozen once at append (its payload copied first, so the producer keeps its own
 * objects) and then handed to listeners and readers as is: no caller can mutate stored history
 * (hazard H2), and nobody pays for a copy per read. Fan-out iterates a snapshot of the listeners and
 * swallows a listener's throw (hazard H4). Never rejects.
 *
 * @see protocol/SPEC.md §3 (eventId), protocol/SPEC.md §13 (H2), H3, H4
 */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const logs = new Map<string, TaskLog>();
  const now = options.now ?? Date.now;
  const max = options.maxEventsPerTask ?? null;

  const logOf = (taskId: string): TaskLog => {
    let log = logs.get(taskId);
    if (!log) {
      log = { events: [], listeners: new Set(), lastMs: 0, lastSeq: -1 };
      logs.set(taskId, log);
    }
    return log;
  };

  // First index whose id is strictly newer than the cursor; events are sorted by id.
  const firstAfter = (events: TaskEvent[], cursor: string): number => {
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEventIds((events[mid] as TaskEvent).eventId, cursor) === 1) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  return {
    append(event: NewTaskEvent): Promise<TaskEvent> {
      const log = logOf(event.taskId);
      const ms = Math.max(now(), log.lastMs);
      log.lastSeq = ms === log.lastMs ? log.lastSeq + 1 : 0;
      log.lastMs = ms;
      // Envelope key order as in the schema and the peer: type, taskId, eventId, createdAt, payload.
      const stored = Object.freeze({
        type: event.type,
        taskId: event.taskId,
        eventId: `${ms}-${log.lastSeq}`,
        createdAt: event.createdAt,
        payload: frozenCopyOf(event.payload),
      }) as TaskEvent;
      log.events.push(stored);
      if (max !== null && log.events.length > max) log.events.splice(0, log.events.length - max);
      // Fan out over a snapshot: a listener that unsubscribes (itself or another) mid-loop cannot
      // make us skip anyone (hazard H4), and a throwing listener cannot reach the producer.
      for (const listener of Array.from(log.listeners)) {
        try {
          listener(stored);
        } catch {
          // A broken subscriber is the subscriber's problem; the event is stored.
        }
      }
      return Promise.resolve(stored);
    },

    read(taskId: string, afterEventId: string | null, limit: number): Promise<EventPage> {
      const events = logs.get(taskId)?.events ?? [];
      const start = afterEventId ? firstAfter(events, afterEventId) : 0;
      // A new array (the caller may push to it) of the frozen stored events.
      const page = events.slice(start, start + limit);
      return Promise.resolve({ events: page, hasMore: start + limit < events.length });
    },

    subscribe(taskId: string, listener: EventListener): () => void {
      const log = logOf(taskId);
      log.listeners.add(listener);
      return () => log.listeners.delete(listener);
    },

    lastEventId(taskId: string): Promise<string | null> {
      const events = logs.get(taskId)?.events;
      return Promise.resolve(events?.at(-1)?.eventId ?? null);
    },

    retention(): RetentionInfo {
      return { maxEventsPerTask: max };
    },
  };
}
