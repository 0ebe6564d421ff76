/**
 * Retries of one-shot HTTP calls (create, cancel, action). Each call carries its idempotency key, so
 * a retry after a lost response is safe (protocol/SPEC.md §2, §7).
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import { backoffDelay, type BackoffOptions } from './machine/backoff';

/**
 * How one-shot requests (create, cancel, actions) are retried: only retryable errors (protocol/SPEC.md §8), with
 * `Retry-After` as a floor; an aborted `signal` stops at once.
 */
export interface RequestRetryOptions {
  /** Attempts in all, including the first; values below 1 count as 1. Default 4. */
  attempts?: number;
  /** Backoff between attempts, ms (full jitter). Default `{ baseMs: 300, maxMs: 5000 }`. */
  backoff?: BackoffOptions;
}

/**
 * Runs `call` until it succeeds, a non-retryable error occurs, or attempts run out. Honours
 * `Retry-After` (via `retryAfterMs`) as a floor.
 *
 * @throws {TaskBridgeError} the last error.
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  options: RequestRetryOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const backoff = options.backoff ?? { baseMs: 300, maxMs: 5000 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (raw) {
      const error = TaskBridgeError.from(raw);
      if (!error.retryable || attempt + 1 >= attempts || signal?.aborted) throw error;
      const delay = backoffDelay(attempt, backoff, Math.random, error.retryAfterMs);
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
    }
  }
}
