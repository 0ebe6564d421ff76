/**
 * The long-poll wait of protocol/SPEC.md §4: answer as soon as at least one event newer than the cursor
 * exists, else after the wait — or at once when the task is terminal (our extension).
 */
import type { EventPage, EventStore } from './state/event-store';

/** Options of {@link longPoll}. */
export interface LongPollOptions {
  /** Events strictly after this id; `null` = from the oldest retained. Already validated. */
  cursor: string | null;
  /** Events per response, ≥ 1. */
  maxEvents: number;
  /** Wait for a first event, ms; 0 = short poll. */
  waitTimeoutMs: number;
  /** Ends the wait early (client gone, shutdown). Default: none. */
  signal?: AbortSignal;
}

/**
 * Reads a page after the cursor, waiting up to `waitTimeoutMs` for one when there is none. Attaches to
 * live appends before the first read (hazard H2), so an append during the read or the wait is never
 * missed; the page returned is always a fresh read, never an event handed to the listener.
 *
 * @throws rejects with the store's error.
 */
export async function longPoll(
  events: EventStore,
  taskId: string,
  options: LongPollOptions,
): Promise<EventPage> {
  const { cursor, maxEvents } = options;
  let wake: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => {
    wake = resolve;
  });
  let appended = false;
  const detach = await events.subscribe(taskId, () => {
    appended = true;
    wake();
  });
  try {
    let page = await events.read(taskId, cursor, maxEvents);
    if (page.events.length === 0 && !appended && page.head.terminal === null && options.waitTimeoutMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => wake();
      options.signal?.addEventListener('abort', onAbort);
      await Promise.race([
        woken,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, options.waitTimeoutMs))),
      ]);
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    // Something was stored after the read began (maybe the terminal event): read it too.
    if (page.events.length === 0 && appended) page = await events.read(taskId, cursor, maxEvents);
    return page;
  } finally {
    detach();
  }
}
