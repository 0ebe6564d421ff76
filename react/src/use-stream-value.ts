/**
 * Internal: one value read from a task's shared stream through `useSyncExternalStore` (STYLE.md habit 1).
 * The client owns the state and the connection; this only subscribes.
 */
import type { TaskBridgeClient, TaskStream } from '@taskbridge/client';
import { useCallback, useSyncExternalStore } from 'react';

const noop = (): void => undefined;

/**
 * Reads `read(stream)` and re-renders when it changes.
 *
 * The stream is looked up with `client.task(taskId)` at each call rather than kept: the client hands
 * out the same object while anyone observes it, and a fresh one after the old was disposed (e.g. after
 * a hidden `<Activity>` outlived the detach grace), so a kept reference could go stale.
 *
 * Each subscription is one reference in the client's ref count, and the client detaches only after its
 * grace period, so StrictMode's subscribe/unsubscribe/subscribe keeps one connection.
 *
 * @param taskId `null`: nothing to follow; `fallback()` is returned.
 * @param read must return the same value until the stream changes (e.g. `getSnapshot()`).
 * @param fallback the value without a task, and on the server and during hydration; must return the
 *   same value on every call.
 */
export function useStreamValue<T>(
  client: TaskBridgeClient,
  taskId: string | null,
  read: (stream: TaskStream) => T,
  fallback: () => T,
): T {
  const subscribe = useCallback(
    (onChange: () => void) => (taskId === null ? noop : client.task(taskId).subscribe(onChange)),
    [client, taskId],
  );
  const getSnapshot = (): T => (taskId === null ? fallback() : read(client.task(taskId)));
  return useSyncExternalStore(subscribe, getSnapshot, fallback);
}
