/** Structural equality of JSON-like values, key order ignored (for comparing a start's input). */
export function stableEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => stableEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
