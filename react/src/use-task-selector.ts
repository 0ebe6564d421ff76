/**
 * `useTaskSelector`: one derived value of a task's snapshot, re-rendering only when it changes.
 */
import type { TaskSnapshot } from '@taskbridge/client';
import { useMemo } from 'react';
import { useTaskBridgeClient } from './provider';
import { useStreamState } from './use-stream-state';

// Same snapshot → same selection; an equal selection keeps the previous value, so React bails out.
function memoizeSelector<T>(selector: (snapshot: TaskSnapshot) => T, isEqual: (a: T, b: T) => boolean) {
  let last: { snapshot: TaskSnapshot; value: T } | undefined;
  return (snapshot: TaskSnapshot): T => {
    if (last?.snapshot === snapshot) return last.value;
    const value = selector(snapshot);
    last = { snapshot, value: last !== undefined && isEqual(last.value, value) ? last.value : value };
    return last.value;
  };
}

/**
 * Selects from a task's snapshot (protocol/SPEC.md §3) through the client's shared stream; the component
 * re-renders only when `isEqual(previous, next)` is false. The selector may be an inline function.
 *
 * @param taskId `null`/`undefined`: selects from an idle snapshot (also what the server renders).
 * @param isEqual default `Object.is`.
 * @throws {TaskBridgeError} `USAGE_ERROR` without a `TaskBridgeProvider`.
 * @see protocol/SPEC.md §3 (events folded into the snapshot)
 *
 * @example
 * const progress = useTaskSelector(taskId, (s) => s.progress ?? 0);
 */
export function useTaskSelector<T>(
  taskId: string | null | undefined,
  selector: (snapshot: TaskSnapshot) => T,
  isEqual: (a: T, b: T) => boolean = Object.is,
): T {
  const client = useTaskBridgeClient();
  const id = taskId ?? null;
  const select = useMemo(() => memoizeSelector(selector, isEqual), [selector, isEqual]);
  return useStreamState(client, id, (state) => select(state.snapshot));
}
