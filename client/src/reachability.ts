/**
 * The client's answer to "is this task reachable at all?" (the machine's `confirmTaskReachable`): one
 * short poll (protocol/SPEC.md §5/§6: a WebSocket 1008 before the ack, or an SSE response that opens
 * and dies before its first frame, may mean auth, an unknown task or a bad cursor; a poll tells which).
 */
import { errorFromFetchFailure, errorFromResponse } from './errors';
import type { ConfirmTaskReachable } from './machine/context';
import type { TransportContext } from './platform';

/** A reachability check over `context`'s `fetch` (none: every task counts as reachable). */
export function pollReachability(context: TransportContext): ConfirmTaskReachable {
  return async ({ taskId, cursor }) => {
    const fetchFn = context.getFetch();
    if (!fetchFn) return null;
    const after = cursor === null ? '' : `&afterEventId=${encodeURIComponent(cursor)}`;
    const url = `${context.resolveUrl('events', { taskId })}?waitTimeoutMs=0&maxEvents=1${after}`;
    let response: Response;
    try {
      response = await fetchFn(url, { headers: (await context.getCredentials()).headers });
    } catch (error) {
      throw errorFromFetchFailure(error);
    }
    if (response.ok) {
      void response.body?.cancel().catch(() => undefined);
      return null;
    }
    const error = await errorFromResponse(response, context.clock.now());
    return error.retryable ? null : error;
  };
}
