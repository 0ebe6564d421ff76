import type { IdempotencyRecord, IdempotencyStore } from '../idempotency-store';
import { createExpiryQueue } from './expiry-queue';

/** Options of {@link createMemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /** ms a key is kept after its claim; `null` = forever. */
  ttlMs: number | null;
  /** Clock, ms since epoch. */
  now: () => number;
}

/**
 * The memory {@link IdempotencyStore}: a `Map` with one expiry timer. First writer wins trivially
 * (single-threaded); expired keys are dropped by the timer and ignored by `get` in between.
 */
export function createMemoryIdempotencyStore(
  options: MemoryIdempotencyStoreOptions,
): IdempotencyStore & { readonly size: number; close(): void } {
  const { ttlMs, now } = options;
  const records = new Map<string, { record: IdempotencyRecord; expiresAt: number }>();
  const keyOf = (owner: string, clientRequestId: string) => `${owner}\u0000${clientRequestId}`;
  const expiry = createExpiryQueue((key) => {
    const entry = records.get(key);
    if (entry && entry.expiresAt <= now()) records.delete(key);
  }, now);
  const live = (key: string) => {
    const entry = records.get(key);
    return entry && entry.expiresAt > now() ? entry.record : null;
  };
  return {
    get: (owner, clientRequestId) => Promise.resolve(live(keyOf(owner, clientRequestId))),
    claim(owner, clientRequestId, record) {
      const key = keyOf(owner, clientRequestId);
      const existing = live(key);
      if (existing) return Promise.resolve(existing);
      const expiresAt = ttlMs === null ? Number.POSITIVE_INFINITY : now() + ttlMs;
      records.set(key, { record, expiresAt });
      if (ttlMs !== null) expiry.schedule(key, expiresAt);
      return Promise.resolve(record);
    },
    release(owner, clientRequestId, taskId) {
      const key = keyOf(owner, clientRequestId);
      if (records.get(key)?.record.taskId === taskId) records.delete(key);
      return Promise.resolve();
    },
    get size() {
      return records.size;
    },
    close: () => expiry.close(),
  };
}
