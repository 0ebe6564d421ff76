/**
 * Storage must never stop a task stream (protocol/SPEC.md §10): when IndexedDB fails (quota exceeded, private
 * mode, `indexedDB` missing, `open` blocked), checkpoints move to memory for the rest of the session and
 * the app hears about it once, as a diagnostic.
 */
import type { TaskBridgeError } from '@taskbridge/protocol';
import type { Checkpoint, CheckpointStore, PendingStart } from './checkpoint-store';
import { checkpointError } from '../errors';
import { createIndexedDbCheckpointStore, type IndexedDbCheckpointStoreOptions } from './indexeddb';
import { createMemoryCheckpointStore } from './memory';

/** Options of {@link createResilientCheckpointStore}. */
export interface ResilientCheckpointStoreOptions {
  /**
   * Called once, on the first failure of the primary store, with a `TaskBridgeError` of code
   * `CHECKPOINT_ERROR` whose `cause` is the original failure. Must not throw.
   */
  onError?: (error: TaskBridgeError) => void;
}

/** A {@link CheckpointStore} that can tell whether it has fallen back to memory. */
export interface ResilientCheckpointStore extends CheckpointStore {
  /** True once the primary store failed and memory took over. */
  isDegraded(): boolean;
}

/**
 * Wraps `primary` so that no operation ever rejects because of storage. Every write also goes to an
 * in-memory mirror, and every checkpoint read from `primary` is kept there, so on the first failure the
 * mirror takes over holding everything this session has seen: nothing already saved or loaded is lost.
 * From then on `primary` is not called again (a store that failed once, e.g. on quota, tends to keep
 * failing, and each failure costs time on the data path).
 *
 * The mirror costs little per write whatever the stream's length (the memory store keeps `messages` and
 * `text` by reference and copies only the rest), so the only full copy of a checkpoint is the one the
 * browser makes inside IndexedDB's `put`; the checkpoint writer already coalesces writes.
 *
 * Rejects only when a value cannot be stored anywhere (not structured-cloneable: `CHECKPOINT_ERROR`).
 *
 * @see protocol/SPEC.md §10 (checkpoint)
 */
export function createResilientCheckpointStore(
  primary: CheckpointStore,
  options: ResilientCheckpointStoreOptions = {},
): ResilientCheckpointStore {
  const mirror = createMemoryCheckpointStore();
  let degraded = false;

  const degrade = (error: unknown): void => {
    if (degraded) return;
    degraded = true;
    options.onError?.(
      checkpointError('checkpoint storage failed; checkpoints are kept in memory for this session', error),
    );
  };

  /** Runs `onPrimary` while healthy; on failure (or once degraded) answers from the mirror. */
  async function attempt<T>(onPrimary: () => Promise<T>, onMirror: () => Promise<T>): Promise<T> {
    if (!degraded) {
      try {
        return await onPrimary();
      } catch (error) {
        degrade(error);
      }
    }
    return onMirror();
  }

  /** A write: to the mirror first, so a failing primary write loses nothing, then to the primary. */
  const mirrored =
    <A extends unknown[]>(write: (store: CheckpointStore, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      await write(mirror, ...args);
      await attempt(
        () => write(primary, ...args),
        async () => undefined,
      );
    };

  /** A read: from the primary, kept in the mirror; from the mirror once degraded. */
  const readThrough =
    <T>(
      read: (store: CheckpointStore, key: string) => Promise<T | undefined>,
      keep: (key: string, value: T) => Promise<void>,
    ) =>
    (key: string): Promise<T | undefined> =>
      attempt(
        async () => {
          const value = await read(primary, key);
          if (value !== undefined) await keep(key, value);
          return value;
        },
        () => read(mirror, key),
      );

  return {
    isDegraded: () => degraded,
    load: readThrough((store, key) => store.load(key), mirror.save),
    save: mirrored((store, key: string, checkpoint: Checkpoint) => store.save(key, checkpoint)),
    delete: mirrored((store, key: string) => store.delete(key)),
    list: (prefix) =>
      attempt(
        async () => {
          const records = await primary.list(prefix);
          for (const { key, checkpoint } of records) await mirror.save(key, checkpoint);
          return records;
        },
        () => mirror.list(prefix),
      ),
    savePendingStart: mirrored((store, key: string, start: PendingStart) =>
      store.savePendingStart(key, start),
    ),
    loadPendingStart: readThrough((store, key) => store.loadPendingStart(key), mirror.savePendingStart),
    deletePendingStart: mirrored((store, key: string) => store.deletePendingStart(key)),
  };
}

/** Options of {@link createDefaultCheckpointStore}. */
export interface DefaultCheckpointStoreOptions
  extends IndexedDbCheckpointStoreOptions, ResilientCheckpointStoreOptions {}

/**
 * The store a client uses when given none: IndexedDB (wrapped by {@link createResilientCheckpointStore})
 * where an `indexedDB` factory exists — `options.indexedDB` or, read now, `globalThis.indexedDB` — and
 * memory otherwise (Node, SSR, workers without IndexedDB). Never throws.
 *
 * @see protocol/SPEC.md §10
 */
export function createDefaultCheckpointStore(options: DefaultCheckpointStoreOptions = {}): CheckpointStore {
  const factory =
    typeof options.indexedDB === 'function'
      ? options.indexedDB()
      : (options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB);
  if (factory === undefined) return createMemoryCheckpointStore();
  return createResilientCheckpointStore(
    createIndexedDbCheckpointStore({ ...options, indexedDB: factory }),
    options,
  );
}
