/**
 * Input checks the engine applies before anything reaches a store: cursors (a cursor that is not an
 * event id must never reach Redis) and JSON nesting depth (fingerprints and stored copies recurse).
 */
import { parseEventId, TaskBridgeError } from '@taskbridge/protocol';

/** Deepest nesting accepted in `input`, `metadata` and action `payload`s. */
export const MAX_JSON_DEPTH = 64;

/**
 * Validates a cursor: ids are `<int>` or `<int>-<int>`, at most 64 characters (protocol/SPEC.md §3).
 * Empty means "from the oldest retained event".
 *
 * @returns the cursor, or `null` for `undefined`/`null`/empty.
 * @throws {TaskBridgeError} `INVALID_REQUEST` for any other form.
 */
export function checkCursor(cursor: string | null | undefined): string | null {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  if (cursor.length > 64 || !parseEventId(cursor)) {
    throw new TaskBridgeError({
      code: 'INVALID_REQUEST',
      message: 'cursor must be an event id of the form <int> or <int>-<int>',
      details: { cursor: cursor.slice(0, 64) },
    });
  }
  return cursor;
}

/**
 * Nesting depth of a JSON-like value (a scalar is 0, `{}` is 1), counted iteratively and stopping
 * once past `limit`, so hostile input cannot overflow the stack here.
 */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > max) max = level;
    if (max > limit) return max;
    for (const child of Object.values(current as Record<string, unknown>)) stack.push([child, level]);
  }
  return max;
}

/**
 * Refuses a value nested deeper than {@link MAX_JSON_DEPTH}: a 10,000-deep object must be a 400, not
 * a stack overflow.
 *
 * @throws {TaskBridgeError} `INVALID_REQUEST` naming `field`.
 */
export function checkDepth(value: unknown, field: string): void {
  if (jsonDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new TaskBridgeError({
      code: 'INVALID_REQUEST',
      message: `${field} is nested deeper than ${MAX_JSON_DEPTH} levels`,
      details: { field, maxDepth: MAX_JSON_DEPTH },
    });
  }
}
