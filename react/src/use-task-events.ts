/**
 * `useTaskEvents`: run a side effect once per task event (a toast, analytics, a sound).
 */
import type { TaskEvent, UnknownTaskEvent } from '@taskbridge/protocol';
import { useEffect, useEffectEvent } from 'react';
import { useTaskBridgeClient } from './provider';

/**
 * Calls `onEvent` for each event of the task, exactly once and in order (protocol/SPEC.md §3: deduplicated by
 * `eventId` in the client), from the moment the component has mounted; earlier events are only in the
 * snapshot (`useTask`). Always the latest `onEvent` runs, so it may be an inline function.
 *
 * Subscribes to the shared stream's `events$` structurally (its `subscribe(observer)`), so this
 * package needs no RxJS. StrictMode's unsubscribe/subscribe neither repeats nor drops events: the
 * stream stays attached through the client's detach grace and does not replay.
 *
 * @param taskId `null`/`undefined`: nothing to listen to.
 * @param onEvent runs outside render; a stream that fails for good ends the calls (its error is in
 *   `useTask().failure`).
 * @throws {TaskBridgeError} `USAGE_ERROR` without a `TaskBridgeProvider`.
 * @see protocol/SPEC.md §3 (replay, deduplication), §10 (exactly once, in order)
 */
export function useTaskEvents(
  taskId: string | null | undefined,
  onEvent: (event: TaskEvent | UnknownTaskEvent) => void,
): void {
  const client = useTaskBridgeClient();
  const handle = useEffectEvent(onEvent);
  useEffect(() => {
    if (taskId === null || taskId === undefined) return;
    const subscription = client.task(taskId).events$.subscribe({
      next: (event) => handle(event),
      // Without an error handler the observable would rethrow asynchronously; the error is data elsewhere.
      error: () => undefined,
    });
    return () => subscription.unsubscribe();
  }, [client, taskId]);
}
