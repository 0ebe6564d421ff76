/**
 * Immutable copies of what the event store keeps (hazard H2: no caller may change stored history).
 * Stored events are frozen once at append and then shared by every reader without copying.
 */

// Plain objects of strings, numbers, booleans, null and undefined (every TASK_MESSAGE and
// TASK_PROGRESS payload) are copied by a spread; anything else goes through structuredClone, so
// handlers keep the copy semantics they had (a function or a symbol still throws).
function isFlat(value: object): boolean {
  if (Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    const field: unknown = (value as Record<string, unknown>)[key];
    const type = typeof field;
    if (field !== null && (type === 'object' || type === 'function' || type === 'symbol')) return false;
  }
  return true;
}

/** Freezes `value` and everything reachable from it, in place; already frozen parts are skipped. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  // Freeze first: a cycle back to this node then stops at the `isFrozen` check.
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

/**
 * A deep-frozen copy of `value`, which the caller may keep mutating; `value` itself when it is a
 * frozen object of primitives.
 *
 * @throws {DOMException} `DataCloneError` for values structuredClone refuses (functions, symbols…).
 */
export function frozenCopyOf<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  // Frozen and flat is immutable already: shared, not copied (the engine freezes what it builds).
  if (isFlat(value)) return Object.isFrozen(value) ? value : Object.freeze({ ...value });
  return deepFreeze(structuredClone(value));
}
