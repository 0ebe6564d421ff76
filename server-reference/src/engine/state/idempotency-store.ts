/**
 * The idempotency seam (protocol/SPEC.md §2): `(owner, clientRequestId)` → the task it created and the
 * request fingerprint, first writer wins, kept for a time-to-live.
 */

/** What an idempotency key points at. */
export interface IdempotencyRecord {
  taskId: string;
  /** The create request's fingerprint; a repeat with another fingerprint is a 409. */
  fingerprint: string;
}

/**
 * Idempotency keys, scoped by owner (two users may use the same `clientRequestId`). Records expire
 * after the backend's `idempotencyTtlMs` (see {@link RetentionSettings}); an expired key is free again.
 */
export interface IdempotencyStore {
  /** The record in force for the key, or `null`. */
  get(owner: string, clientRequestId: string): Promise<IdempotencyRecord | null>;
  /**
   * Stores `record` unless the key already has one — atomically, across every process sharing the
   * store (a Redis `SET NX`): of concurrent identical creates exactly one wins.
   *
   * @returns the record in force afterwards: `record` itself (same `taskId`) when this call won, else
   *   the earlier one.
   */
  claim(owner: string, clientRequestId: string, record: IdempotencyRecord): Promise<IdempotencyRecord>;
  /** Deletes the key if it still points at `taskId` (compare-and-delete); otherwise does nothing. */
  release(owner: string, clientRequestId: string, taskId: string): Promise<void>;
}
