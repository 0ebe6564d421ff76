/**
 * Deadlines with one timer: keys expire in deadline order and a callback removes what they stand for.
 * Backs the memory backend's retention (finished tasks, idempotency keys).
 */

// setTimeout fires at once for delays above 2^31 − 1 ms (~24.8 days); longer waits re-arm.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A queue of `(key, deadline)` pairs with one pending timer. */
export interface ExpiryQueue {
  /** Expires `key` at `at` (ms since epoch, by the queue's clock). A key may be scheduled again. */
  schedule(key: string, at: number): void;
  /** Runs every due expiry now. */
  sweep(): void;
  /** Number of pending deadlines (tests, diagnostics). */
  readonly size: number;
  /** Cancels the timer; nothing expires afterwards. */
  close(): void;
}

/**
 * Creates an {@link ExpiryQueue}. Deadlines are kept sorted by insertion, which is deadline order when
 * every key gets the same time-to-live (each queue serves one TTL); a key scheduled earlier than the
 * tail is inserted in place.
 *
 * @param onExpire - called once per due deadline with its key; a throw is swallowed.
 * @param now - the clock, ms since epoch.
 */
export function createExpiryQueue(onExpire: (key: string) => void, now: () => number): ExpiryQueue {
  let entries: { key: string; at: number }[] = [];
  let head = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedAt = Number.POSITIVE_INFINITY;
  let closed = false;

  const arm = () => {
    const next = entries[head];
    if (closed || next === undefined || next.at >= armedAt) return;
    if (timer !== undefined) clearTimeout(timer);
    armedAt = next.at;
    timer = setTimeout(
      () => {
        timer = undefined;
        armedAt = Number.POSITIVE_INFINITY;
        queue.sweep();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, next.at - now())),
    );
    // Retention must never keep a process alive.
    (timer as { unref?: () => void }).unref?.();
  };

  const queue: ExpiryQueue = {
    schedule(key, at) {
      if (closed) return;
      let index = entries.length;
      while (index > head && (entries[index - 1] as { at: number }).at > at) index -= 1;
      entries.splice(index, 0, { key, at });
      arm();
    },
    sweep() {
      const time = now();
      while (head < entries.length && (entries[head] as { at: number }).at <= time) {
        const { key } = entries[head] as { key: string };
        entries[head] = undefined as never;
        head += 1;
        try {
          onExpire(key);
        } catch {
          // One bad expiry must not stop the others.
        }
      }
      // Compact once the consumed prefix dominates, so the array does not grow forever.
      if (head > 1024 && head * 2 > entries.length) {
        entries = entries.slice(head);
        head = 0;
      }
      arm();
    },
    get size() {
      return entries.length - head;
    },
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      entries = [];
      head = 0;
    },
  };
  return queue;
}
