/**
 * The AsyncStorage checkpoint store (protocol/SPEC.md §10): React Native's persistent key-value store
 * in place of IndexedDB, so a task resumes from its last delivered `eventId` after the app was killed
 * and a finished task shows its final state without a stream.
 */
import type {
  Checkpoint,
  CheckpointRecord,
  CheckpointStore,
  PendingStart,
} from '../checkpoint/checkpoint-store';
import { isCheckpoint, toStoredCheckpoint } from '../checkpoint/checkpoint-store';
import { checkpointError } from '../errors';
import type { AsyncStorageLike } from './native-modules';

/** Options of {@link createAsyncStorageCheckpointStore}. */
export interface AsyncStorageCheckpointStoreOptions {
  /** Prefix of every key this store writes, so other data in AsyncStorage is never read or listed. Default `'taskbridge:'`. */
  keyPrefix?: string;
}

const CHECKPOINT = 'checkpoint:';
const PENDING_START = 'pending-start:';

async function guarded<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw checkpointError(`AsyncStorage ${operation} failed`, error);
  }
}

/** Parses a stored value; what is not JSON (e.g. written by another app version) reads as `undefined`. */
function parse(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isPendingStart(value: unknown): value is PendingStart {
  if (typeof value !== 'object' || value === null) return false;
  const start = value as Partial<Record<keyof PendingStart, unknown>>;
  return typeof start.clientRequestId === 'string' && typeof start.taskType === 'string';
}

/**
 * Creates a {@link CheckpointStore} over AsyncStorage (`@react-native-async-storage/async-storage`,
 * passed in so this package does not import it). Values are stored as JSON strings under
 * `<keyPrefix>checkpoint:<key>` and `<keyPrefix>pending-start:<key>`; a stored value that is not a
 * checkpoint loads as `undefined`. Each save writes the whole checkpoint (the client's checkpoint writer
 * coalesces saves to one per `checkpointMinIntervalMs`, default 100 ms).
 *
 * `list(prefix)` reads every key of AsyncStorage and loads the matching ones (with `getMany` where the
 * library has it): fine for the few tasks an app keeps.
 *
 * Every storage failure rejects with a `TaskBridgeError` of code `CHECKPOINT_ERROR` whose `cause` is
 * the library's error; the client reports it as a `checkpoint-error` diagnostic and the stream goes on.
 *
 * @see protocol/SPEC.md §10 (checkpoint), §2 (pending starts for idempotent create)
 */
export function createAsyncStorageCheckpointStore(
  storage: AsyncStorageLike,
  options: AsyncStorageCheckpointStoreOptions = {},
): CheckpointStore {
  const prefix = options.keyPrefix ?? 'taskbridge:';
  const checkpointId = (key: string) => `${prefix}${CHECKPOINT}${key}`;
  const pendingStartId = (key: string) => `${prefix}${PENDING_START}${key}`;

  const readMany = async (ids: string[]): Promise<Array<[string, string | null]>> => {
    if (storage.getMany) return Object.entries(await storage.getMany(ids));
    return Promise.all(
      ids.map(async (id): Promise<[string, string | null]> => [id, await storage.getItem(id)]),
    );
  };

  return {
    load: (key) =>
      guarded('load', async () => {
        const value = parse(await storage.getItem(checkpointId(key)));
        return isCheckpoint(value) ? value : undefined;
      }),
    save: (key, checkpoint) => {
      // Serialised now, not when the write runs: the live snapshot may move on in between.
      const stored: Checkpoint = toStoredCheckpoint(checkpoint);
      return guarded('save', async () => storage.setItem(checkpointId(key), JSON.stringify(stored)));
    },
    delete: (key) => guarded('delete', () => storage.removeItem(checkpointId(key))),
    list: (keyPrefix = '') =>
      guarded('list', async () => {
        const wanted = checkpointId(keyPrefix);
        const ids = (await storage.getAllKeys()).filter((id) => id.startsWith(wanted));
        const records: CheckpointRecord[] = [];
        for (const [id, text] of await readMany(ids)) {
          const value = parse(text);
          if (isCheckpoint(value))
            records.push({ key: id.slice(checkpointId('').length), checkpoint: value });
        }
        return records;
      }),
    savePendingStart: (key, start) =>
      guarded('savePendingStart', () => storage.setItem(pendingStartId(key), JSON.stringify(start))),
    loadPendingStart: (key) =>
      guarded('loadPendingStart', async () => {
        const value = parse(await storage.getItem(pendingStartId(key)));
        return isPendingStart(value) ? value : undefined;
      }),
    deletePendingStart: (key) => guarded('deletePendingStart', () => storage.removeItem(pendingStartId(key))),
  };
}
