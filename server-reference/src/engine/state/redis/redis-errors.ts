/**
 * How a Redis failure reaches callers: a `TaskBridgeError` with HTTP status 503 (the wire layer answers
 * with the protocol/SPEC.md §8 envelope), retryable, so clients back off and come back once Redis
 * is reachable again. Nothing about the failure (addresses, commands) leaks into the envelope.
 */
import { TaskBridgeError } from '@taskbridge/protocol';

/** `details.reason` of every error raised because the Redis backend could not be reached. */
export const BACKEND_UNAVAILABLE = 'backend_unavailable';

/** The 503 error for a failed Redis call. */
export function backendUnavailable(cause?: unknown): TaskBridgeError {
  return new TaskBridgeError({
    code: 'INTERNAL_ERROR',
    status: 503,
    message: 'the task store is unavailable; retry shortly',
    retryable: true,
    retryAfterMs: 1000,
    details: { reason: BACKEND_UNAVAILABLE },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Runs a Redis call; any failure that is not already a `TaskBridgeError` becomes {@link backendUnavailable}. */
export async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TaskBridgeError) throw error;
    throw backendUnavailable(error);
  }
}

/** Runs a Redis call once the connection can take it; failures become {@link backendUnavailable}. */
export type Guard = <T>(call: () => Promise<T>) => Promise<T>;

/** What {@link guardOf} needs from a connection (an ioredis client). */
export interface GuardedConnection {
  readonly status: string;
  once(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

/**
 * A {@link Guard} for one connection. Until the connection was ready once (a backend used right after
 * it was created), calls wait for it up to `firstConnectMs`; afterwards a connection that is not ready
 * means Redis is away, and calls fail at once with the 503 instead of piling up.
 */
export function guardOf(client: GuardedConnection, firstConnectMs: number): Guard {
  let wasReady = client.status === 'ready';
  let firstReady: Promise<void> | undefined;
  const waitFirst = () =>
    (firstReady ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, firstConnectMs);
      (timer as { unref?: () => void }).unref?.();
      client.once('ready', done);
    }).finally(() => {
      firstReady = undefined;
    }));
  return async (call) => {
    if (client.status === 'ready') wasReady = true;
    else if (!wasReady) await waitFirst();
    if (client.status === 'ready') wasReady = true;
    return guarded(call);
  };
}
