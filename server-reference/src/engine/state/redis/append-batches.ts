/**
 * Per-task append batching: the appends of one task made in the same tick (a handler emitting without
 * awaiting each emit, a burst of tokens) are sent as one script call, which costs Redis one script
 * run instead of one per event. Batches of a task go out in call order; a full batch goes out at once.
 */
import type { AppendResult } from '../event-store';

/** Most events per script call: bounds how long one call holds Redis. */
export const MAX_APPEND_BATCH = 256;

/** One append waiting for its batch. */
export interface PendingAppend {
  /** The event's stored text. */
  data: string;
  terminal: boolean;
  /** Fencing epoch as text, `''` = unfenced. */
  epoch: string;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** Sends one batch of one task (must settle every item, never reject). */
export type BatchSender = (taskId: string, items: readonly PendingAppend[]) => Promise<void>;

/** Collects appends per task and hands each batch to `send`. */
export function createAppendBatches(send: BatchSender): { add(taskId: string, item: PendingAppend): void } {
  const open = new Map<string, PendingAppend[]>();
  const flush = (taskId: string, batch: PendingAppend[]) => {
    if (open.get(taskId) !== batch) return;
    open.delete(taskId);
    void send(taskId, batch);
  };
  return {
    add(taskId, item) {
      let batch = open.get(taskId);
      if (!batch) {
        const created: PendingAppend[] = [];
        batch = created;
        open.set(taskId, created);
        queueMicrotask(() => flush(taskId, created));
      }
      batch.push(item);
      if (batch.length >= MAX_APPEND_BATCH) flush(taskId, batch);
    },
  };
}
