/**
 * Batched checkpoint writes for one task stream (design/recovery.md): the data path schedules a
 * checkpoint after every event it delivered, and storage sees only the latest state, one write at a
 * time. A burst of 10k tokens costs a handful of writes, not 10k (SPEC.md §10: the checkpoint is saved
 * after the app has received the event).
 */
import type { TaskBridgeError } from '@taskbridge/protocol';
import type { Checkpoint, CheckpointStore } from './checkpoint-store';
import { checkpointError } from './checkpoint-store';

/** The timer the writer waits on; injectable so tests run on fake time. */
export interface CheckpointTimer {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link createCheckpointWriter}. */
export interface CheckpointWriterOptions {
  store: CheckpointStore;
  /** The checkpoint key, e.g. from `checkpointKey(...)`. */
  key: string;
  /**
   * Delay, ms, between a checkpoint being scheduled (or the previous write settling) and the next write
   * starting. Default: 0 = the next macrotask, i.e. after the app's synchronous handling of the event.
   * Raise it to trade a longer replay after a crash for fewer writes of a large snapshot.
   */
  minIntervalMs?: number;
  /** Default: `globalThis.setTimeout` / `clearTimeout`, read at each use (so fake timers apply). */
  timer?: CheckpointTimer;
  /**
   * Called for each write that failed, with a `CHECKPOINT_ERROR` (cause: the store's error). The writer
   * carries on with the next checkpoint. Default: none (wrap the store with
   * `createResilientCheckpointStore`, which never fails, to get one diagnostic instead). Must not throw.
   */
  onError?: (error: TaskBridgeError) => void;
}

/** A coalescing checkpoint writer for one key. */
export interface CheckpointWriter {
  /**
   * Records `checkpoint` as the latest state; replaces any checkpoint not yet written. Cheap and
   * synchronous: call it after emitting the event to the app. Ignored after {@link dispose}.
   */
  schedule(checkpoint: Checkpoint): void;
  /**
   * Starts the pending write at once (no delay) and resolves when everything scheduled before the call
   * has been written — or its write failed (reported through `onError`). Never rejects. Use it on the
   * terminal event and on `pagehide`.
   */
  flush(): Promise<void>;
  /** Flushes, then ignores further `schedule` calls. */
  dispose(): Promise<void>;
}

const globalTimer: CheckpointTimer = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/**
 * Creates the checkpoint writer of one task stream. At most one write is in flight; the next starts only
 * after the previous one settled and always carries the newest checkpoint scheduled so far, so an older
 * checkpoint is never written after a newer one.
 *
 * @see SPEC.md §10 (checkpoint after delivery), design/recovery.md (coalesced, flushed on terminal and pagehide)
 */
export function createCheckpointWriter(options: CheckpointWriterOptions): CheckpointWriter {
  const { store, key, onError } = options;
  const minIntervalMs = Math.max(0, options.minIntervalMs ?? 0);
  const timer = options.timer ?? globalTimer;

  let pending: Checkpoint | undefined;
  // Sequence numbers: `scheduled` counts schedule() calls; `settled` is the highest one whose write ended.
  let scheduled = 0;
  let settled = 0;
  let inFlight = false;
  let handle: unknown;
  let armed = false;
  let disposed = false;
  const waiters: { seq: number; resolve: () => void }[] = [];

  const arm = (): void => {
    if (armed) return;
    armed = true;
    handle = timer.setTimeout(() => {
      armed = false;
      write();
    }, minIntervalMs);
  };

  const disarm = (): void => {
    if (!armed) return;
    armed = false;
    timer.clearTimeout(handle);
  };

  const afterWrite = (seq: number): void => {
    inFlight = false;
    settled = seq;
    for (let i = waiters.length - 1; i >= 0; i -= 1) {
      const waiter = waiters[i] as (typeof waiters)[number];
      if (waiter.seq <= settled) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
    if (pending === undefined) return;
    // Someone is waiting in flush(): no delay.
    if (waiters.length > 0) write();
    else arm();
  };

  const write = (): void => {
    if (inFlight || pending === undefined) return;
    const checkpoint = pending;
    const seq = scheduled;
    pending = undefined;
    inFlight = true;
    let saving: Promise<void>;
    try {
      saving = store.save(key, checkpoint);
    } catch (error) {
      saving = Promise.reject(error);
    }
    saving.then(
      () => afterWrite(seq),
      (error: unknown) => {
        onError?.(checkpointError('checkpoint write failed', error));
        afterWrite(seq);
      },
    );
  };

  const flush = (): Promise<void> => {
    if (settled >= scheduled) return Promise.resolve();
    const done = new Promise<void>((resolve) => waiters.push({ seq: scheduled, resolve }));
    if (!inFlight) {
      disarm();
      write();
    }
    return done;
  };

  return {
    schedule(checkpoint) {
      if (disposed) return;
      scheduled += 1;
      pending = checkpoint;
      if (!inFlight) arm();
    },
    flush,
    dispose() {
      disposed = true;
      return flush();
    },
  };
}
