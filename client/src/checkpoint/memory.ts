/**
 * The in-memory checkpoint store: the default where `indexedDB` is missing (Node, SSR) and the fallback
 * (and mirror) when IndexedDB fails (protocol/SPEC.md §10). Lives as long as the page or process.
 *
 * Cost model: a stream saves its checkpoint every `checkpointMinIntervalMs` while tokens arrive, so a save
 * must not cost O(stream length). The two parts that grow with the stream — `snapshot.messages` and
 * `snapshot.text` — are kept by reference: `text` is an immutable string, and a reducer-made snapshot's
 * messages live in an append-only log whose entries below the snapshot's own count never change (see
 * `task-snapshot.ts`), so remembering the log and that count is an exact, O(1) copy. Everything else
 * (cursor, status, suspension, result, terminal event: small) is copied with `structuredClone`.
 */
import { checkpointError } from '../errors';
import type { TaskSnapshot, TaskSnapshotMessage } from '../task-snapshot';
import { messageLogOf } from '../task-snapshot';
import type { Checkpoint, CheckpointRecord, CheckpointStore, PendingStart } from './checkpoint-store';

// structuredClone throws DataCloneError for functions, symbols and the like: report it as storage would.
function copy<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch (error) {
    throw checkpointError('checkpoint value is not structured-cloneable', error);
  }
}

/** One stored checkpoint: a copy of its small part, and its messages and text by reference. */
interface Stored {
  /** The checkpoint with `snapshot.messages` empty and `snapshot.text` `''`; never handed out. */
  readonly rest: Checkpoint;
  /** Read only below `messageCount`: a reducer's shared array may grow past it, never change below it. */
  readonly messages: readonly TaskSnapshotMessage[];
  readonly messageCount: number;
  readonly text: string;
}

const NO_MESSAGES: readonly TaskSnapshotMessage[] = [];

/** The snapshot's small part: every field but `messages` and `text` (read without materialising them). */
function withoutLog(snapshot: TaskSnapshot): TaskSnapshot {
  const small: Record<string, unknown> = {};
  for (const key of Object.keys(snapshot)) {
    if (key !== 'messages' && key !== 'text') small[key] = snapshot[key as keyof TaskSnapshot];
  }
  return { ...(small as unknown as TaskSnapshot), messages: NO_MESSAGES, text: '' };
}

function toStored(checkpoint: Checkpoint): Stored {
  const { snapshot } = checkpoint;
  const shared = messageLogOf(snapshot);
  // A snapshot the reducer did not make (initial, restored, hand-built) owns an array its caller may
  // still change: copy that one. The log's entries below the snapshot's count never change.
  const messages = shared === undefined ? copy(snapshot.messages) : shared.log;
  const rest = copy({ ...checkpoint, snapshot: withoutLog(snapshot) });
  return { rest, messages, messageCount: shared?.count ?? messages.length, text: snapshot.text };
}

function fromStored(stored: Stored): Checkpoint {
  const rest = copy(stored.rest);
  const messages = Object.freeze(stored.messages.slice(0, stored.messageCount));
  const snapshot: TaskSnapshot = { ...rest.snapshot, messages, text: stored.text };
  return { ...rest, snapshot };
}

/**
 * Creates an in-memory {@link CheckpointStore}. What is loaded is a copy, and what was saved cannot be
 * changed afterwards through the caller's objects, as with a real storage; a save costs O(1) in the
 * length of the stream (see the module comment), a load O(messages).
 *
 * Rejects only when a value is not structured-cloneable (a `CHECKPOINT_ERROR` wrapping the platform's
 * `DataCloneError`; IndexedDB refuses the same values).
 *
 * @see protocol/SPEC.md §10 (checkpoint)
 */
export function createMemoryCheckpointStore(): CheckpointStore {
  const checkpoints = new Map<string, Stored>();
  const pendingStarts = new Map<string, PendingStart>();

  return {
    async load(key) {
      const stored = checkpoints.get(key);
      return stored === undefined ? undefined : fromStored(stored);
    },
    async save(key, checkpoint) {
      checkpoints.set(key, toStored(checkpoint));
    },
    async delete(key) {
      checkpoints.delete(key);
    },
    async list(prefix = '') {
      const records: CheckpointRecord[] = [];
      for (const [key, stored] of checkpoints) {
        if (key.startsWith(prefix)) records.push({ key, checkpoint: fromStored(stored) });
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
