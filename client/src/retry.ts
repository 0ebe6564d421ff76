/**
 * Retries of one-shot HTTP calls (create, cancel, action). Each call carries its idempotency key, so
 * a retry after a lost response is safe (protocol/SPEC.md §2, §7).
 */
import type { TaskBridgeError } from '@taskbridge/protocol';
import { type Clock, sleep } from './clock';
import { toTaskBridgeError } from './errors';
import { backoffDelay, type BackoffOptions } from './machine/backoff';

/**
 * How one-shot requests (create, cancel, actions) are retried: only retryable errors
 * (protocol/SPEC.md §8), with `Retry-After` as a floor; an aborted `signal` stops at once.
 */
export interface RequestRetryOptions {
  /** Attempts in all, including the first; values below 1 count as 1. Default 4. */
  attempts?: number;
  /** Backoff between attempts, ms (full jitter). Default `{ baseMs: 300, maxMs: 5000 }`. */
  backoff?: BackoffOptions;
}

/** What {@link withRetries} runs with. */
export interface RetryContext {
  retry: RequestRetryOptions;
  clock: Clock;
  /** Jitter source in `[0, 1)`. */
  random: () => number;
  /** Stops retrying once aborted. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `call` until it succeeds, a non-retryable error occurs, or attempts run out. Honours
 * `Retry-After` (via `retryAfterMs`) as a floor.
 *
 * @throws {TaskBridgeError} the last error.
 */
export async function withRetries<T>(call: () => Promise<T>, context: RetryContext): Promise<T> {
  const attempts = Math.max(1, context.retry.attempts ?? 4);
  const backoff = context.retry.backoff ?? { baseMs: 300, maxMs: 5000 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (raw) {
      const error: TaskBridgeError = toTaskBridgeError(raw);
      if (!error.retryable || attempt + 1 >= attempts || context.signal?.aborted) throw error;
      const { retryAfterMs } = error;
      await sleep(context.clock, backoffDelay(attempt, { ...backoff, retryAfterMs }, context.random));
    }
  }
}
