/**
 * Event store wrappers for hazard tests: one holds a history read open while the task moves on
 * (hazard H2), one records what every live listener was given and when it left (hazards H3, H4).
 * They wrap any backend's event store.
 */
import type { TaskEvent } from '@taskbridge/protocol';
import type { EventListener, EventPage, EventStore } from '@taskbridge/server-reference';
import { createDeferred, type Deferred } from './hazard-deferred';

/** A read held by {@link HoldingStore.holdNextEmptyRead}. */
export interface HeldRead {
  /** Resolves when a matching read took its snapshot and is being held. */
  entered: Promise<void>;
  /** Lets the held read return its (now stale) snapshot. */
  release(): void;
}

/** A store whose `read` can be held after taking its snapshot. */
export interface HoldingStore extends EventStore {
  /**
   * Holds the next `read` of `taskId` whose snapshot has no events: that is the read after which a
   * racy subscriber would decide "caught up" and attach to live events too late.
   */
  holdNextEmptyRead(taskId: string): HeldRead;
  /** Number of `read` calls so far. */
  readonly reads: number;
}

/** Wraps `inner` so one read at a time can be held open (hazard H2). */
export function createHoldingStore(inner: EventStore): HoldingStore {
  let armed: { taskId: string; entered: Deferred; released: Deferred } | undefined;
  let reads = 0;
  return {
    append: (event, options) => inner.append(event, options),
    subscribe: (taskId, listener, options) => inner.subscribe(taskId, listener, options),
    head: (taskId) => inner.head(taskId),
    async read(taskId, afterEventId, limit): Promise<EventPage> {
      reads += 1;
      // Snapshot first, then wait: the page goes stale while the task keeps appending.
      const page = await inner.read(taskId, afterEventId, limit);
      const hold = armed;
      if (hold && hold.taskId === taskId && page.events.length === 0) {
        armed = undefined;
        hold.entered.resolve();
        await hold.released.promise;
      }
      return page;
    },
    holdNextEmptyRead(taskId) {
      const hold = { taskId, entered: createDeferred(), released: createDeferred() };
      armed = hold;
      return { entered: hold.entered.promise, release: () => hold.released.resolve() };
    },
    get reads() {
      return reads;
    },
  };
}

/** What one live listener of an {@link ObservedStore} was given. */
export interface ListenerRecord {
  taskId: string;
  /** Events handed to the listener. */
  delivered: TaskEvent[];
  /** True once it unsubscribed. */
  unsubscribed: boolean;
  /** Events of its task appended before it unsubscribed (its whole life if still attached). */
  appendsWhileAttached: number;
}

/** A store that records its live listeners. */
export interface ObservedStore extends EventStore {
  /** Every listener ever attached, in attach order. */
  readonly listeners: readonly ListenerRecord[];
  /** For each appended event: how many listeners of its task were attached at that moment. */
  attachedAt(eventId: string): number | undefined;
}

/** Wraps `inner` to record listeners (hazards H3, H4). */
export function createObservedStore(inner: EventStore): ObservedStore {
  const records: ListenerRecord[] = [];
  const attachedCount = new Map<string, number>();
  return {
    async append(event, options) {
      const live = records.filter((r) => r.taskId === event.taskId && !r.unsubscribed);
      for (const record of live) record.appendsWhileAttached += 1;
      const result = await inner.append(event, options);
      if (result.ok) attachedCount.set(result.event.eventId, live.length);
      return result;
    },
    read: (taskId, afterEventId, limit) => inner.read(taskId, afterEventId, limit),
    head: (taskId) => inner.head(taskId),
    async subscribe(taskId, listener: EventListener, options) {
      const record: ListenerRecord = { taskId, delivered: [], unsubscribed: false, appendsWhileAttached: 0 };
      records.push(record);
      const unsubscribe = await inner.subscribe(
        taskId,
        (event) => {
          record.delivered.push(event);
          listener(event);
        },
        options,
      );
      return () => {
        record.unsubscribed = true;
        unsubscribe();
      };
    },
    listeners: records,
    attachedAt: (eventId) => attachedCount.get(eventId),
  };
}
