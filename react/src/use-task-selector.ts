/**
 * `useTaskSelector`: one derived value of a task's snapshot, re-rendering only when it changes.
 */
import { initialTaskSnapshot, type TaskSnapshot } from '@taskbridge/client';
import { useMemo } from 'react';
import { useTaskBridgeClient } from './provider';
import { useStreamValue } from './use-stream-value';

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
 * `messages` is one append-only array shared by successive snapshots (see `TaskSnapshot`): select
 * `messages.length`, `text` or `eventCount` to see it grow, not the array itself.
 *
 * @param taskId `null`/`undefined`: selects from an idle snapshot (also what the server renders).
 * @param isEqual default `Object.is`.
 * @throws {TaskBridgeError} `INVALID_REQUEST` without a `TaskBridgeProvider`.
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
  const idle = useMemo(() => initialTaskSnapshot(id ?? ''), [id]);
  const select = useMemo(() => memoizeSelector(selector, isEqual), [selector, isEqual]);
  return useStreamValue(
    client,
    id,
    (stream) => select(stream.getSnapshot()),
    () => select(idle),
  );
}
