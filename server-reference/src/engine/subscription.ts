/**
 * One subscriber's view of a task's stream: replay after a cursor, then live events, ending after the
 * terminal event. Implements hazards H2 (attach live first, then read history, merge by eventId), H3
 * (bounded queue with overflow disconnect) and H1 (the stream ends after the terminal event, on every
 * path), and reports a trimmed cursor (protocol/SPEC.md §11) before the first item.
 */
import {
  compareEventIds,
  type HistoryTrimmed,
  isTerminalEvent,
  TaskBridgeError,
  type TaskEvent,
} from '@taskbridge/protocol';
import type { EventPage, EventStore } from './state/event-store';

/** What a subscriber pulls: a batch of events, or the one-time notice that replay is done. */
export type SubscriptionItem = { kind: 'events'; events: TaskEvent[] } | { kind: 'caught-up' };

/** Options of {@link openSubscription}. */
export interface SubscriptionOptions {
  taskId: string;
  /** Replay strictly after this id; `null` = from the oldest retained event. Already validated. */
  cursor: string | null;
  /** Max live events queued for this subscriber before it is disconnected (hazard H3). */
  maxQueuedEvents: number;
  /** Events per history read. */
  replayPageSize: number;
  /** Called once when the subscription ends, for whatever reason. */
  onFinish?: () => void;
}

/**
 * A pull-based subscription. Iterate it with `for await`; iteration ends after the batch holding the
 * terminal event, or at once when the task is terminal and nothing is newer than the cursor.
 *
 * @throws {TaskBridgeError} code `RATE_LIMITED` from `next()` when the subscriber cannot be served
 *   every event any more and should resume from its checkpoint: `details.reason` is
 *   `subscriber_overflow` (it fell more than `maxQueuedEvents` behind, hazard H3),
 *   `history_trimmed` (retention deleted events it had not replayed yet; its reconnect gets the
 *   history-trimmed signal) or `live_tail_lost` (the store lost its live tail).
 */
export interface Subscription extends AsyncIterableIterator<SubscriptionItem, undefined> {
  next(): Promise<IteratorResult<SubscriptionItem, undefined>>;
  /** Stops the subscription; a pending `next()` resolves as done. Idempotent. */
  close(): void;
  /** True once the subscription ended (terminal event, `close()`, overflow, trimmed or lost tail). */
  readonly closed: boolean;
  /** True when iteration ended because the task is terminal (not because of `close()` or an error). */
  readonly endedAtTerminal: boolean;
  /**
   * Set when events after the requested cursor were deleted by retention (protocol/SPEC.md §11): the
   * replay starts at `firstRetainedEventId`. Known as soon as the subscription is open, so transports
   * can announce it before the replay.
   */
  readonly historyTrimmed: HistoryTrimmed | null;
}

const DONE: IteratorResult<SubscriptionItem, undefined> = { done: true, value: undefined };

const resumeError = (reason: string, message: string) =>
  new TaskBridgeError({ code: 'RATE_LIMITED', message, retryable: true, details: { reason } });

/**
 * Opens a subscription: attaches to live appends, and only once the attach is confirmed reads the
 * first history page (hazard H2). Resolves when both are done.
 *
 * @throws rejects with the store's error (the live attach is undone first).
 */
export async function openSubscription(
  events: EventStore,
  options: SubscriptionOptions,
): Promise<Subscription> {
  let cursor = options.cursor;
  let live: TaskEvent[] = [];
  let replaying = true;
  // Once a live event was delivered, everything queued after it is newer (store ids only grow).
  let liveDelivered = false;
  let caughtUpSent = false;
  let finished = false;
  let endedAtTerminal = false;
  // The newest history read saw the terminal event stored: nothing can follow what it returned.
  let terminalStored = false;
  let failure: TaskBridgeError | undefined;
  let wake: (() => void) | undefined;
  let detach: () => void = () => undefined;

  const finish = () => {
    if (!finished) options.onFinish?.();
    finished = true;
    detach();
    wake?.();
  };
  const fail = (error: TaskBridgeError) => {
    failure ??= error;
    finish();
  };

  // Attach before reading history: anything appended while a read is in flight lands here.
  detach = await events.subscribe(
    options.taskId,
    (event) => {
      if (finished) return;
      if (live.length >= options.maxQueuedEvents) {
        fail(
          resumeError(
            'subscriber_overflow',
            `subscriber fell more than ${options.maxQueuedEvents} events behind; resume from the checkpoint`,
          ),
        );
        return;
      }
      live.push(event);
      wake?.();
    },
    { onLost: (error) => fail(resumeError('live_tail_lost', error.message)) },
  );
  // A close() before the attach resolved is impossible (the object does not exist yet); a failure of
  // the first read undoes the attach.
  let pending: EventPage | undefined;
  try {
    pending = await events.read(options.taskId, cursor, options.replayPageSize);
  } catch (error) {
    detach();
    throw error;
  }
  const historyTrimmed = pending.trimmed;

  const newer = (event: TaskEvent) => cursor === null || compareEventIds(event.eventId, cursor) === 1;

  const deliver = (batch: TaskEvent[]): IteratorResult<SubscriptionItem, undefined> => {
    const last = batch[batch.length - 1] as TaskEvent;
    cursor = last.eventId;
    if (isTerminalEvent(last)) {
      endedAtTerminal = true;
      finish();
    }
    return { done: false, value: { kind: 'events', events: batch } };
  };

  async function next(): Promise<IteratorResult<SubscriptionItem, undefined>> {
    for (;;) {
      if (failure) throw failure;
      if (finished) return DONE;
      if (replaying) {
        const page = pending ?? (await events.read(options.taskId, cursor, options.replayPageSize));
        const first = pending !== undefined;
        pending = undefined;
        if (failure) throw failure;
        if (finished) return DONE;
        // Retention overtook the replay: events after our cursor are gone. Say so by ending; the
        // client's reconnect from its checkpoint gets the explicit signal.
        if (!first && page.trimmed) {
          fail(
            resumeError(
              'history_trimmed',
              'retention deleted events not yet replayed; resume from the checkpoint',
            ),
          );
          throw failure;
        }
        terminalStored = page.head.terminal !== null;
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
      if (terminalStored) {
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

  const subscription: Subscription = {
    next,
    close: finish,
    get closed() {
      return finished;
    },
    get endedAtTerminal() {
      return endedAtTerminal;
    },
    historyTrimmed,
    return() {
      finish();
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return subscription;
}
