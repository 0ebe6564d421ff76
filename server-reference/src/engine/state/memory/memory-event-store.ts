import {
  compareEventIds,
  isTerminalEvent,
  type TaskEvent,
  type TerminalTaskEvent,
} from '@taskbridge/protocol';
import type {
  AppendOptions,
  AppendResult,
  EventListener,
  EventPage,
  EventStore,
  NewTaskEvent,
  StreamHead,
} from '../event-store';
import { isCursorTrimmed } from '../history-trimmed';
import { frozenCopyOf } from './frozen-copy';

/** Options of {@link createMemoryEventStore}. */
export interface MemoryEventStoreOptions {
  /**
   * Keep at most this many events per task; older ones are deleted first and reported as trimmed
   * (protocol/SPEC.md §11). `null` = unbounded. Default: unbounded (the memory backend passes its own
   * default).
   */
  maxEventsPerTask?: number | null;
  /**
   * Clock for `<ms>-<seq>` ids, ms since epoch; a clock that goes back never makes ids go back.
   * Default `Date.now`.
   */
  now?: () => number;
  /** Called once per task right after its terminal event is stored (retention schedules eviction). */
  onTerminal?: (taskId: string) => void;
}

/** The memory event store: an {@link EventStore} that can also forget a task (retention). */
export interface MemoryEventStore extends EventStore {
  /** Deletes a task's log; its live listeners stay attached to nothing. */
  delete(taskId: string): void;
}

interface TaskLog {
  /** Stored events; those before `first` were trimmed (slots cleared). */
  events: TaskEvent[];
  /** Index of the oldest retained event. */
  first: number;
  listeners: Set<EventListener>;
  lastMs: number;
  lastSeq: number;
  terminal: TerminalTaskEvent | null;
  trimmedThrough: string | null;
  epoch: number;
  updatedAt: number | null;
}

const EMPTY_HEAD: StreamHead = Object.freeze({
  lastEventId: null,
  terminal: null,
  trimmedThrough: null,
  updatedAt: null,
});

const headOf = (log: TaskLog): StreamHead => ({
  lastEventId: log.events.at(-1)?.eventId ?? null,
  terminal: log.terminal,
  trimmedThrough: log.trimmedThrough,
  updatedAt: log.updatedAt,
});

/**
 * The default {@link EventStore}: per-task arrays in memory with `<ms>-<seq>` ids like a Redis stream.
 * Each event is deep-frozen once at append (its payload copied first, so the producer keeps its own
 * objects) and then handed to listeners and readers as is: no caller can mutate stored history
 * (hazard H2), and nobody pays for a copy per read. Appends are synchronous inside, so call order is
 * storage order and the terminal claim is atomic. Fan-out iterates a snapshot of the listeners and
 * swallows a listener's throw (hazard H4). Trimming is amortised O(1) per append.
 *
 * @see protocol/SPEC.md §3 (eventId), §11 (history trimmed); hazards H2, H3, H4, H6
 */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): MemoryEventStore {
  const logs = new Map<string, TaskLog>();
  const now = options.now ?? Date.now;
  const max = options.maxEventsPerTask ?? null;

  const logOf = (taskId: string): TaskLog => {
    let log = logs.get(taskId);
    if (!log) {
      log = {
        events: [],
        first: 0,
        listeners: new Set(),
        lastMs: 0,
        lastSeq: -1,
        terminal: null,
        trimmedThrough: null,
        epoch: 0,
        updatedAt: null,
      };
      logs.set(taskId, log);
    }
    return log;
  };

  // First index (≥ log.first) whose id is strictly newer than the cursor; events are sorted by id.
  const firstAfter = (log: TaskLog, cursor: string): number => {
    let lo = log.first;
    let hi = log.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEventIds((log.events[mid] as TaskEvent).eventId, cursor) === 1) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  const trim = (log: TaskLog, cap: number) => {
    const excess = log.events.length - log.first - cap;
    if (excess <= 0) return;
    const until = log.first + excess;
    log.trimmedThrough = (log.events[until - 1] as TaskEvent).eventId;
    // Clear the slots so trimmed events can be collected; compact once they dominate the array.
    for (let i = log.first; i < until; i++) log.events[i] = undefined as never;
    log.first = until;
    if (log.first > 1024 && log.first * 2 > log.events.length) {
      log.events = log.events.slice(log.first);
      log.first = 0;
    }
  };

  const append = (event: NewTaskEvent, appendOptions: AppendOptions): AppendResult => {
    const log = logOf(event.taskId);
    if (log.terminal) return { ok: false, reason: 'terminal', terminalEventId: log.terminal.eventId };
    const { epoch } = appendOptions;
    if (epoch !== undefined) {
      if (epoch < log.epoch) return { ok: false, reason: 'fenced', epoch: log.epoch };
      log.epoch = epoch;
    }
    // Copy (and possibly throw) before the id is taken: a refused payload leaves no trace.
    const payload = frozenCopyOf(event.payload);
    const ms = Math.max(now(), log.lastMs);
    log.lastSeq = ms === log.lastMs ? log.lastSeq + 1 : 0;
    log.lastMs = ms;
    // Envelope key order as in the schema and the peer: type, taskId, eventId, createdAt, payload.
    const stored = Object.freeze({
      type: event.type,
      taskId: event.taskId,
      eventId: `${ms}-${log.lastSeq}`,
      createdAt: event.createdAt,
      payload,
    }) as TaskEvent;
    log.events.push(stored);
    log.updatedAt = ms;
    if (max !== null) trim(log, max);
    if (isTerminalEvent(stored)) log.terminal = stored;
    // Fan out over a snapshot: a listener that unsubscribes (itself or another) mid-loop cannot make
    // us skip anyone (hazard H4), and a throwing listener cannot reach the producer.
    for (const listener of Array.from(log.listeners)) {
      try {
        listener(stored);
      } catch {
        // A broken subscriber is the subscriber's problem; the event is stored.
      }
    }
    if (log.terminal === stored) options.onTerminal?.(event.taskId);
    return { ok: true, event: stored };
  };

  return {
    append(event, appendOptions = {}) {
      try {
        return Promise.resolve(append(event, appendOptions));
      } catch (error) {
        // E.g. a payload structuredClone refuses (a function): this append fails, nothing is stored.
        return Promise.reject(error);
      }
    },

    read(taskId, afterEventId, limit): Promise<EventPage> {
      const log = logs.get(taskId);
      if (!log) return Promise.resolve({ events: [], hasMore: false, head: EMPTY_HEAD, trimmed: null });
      const start = afterEventId === null ? log.first : firstAfter(log, afterEventId);
      const end = Math.min(log.events.length, start + limit);
      const trimmed = isCursorTrimmed(afterEventId, log.trimmedThrough)
        ? {
            requestedAfterEventId: afterEventId,
            firstRetainedEventId: log.events[log.first]?.eventId ?? null,
          }
        : null;
      return Promise.resolve({
        // A new array (the caller may push to it) of the frozen stored events.
        events: log.events.slice(start, end),
        hasMore: end < log.events.length,
        head: headOf(log),
        trimmed,
      });
    },

    head(taskId): Promise<StreamHead> {
      const log = logs.get(taskId);
      return Promise.resolve(log ? headOf(log) : EMPTY_HEAD);
    },

    subscribe(taskId, listener) {
      const log = logOf(taskId);
      log.listeners.add(listener);
      return Promise.resolve(() => {
        log.listeners.delete(listener);
        // A log created only to listen (nothing ever appended) must not outlive its last listener.
        if (log.listeners.size === 0 && log.events.length === 0 && logs.get(taskId) === log) {
          logs.delete(taskId);
        }
      });
    },

    delete(taskId) {
      logs.delete(taskId);
    },
  };
}
