/**
 * Retry delays for the control path (protocol/SPEC.md §10): exponential backoff with full jitter, so a fleet of
 * clients that lost the same server spreads its reconnects over the whole window instead of arriving
 * in waves.
 */

/**
 * Exponential backoff bounds, in ms (full jitter; protocol/SPEC.md §10). Defaults depend on where it is used:
 * streams (`ConnectionConfig.backoff`) `{ baseMs: 500, maxMs: 10000 }`; one-shot requests
 * (`RequestRetryOptions.backoff`) `{ baseMs: 300, maxMs: 5000 }`.
 */
export interface BackoffOptions {
  /** Window of the first retry, ms; doubles per attempt. Streams default to 500 (protocol/SPEC.md §10). */
  baseMs: number;
  /** Largest window, ms. Streams default to 10000 (protocol/SPEC.md §10). */
  maxMs: number;
}

/**
 * The wait before retry number `attempt` (0 for the first retry), in ms:
 * `random() * min(maxMs, baseMs * 2^attempt)` (full jitter), never less than `retryAfterMs` when the
 * server sent `Retry-After` (a 429 is a floor, not a hint; protocol/SPEC.md §8).
 *
 * Pure: `random` must return a number in `[0, 1)` (pass `Math.random`, or a fixed value in tests).
 * Negative or non-finite inputs are clamped so a bad config can never produce a negative or NaN timer.
 *
 * @param attempt - retries already made since a connection was last stable (0 for the first retry).
 * @param options - {@link BackoffOptions}, ms, plus the server's `Retry-After` floor, ms, if any.
 * @param random - source of jitter in `[0, 1)`.
 * @returns the delay in ms, in `[max(0, retryAfterMs), max(maxMs, retryAfterMs)]`.
 * @see protocol/SPEC.md §10 (backoff), §8 (429 `Retry-After`).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions & { retryAfterMs?: number | undefined },
  random: () => number,
): number {
  const base = Math.max(0, options.baseMs);
  const cap = Math.max(0, options.maxMs);
  const exponent = Number.isFinite(attempt) ? Math.max(0, Math.floor(attempt)) : 0;
  // 2^exponent overflows to Infinity long before it matters; min() with the cap keeps it finite.
  const window = Math.min(cap, base * 2 ** exponent);
  const draw = Math.min(1, Math.max(0, random()));
  const jittered = Number.isFinite(draw) ? draw * window : 0;
  return Math.max(retryAfterFloor(options.retryAfterMs), jittered);
}

/** The server's `Retry-After`, ms, as a floor for the next wait: 0 when absent or not finite. */
export function retryAfterFloor(retryAfterMs: number | undefined): number {
  return retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? Math.max(0, retryAfterMs) : 0;
}
