/**
 * Idempotency fingerprints (protocol/SPEC.md §2): same owner + `clientRequestId` + `taskType` + `input`
 * (+ attachments) is the same task; `metadata` is not compared. Uses Web Crypto so the engine also
 * runs inside MSW in a browser.
 */
import type { Attachment } from './types';

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` fingerprint alike. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
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

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The comparable identity of a create request. */
export async function requestFingerprint(
  taskType: string,
  input: unknown,
  attachments: readonly Attachment[],
): Promise<string> {
  const files = await Promise.all(
    attachments.map(async (a) => ({
      name: a.filename,
      type: a.contentType,
      sha256: await sha256Hex(a.data),
    })),
  );
  return stableStringify({ taskType, input, files });
}
