/**
 * Idempotency fingerprints (protocol/SPEC.md §2, §7): same owner + `clientRequestId` + `taskType` +
 * `input` (+ attachments) is the same task, and same `clientActionId` + `suspendId` + `actionType` +
 * `payload` is the same action; `metadata` is never compared. Uses Web Crypto so the engine also runs
 * inside MSW in a browser.
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

/** The comparable identity of an action request (protocol/SPEC.md §7). */
export function actionFingerprint(suspendId: string, actionType: string, payload: unknown): string {
  return stableStringify([suspendId, actionType, payload ?? {}]);
}
