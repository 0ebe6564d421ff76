/**
 * One subscriber's view of a task's stream: replay after a cursor, then live events, ending after the
 * terminal event. Implements hazards H2 (subscribe, then replay, then drain), H3 (bounded queue with
 * overflow disconnect) and H1 (the stream ends after the terminal event, on every path).
 */
import { compareEventIds, isTerminalEvent, TaskBridgeError, type TaskEvent } from '@taskbridge/protocol';
import type { EventStore } from './event-store';

/** What a subscriber pulls: a batch of events, or the one-time notice that replay is done. */
export type SubscriptionItem = { kind: 'events'; events: TaskEvent[] } | { kind: 'caught-up' };

/** Options of {@link openSubscription}. */
export interface SubscriptionOptions {
  taskId: string;
  /** Replay strictly after this id; `null` = from the oldest retained event. */
  cursor: string | null;
  /** Max live events queued for this subscriber before it is disconnected (hazard H3). */
  maxQueuedEvents: number;
  /** Events per history read. */
  replayPageSize: number;
  /** True when the task already has its terminal event (checked after the live attach). */
  isTerminal: () => boolean;
  /** Called once when the subscription ends, for whatever reason. */
  onFinish?: () => void;
}

/**
 * A pull-based subscription. Iterate it with `for await`; iteration ends after the batch holding the
 * terminal event, or at once when the task is terminal and nothing is newer than the cursor.
 *
 * @throws {TaskBridgeError} code `RATE_LIMITED` (details.reason `subscriber_overflow`) from `next()`
 *   when the subscriber fell more than `maxQueuedEvents` behind; it can resume from its checkpoint.
 */
export interface Subscription extends AsyncIterableIterator<SubscriptionItem, undefined> {
  next(): Promise<IteratorResult<SubscriptionItem, undefined>>;
  /** Stops the subscription; a pending `next()` resolves as done. Idempotent. */
  close(): void;
  /** True once the subscription ended (terminal event, `close()` or overflow). */
  readonly closed: boolean;
  /** True when iteration ended because the task is terminal (not because of `close()` or overflow). */
  readonly endedAtTerminal: boolean;
}

const DONE: IteratorResult<SubscriptionItem, undefined> = { done: true, value: undefined };

/** Opens a subscription: attaches to live appends first, then replays history (hazard H2). */
export function openSubscription(store: EventStore, options: SubscriptionOptions): Subscription {
  let cursor = options.cursor;
  let live: TaskEvent[] = [];
  let replaying = true;
  // Once a live event was delivered, everything queued after it is newer (store ids only grow).
  let liveDelivered = false;
  let caughtUpSent = false;
  let finished = false;
  let endedAtTerminal = false;
  let failure: TaskBridgeError | undefined;
  let wake: (() => void) | undefined;

  const finish = () => {
    if (!finished) options.onFinish?.();
    finished = true;
    unsubscribe();
    wake?.();
  };

  // Attach before reading history: anything appended while the read is in flight lands here.
  const unsubscribe = store.subscribe(options.taskId, (event) => {
    if (finished) return;
    if (live.length >= options.maxQueuedEvents) {
      failure = new TaskBridgeError({
        code: 'RATE_LIMITED',
        message: `subscriber fell more than ${options.maxQueuedEvents} events behind; resume from the checkpoint`,
        retryable: true,
        details: { reason: 'subscriber_overflow' },
      });
      finish();
      return;
    }
    live.push(event);
    wake?.();
  });

  const newer = (event: TaskEvent) => cursor === null || compareEventIds(event.eventId, cursor) === 1;

  const deliver = (events: TaskEvent[]): IteratorResult<SubscriptionItem, undefined> => {
    const last = events[events.length - 1] as TaskEvent;
    cursor = last.eventId;
    if (isTerminalEvent(last)) {
      endedAtTerminal = true;
      finish();
    }
    return { done: false, value: { kind: 'events', events } };
  };

  async function next(): Promise<IteratorResult<SubscriptionItem, undefined>> {
    for (;;) {
      if (failure) throw failure;
      if (finished) return DONE;
      if (replaying) {
        const page = await store.read(options.taskId, cursor, options.replayPageSize);
        if (failure) throw failure;
        if (finished) return DONE;
        if (page.events.length > 0) return deliver(page.events);
        replaying = false;
      }
      // Live phase: drop what replay already sent (by eventId), deliver the rest in one batch. The
      // queue is in id order, so the replayed ones are a prefix.
      if (live.length > 0) {
        let skip = 0;
        if (!liveDelivered) while (skip < live.length && !newer(live[skip] as TaskEvent)) skip += 1;
        const batch = skip === 0 ? live : live.slice(skip);
        live = [];
        if (batch.length > 0) {
          liveDelivered = true;
          return deliver(batch);
        }
        continue;
      }
      if (!caughtUpSent) {
        caughtUpSent = true;
        return { done: false, value: { kind: 'caught-up' } };
      }
      // Terminal and nothing newer: the terminal event is the last one a task ever gets.
      if (options.isTerminal()) {
        endedAtTerminal = true;
        finish();
        return DONE;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  }

  return {
    next,
    close: finish,
    get closed() {
      return finished;
    },
    get endedAtTerminal() {
      return endedAtTerminal;
    },
    return() {
      finish();
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
