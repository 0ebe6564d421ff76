/**
 * The IndexedDB checkpoint store (protocol/SPEC.md §10): survives reloads, so a task resumes from its last
 * delivered `eventId` and a finished task shows its final state without a stream. Built on `idb-keyval`.
 */
import { del, entries, get, set, type UseStore } from 'idb-keyval';
import type { Checkpoint, CheckpointRecord, CheckpointStore, PendingStart } from './checkpoint-store';
import { checkpointError } from '../errors';
import { isCheckpoint, toStoredCheckpoint } from './checkpoint-store';

/** Options of {@link createIndexedDbCheckpointStore}. */
export interface IndexedDbCheckpointStoreOptions {
  /** Database name. Default: `'taskbridge'`. */
  dbName?: string;
  /** Object store name; other stores may share the database. Default: `'checkpoints'`. */
  storeName?: string;
  /**
   * The IndexedDB factory, or a function returning it. Default: `globalThis.indexedDB`, read at the first
   * operation (not at import), so SSR and tests can install one later. In Node tests pass
   * `new IDBFactory()` from `fake-indexeddb`.
   */
  indexedDB?: IDBFactory | (() => IDBFactory | undefined);
}

const CHECKPOINT_PREFIX = 'checkpoint:';
const PENDING_START_PREFIX = 'pending-start:';

type FactorySource = () => IDBFactory | undefined;

function factorySource(option: IndexedDbCheckpointStoreOptions['indexedDB']): FactorySource {
  if (typeof option === 'function') return option;
  if (option !== undefined) return () => option;
  return () => (globalThis as { indexedDB?: IDBFactory }).indexedDB;
}

/** Which database and object store to open; `version` upgrades it (to add the store). */
interface DatabaseTarget {
  dbName: string;
  storeName: string;
  version?: number;
}

function openDatabase(factory: IDBFactory, { dbName, storeName, version }: DatabaseTarget) {
  return new Promise<IDBDatabase>((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      // Some browsers throw here (SecurityError) in private mode or on opaque origins.
      request = version === undefined ? factory.open(dbName) : factory.open(dbName, version);
    } catch (error) {
      reject(checkpointError(`cannot open IndexedDB "${dbName}"`, error));
      return;
    }
    let settled = false;
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(storeName)) request.result.createObjectStore(storeName);
    };
    request.onsuccess = () => {
      // A success after `blocked` was reported: nobody waits for this connection any more.
      if (settled) request.result.close();
      else resolve(request.result);
      settled = true;
    };
    request.onerror = () => {
      if (!settled) reject(checkpointError(`cannot open IndexedDB "${dbName}"`, request.error));
      settled = true;
    };
    request.onblocked = () => {
      if (!settled) reject(checkpointError(`opening IndexedDB "${dbName}" is blocked by another connection`));
      settled = true;
    };
  });
}

/**
 * An idb-keyval `UseStore` like its `createStore(dbName, storeName)`, with two differences that are the
 * reason it exists: the factory is injected (idb-keyval's `createStore` only reads the global
 * `indexedDB`), and a database that already exists without this object store gets it through a version
 * upgrade (idb-keyval only creates stores when the database is new).
 */
function createUseStore(source: FactorySource, dbName: string, storeName: string): UseStore {
  let connection: Promise<IDBDatabase> | undefined;

  const connect = async (): Promise<IDBDatabase> => {
    const factory = source();
    if (factory === undefined) throw checkpointError('indexedDB is not available in this environment');
    let db = await openDatabase(factory, { dbName, storeName });
    if (!db.objectStoreNames.contains(storeName)) {
      const version = db.version + 1;
      db.close();
      db = await openDatabase(factory, { dbName, storeName, version });
    }
    // Let another tab upgrade the database instead of blocking it; the next operation reconnects.
    db.onversionchange = () => {
      db.close();
      connection = undefined;
    };
    db.onclose = () => {
      connection = undefined;
    };
    return db;
  };

  const database = (): Promise<IDBDatabase> => {
    if (!connection) {
      const pending = connect();
      connection = pending;
      pending.catch(() => {
        if (connection === pending) connection = undefined;
      });
    }
    return connection;
  };

  return (txMode, callback) =>
    database().then((db) => callback(db.transaction(storeName, txMode).objectStore(storeName)));
}

async function guarded<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw checkpointError(`IndexedDB ${operation} failed`, error);
  }
}

/**
 * Creates a {@link CheckpointStore} over IndexedDB. Checkpoints and pending starts share one object
 * store under distinct key prefixes. Values are stored by structured clone (a copy); a stored value that
 * is not a checkpoint (e.g. written by another version) loads as `undefined`.
 *
 * Every failure — `indexedDB` missing, `open` blocked or refused, `QuotaExceededError`, `DataCloneError`
 * — rejects with a `TaskBridgeError` of code `CHECKPOINT_ERROR` whose `cause` is the platform error.
 * Use `createResilientCheckpointStore` to fall back to memory instead.
 *
 * `list(prefix)` reads every entry of the object store and filters by key: fine for the few tasks a
 * client keeps, and what idb-keyval offers.
 *
 * @see protocol/SPEC.md §10 (checkpoint), §2 (pending starts for idempotent create)
 */
export function createIndexedDbCheckpointStore(
  options: IndexedDbCheckpointStoreOptions = {},
): CheckpointStore {
  const store = createUseStore(
    factorySource(options.indexedDB),
    options.dbName ?? 'taskbridge',
    options.storeName ?? 'checkpoints',
  );
  const checkpointId = (key: string) => CHECKPOINT_PREFIX + key;
  const pendingStartId = (key: string) => PENDING_START_PREFIX + key;

  return {
    load: (key) =>
      guarded('load', async () => {
        const value: unknown = await get(checkpointId(key), store);
        return isCheckpoint(value) ? value : undefined;
      }),
    save: (key, checkpoint) => {
      // Detach now, not when the transaction opens: the live snapshot may move on in between.
      const stored: Checkpoint = toStoredCheckpoint(checkpoint);
      return guarded('save', () => set(checkpointId(key), stored, store));
    },
    delete: (key) => guarded('delete', () => del(checkpointId(key), store)),
    list: (prefix = '') =>
      guarded('list', async () => {
        const wanted = checkpointId(prefix);
        const records: CheckpointRecord[] = [];
        for (const [id, value] of await entries<IDBValidKey, unknown>(store)) {
          if (typeof id === 'string' && id.startsWith(wanted) && isCheckpoint(value)) {
            records.push({ key: id.slice(CHECKPOINT_PREFIX.length), checkpoint: value });
          }
        }
        return records;
      }),
    savePendingStart: (key, start) =>
      guarded('savePendingStart', () => set(pendingStartId(key), start, store)),
    loadPendingStart: (key) =>
      guarded('loadPendingStart', () => get<PendingStart>(pendingStartId(key), store)),
    deletePendingStart: (key) => guarded('deletePendingStart', () => del(pendingStartId(key), store)),
  };
}
