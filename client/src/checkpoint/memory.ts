/**
 * The in-memory checkpoint store: the default where `indexedDB` is missing (Node, SSR) and the fallback
 * when IndexedDB fails (SPEC.md §10). Lives as long as the page or process.
 */
import type { Checkpoint, CheckpointRecord, CheckpointStore, PendingStart } from './checkpoint-store';
import { checkpointError, toStoredCheckpoint } from './checkpoint-store';

// structuredClone throws DataCloneError for functions, symbols and the like: report it as storage would.
function copy<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch (error) {
    throw checkpointError('checkpoint value is not structured-cloneable', error);
  }
}

/**
 * Creates an in-memory {@link CheckpointStore}. Values are copied with `structuredClone` on the way in
 * and on the way out, as a real storage would, so neither side can mutate the other's state.
 * Rejects only when a value is not structured-cloneable (a `CHECKPOINT_ERROR` wrapping the platform's
 * `DataCloneError`; IndexedDB refuses the same values).
 */
export function createMemoryCheckpointStore(): CheckpointStore {
  const checkpoints = new Map<string, Checkpoint>();
  const pendingStarts = new Map<string, PendingStart>();

  return {
    async load(key) {
      const checkpoint = checkpoints.get(key);
      return checkpoint === undefined ? undefined : copy(checkpoint);
    },
    async save(key, checkpoint) {
      checkpoints.set(key, copy(toStoredCheckpoint(checkpoint)));
    },
    async delete(key) {
      checkpoints.delete(key);
    },
    async list(prefix = '') {
      const records: CheckpointRecord[] = [];
      for (const [key, checkpoint] of checkpoints) {
        if (key.startsWith(prefix)) records.push({ key, checkpoint: copy(checkpoint) });
      }
      return records;
    },
    async savePendingStart(key, start) {
      pendingStarts.set(key, copy(start));
    },
    async loadPendingStart(key) {
      const start = pendingStarts.get(key);
      return start === undefined ? undefined : copy(start);
    },
    async deletePendingStart(key) {
      pendingStarts.delete(key);
    },
  };
}
