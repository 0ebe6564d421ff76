/**
 * Internal: a task's stream state through `useSyncExternalStore` — one subscription for the snapshot,
 * the connection and the failure. The client owns the state and the connection; this only subscribes.
 */
import {
  IDLE_CONNECTION_STATE,
  initialTaskSnapshot,
  type TaskBridgeClient,
  type TaskStreamState,
} from '@taskbridge/client';
import { useCallback, useMemo, useSyncExternalStore } from 'react';

const noop = (): void => undefined;

/**
 * Reads `select(client.task(taskId).getState())` and re-renders when it changes.
 *
 * The stream is looked up with `client.task(taskId)` at each call rather than kept: the client hands
 * out the same object while anyone observes it, and a fresh one after the old one stopped (e.g. after
 * a hidden `<Activity>` outlived the detach grace), so a kept reference could go stale. Each
 * subscription is one observer of the stream, which detaches only after the client's grace period, so
 * StrictMode's subscribe/unsubscribe/subscribe keeps one connection.
 *
 * @param taskId `null`: nothing to follow; the idle state is selected (also on the server and during
 *   hydration).
 * @param select must return the same value for the same state (e.g. a field, or a memoised selection).
 */
export function useStreamState<T>(
  client: TaskBridgeClient,
  taskId: string | null,
  select: (state: TaskStreamState) => T,
): T {
  const idle = useMemo<TaskStreamState>(
    () => ({ snapshot: initialTaskSnapshot(taskId ?? ''), connection: IDLE_CONNECTION_STATE, failure: null }),
    [taskId],
  );
  const subscribe = useCallback(
    (onChange: () => void) => (taskId === null ? noop : client.task(taskId).subscribe(onChange)),
    [client, taskId],
  );
  const read = () => select(taskId === null ? idle : client.task(taskId).getState());
  return useSyncExternalStore(subscribe, read, () => select(idle));
}
