/**
 * The one source of time in the client: every timer (deadlines, backoff, detach
 * grace, checkpoint batching, request retries) and every timestamp (`nextRetryAt`, `updatedAt`,
 * `Retry-After` dates) goes through a {@link Clock}, so tests run the whole client on fake time.
 */

/**
 * Time and timers. The shape is XState's `clock` option plus `now()`, so the same object drives the
 * machine's delays and everything else.
 */
export interface Clock {
  /** Current time, ms since the epoch. */
  now(): number;
  /** Calls `callback` once after `ms` ms; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending {@link Clock.setTimeout}; unknown or spent handles are ignored. */
  clearTimeout(handle: unknown): void;
}

/**
 * The platform's clock: `Date.now`, `setTimeout` and `clearTimeout`, read from `globalThis` at each
 * call (never captured), so fake timers installed after import still apply.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** Resolves after `ms` ms on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
