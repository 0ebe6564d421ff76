/**
 * Where a task stream keeps what it needs to resume (protocol/SPEC.md §10): the cursor (`lastEventId`), the folded
 * snapshot and the terminal event, plus the pending-start records that make `startTask` idempotent across
 * retries and reloads (protocol/SPEC.md §2). Implementations: `memory.ts`, `indexeddb.ts`, and `fallback.ts`,
 * which switches to memory when storage fails.
 */
import type { TaskEvent } from '@taskbridge/protocol';
import type { TaskSnapshot } from '../task-snapshot';

/** What is stored per task stream. Structured-cloneable and JSON-serialisable. */
export interface Checkpoint {
  taskId: string;
  /** The last `eventId` the app received: the resume cursor. `null` before the first event. */
  lastEventId: string | null;
  /** The folded state as of `lastEventId`. */
  snapshot: TaskSnapshot;
  /** Kept so a later observer (e.g. after a reload) gets the final state without opening a stream. */
  terminalEvent: TaskEvent | null;
  /** When it was written, ms since the epoch. */
  updatedAt: number;
}

/** One stored checkpoint with its key, as returned by {@link CheckpointStore.list}. */
export interface CheckpointRecord {
  key: string;
  checkpoint: Checkpoint;
}

/**
 * A create request that has not been acknowledged yet (protocol/SPEC.md §2 idempotency): persisted before the
 * first `POST /tasks` and deleted once the server answered, so a retry or a reload re-sends the same
 * `clientRequestId` and the server deduplicates instead of starting a second task.
 */
export interface PendingStart {
  clientRequestId: string;
  taskType: string;
  /** The create body's `input` (a JSON object). Files are not persisted. */
  input: unknown;
  /** The caller's stable key for "this start" (e.g. a React `useTask` resume key). */
  resumeKey?: string;
  /**
   * The task the server answered with, once it has (kept under a `resumeKey`): a later start that gets
   * another task back for the same `clientRequestId` is reported as restarted.
   */
  taskId?: string;
  /** ms since the epoch. */
  createdAt: number;
}

/**
 * A key-value store of checkpoints and pending starts. Every method returns a promise; implementations
 * return copies, so callers cannot change stored state by mutating what they passed or got back.
 * Failures reject with a `TaskBridgeError` of code `CHECKPOINT_ERROR` (wrap a store with
 * `createResilientCheckpointStore` to fall back to memory instead).
 */
export interface CheckpointStore {
  /** The checkpoint under `key`, or `undefined`. */
  load(key: string): Promise<Checkpoint | undefined>;
  /** Replaces the checkpoint under `key`. */
  save(key: string, checkpoint: Checkpoint): Promise<void>;
  /** Removes the checkpoint under `key`; no-op when absent. */
  delete(key: string): Promise<void>;
  /** Every checkpoint whose key starts with `prefix` (default: all), in no particular order. */
  list(prefix?: string): Promise<CheckpointRecord[]>;
  /** Stores a pending start under `key` (a namespace distinct from checkpoints). */
  savePendingStart(key: string, start: PendingStart): Promise<void>;
  /** The pending start under `key`, or `undefined`. */
  loadPendingStart(key: string): Promise<PendingStart | undefined>;
  /** Removes the pending start under `key`; no-op when absent. */
  deletePendingStart(key: string): Promise<void>;
}

/** What identifies a task stream's checkpoint: the client's namespace, the server and the task. */
export interface CheckpointKeyParts {
  /** Separates independent clients (or users) on one origin, e.g. `'default'` or a user id. */
  namespace: string;
  /** The server's base URL; a trailing `/` is ignored. */
  baseUrl: string;
  taskId: string;
}

// Each part is URI-encoded so `:` only ever appears as the separator and keys cannot collide.
const part = (value: string): string => encodeURIComponent(value);
const normaliseBaseUrl = (baseUrl: string): string => baseUrl.replace(/\/+$/, '');

/**
 * The key of a task's checkpoint: `<namespace>:<baseUrl>:<taskId>`, each part URI-encoded.
 *
 * @example checkpointKey({ namespace: 'default', baseUrl: 'https://api.example.com/', taskId: 't1' })
 *   // 'default:https%3A%2F%2Fapi.example.com:t1'
 */
export function checkpointKey(parts: CheckpointKeyParts): string {
  return `${checkpointKeyPrefix(parts)}${part(parts.taskId)}`;
}

/** The prefix shared by every checkpoint key of one namespace and server: pass it to `list`. */
export function checkpointKeyPrefix(parts: Omit<CheckpointKeyParts, 'taskId'>): string {
  return `${part(parts.namespace)}:${part(normaliseBaseUrl(parts.baseUrl))}:`;
}

/** The key of a pending start: like {@link checkpointKey}, with the caller's resume key in place of the task id. */
export function pendingStartKey(parts: Omit<CheckpointKeyParts, 'taskId'> & { resumeKey: string }): string {
  return `${checkpointKeyPrefix(parts)}${part(parts.resumeKey)}`;
}

/**
 * The checkpoint as plain data, as storage keeps it: a snapshot made by the reducer carries its
 * `messages` as a getter, which a spread turns into a plain frozen array.
 */
export function toStoredCheckpoint(checkpoint: Checkpoint): Checkpoint {
  return { ...checkpoint, snapshot: { ...checkpoint.snapshot } };
}

/** True when `value` looks like a stored {@link Checkpoint} (storage may hold data of another version). */
export function isCheckpoint(value: unknown): value is Checkpoint {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<Record<keyof Checkpoint, unknown>>;
  return (
    typeof c.taskId === 'string' &&
    (c.lastEventId === null || typeof c.lastEventId === 'string') &&
    typeof c.snapshot === 'object' &&
    c.snapshot !== null &&
    typeof c.updatedAt === 'number'
  );
}
