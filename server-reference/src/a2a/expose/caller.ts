/**
 * Who calls the A2A endpoint, and the HTTP response a stream is written to. The SDK's transport passes
 * only a `User` down to the request handler, so the bridge's user carries both: the TaskBridge
 * `AuthContext` (tasks are owned by its subject, as on every other route) and the response's
 * backpressure and close signal (hazard H3: a stream waits for a slow reader instead of buffering).
 */
import type { ServerResponse } from 'node:http';
import type { User } from '@a2a-js/sdk/server';
import { A2AError } from '@a2a-js/sdk/errors';
import type { ServerCallContext } from '@a2a-js/sdk/server';
import type { AuthContext } from '../../engine/types';

/** The response an A2A stream is written to. */
export interface StreamConnection {
  /** Aborted when the response closes (client gone, server shutting down). */
  readonly signal: AbortSignal;
  /**
   * Resolves `true` once the response can take more bytes (at once when its buffer is below the high
   * water mark), `false` when it closed first.
   */
  writable(): Promise<boolean>;
}

/**
 * Wraps a Node response as a {@link StreamConnection}.
 *
 * @param stallTimeoutMs - how long a write may wait for `drain` before the response is destroyed (a
 *   reader that stopped reading; it can resubscribe), ms. Default 30,000.
 */
export function connectionOf(res: ServerResponse, stallTimeoutMs = 30_000): StreamConnection {
  const closed = new AbortController();
  const onClose = () => closed.abort();
  if (res.destroyed) closed.abort();
  else res.once('close', onClose);
  return {
    signal: closed.signal,
    writable() {
      if (closed.signal.aborted || res.writableEnded) return Promise.resolve(false);
      if (!res.writableNeedDrain) return Promise.resolve(true);
      // Both listeners go when either fires: a long stream waits here many times.
      return new Promise<boolean>((resolve) => {
        // A reader that never drains would hold the response (and its socket) for good.
        const stalled = setTimeout(() => res.destroy(), stallTimeoutMs);
        const done = () => {
          clearTimeout(stalled);
          res.off('drain', done);
          closed.signal.removeEventListener('abort', done);
          resolve(!closed.signal.aborted);
        };
        res.on('drain', done);
        closed.signal.addEventListener('abort', done);
      });
    },
  };
}

/** The A2A `User` of a request resolved by the server's auth hook (protocol/SPEC.md §9). */
export class TaskBridgeA2AUser implements User {
  /**
   * @param auth - the resolved caller; its `subject` owns the tasks it starts.
   * @param connection - the response streams are written to; absent outside HTTP (tests, in-process).
   */
  constructor(
    readonly auth: AuthContext,
    readonly connection?: StreamConnection,
  ) {}

  /** Always true: unauthenticated requests are refused before they reach the SDK. */
  get isAuthenticated(): boolean {
    return true;
  }

  /** The TaskBridge subject (the SDK scopes its own stores by it). */
  get userName(): string {
    return this.auth.subject;
  }
}

/**
 * The bridge user of a call.
 *
 * @throws {A2AError} when the context carries another kind of user (the endpoint was mounted without
 *   the bridge's auth middleware): refusing is safer than running as nobody.
 */
export function callerOf(context: ServerCallContext): TaskBridgeA2AUser {
  const user = context.user;
  if (user instanceof TaskBridgeA2AUser) return user;
  throw new A2AError('the A2A bridge needs its own auth middleware in front of the JSON-RPC handler');
}
