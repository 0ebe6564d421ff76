/**
 * Batched checkpoint writes for one task stream (the recovery design): the data path schedules a
 * checkpoint after every event it delivered, and storage sees only the latest state, one write at a
 * time. A burst of 10k tokens costs a handful of writes, not 10k (protocol/SPEC.md §10: the checkpoint is saved
 * after the app has received the event).
 */
import type { TaskBridgeError } from '@taskbridge/protocol';
import { type Clock, systemClock } from '../clock';
import type { TaskSnapshot } from '../task-snapshot';
import type { Checkpoint, CheckpointStore } from './checkpoint-store';
import { checkpointError } from '../errors';

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
  /** The timers the writer waits on. Default: the platform's, read at each use (so fake timers apply). */
  clock?: Clock;
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
   * Records `snapshot` as the latest state (its checkpoint — cursor, terminal event, write time — is
   * made when it is written); replaces any snapshot not yet written. Cheap and synchronous: O(1), no
   * allocation, so it can run for every event. Ignored after {@link dispose}.
   */
  schedule(snapshot: TaskSnapshot): void;
  /**
   * Starts the pending write at once (no delay) and resolves when everything scheduled before the call
   * has been written — or its write failed (reported through `onError`). Never rejects. Use it on the
   * terminal event and on `pagehide`.
   */
  flush(): Promise<void>;
  /** Flushes, then ignores further `schedule` calls. */
  dispose(): Promise<void>;
}

/**
 * Creates the checkpoint writer of one task stream. At most one write is in flight; the next starts only
 * after the previous one settled and always carries the newest checkpoint scheduled so far, so an older
 * checkpoint is never written after a newer one.
 *
 * @see protocol/SPEC.md §10 (checkpoint after delivery), the recovery design (coalesced, flushed on terminal and pagehide)
 */
export function createCheckpointWriter(options: CheckpointWriterOptions): CheckpointWriter {
  return new CoalescingCheckpointWriter(options);
}

// A class, not a closure bag: every open stream has one, and a closure per method adds up at scale.
class CoalescingCheckpointWriter implements CheckpointWriter {
  readonly #store: CheckpointStore;
  readonly #key: string;
  readonly #onError: CheckpointWriterOptions['onError'];
  readonly #minIntervalMs: number;
  readonly #clock: Clock;
  #pending: TaskSnapshot | undefined;
  // Sequence numbers: `scheduled` counts schedule() calls; `settled` is the highest one whose write ended.
  #scheduled = 0;
  #settled = 0;
  #inFlight = false;
  #handle: unknown;
  #armed = false;
  #disposed = false;
  #waiters: { seq: number; resolve: () => void }[] | undefined;

  constructor(options: CheckpointWriterOptions) {
    this.#store = options.store;
    this.#key = options.key;
    this.#onError = options.onError;
    this.#minIntervalMs = Math.max(0, options.minIntervalMs ?? 0);
    this.#clock = options.clock ?? systemClock;
  }

  schedule(snapshot: TaskSnapshot): void {
    if (this.#disposed) return;
    this.#scheduled += 1;
    this.#pending = snapshot;
    if (!this.#inFlight) this.#arm();
  }

  flush(): Promise<void> {
    if (this.#settled >= this.#scheduled) return Promise.resolve();
    const seq = this.#scheduled;
    const done = new Promise<void>((resolve) => (this.#waiters ??= []).push({ seq, resolve }));
    if (!this.#inFlight) {
      this.#disarm();
      this.#write();
    }
    return done;
  }

  dispose(): Promise<void> {
    this.#disposed = true;
    return this.flush();
  }

  #arm(): void {
    if (this.#armed) return;
    this.#armed = true;
    this.#handle = this.#clock.setTimeout(() => {
      this.#armed = false;
      // A fired timer holds its callback and bookkeeping until dropped: every open stream has one.
      this.#handle = undefined;
      this.#write();
    }, this.#minIntervalMs);
  }

  #disarm(): void {
    if (!this.#armed) return;
    this.#armed = false;
    this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #write(): void {
    if (this.#inFlight || this.#pending === undefined) return;
    const snapshot = this.#pending;
    const { taskId, lastEventId, terminalEvent } = snapshot;
    const checkpoint: Checkpoint = {
      taskId,
      lastEventId,
      snapshot,
      terminalEvent,
      updatedAt: this.#clock.now(),
    };
    const seq = this.#scheduled;
    this.#pending = undefined;
    this.#inFlight = true;
    let saving: Promise<void>;
    try {
      saving = this.#store.save(this.#key, checkpoint);
    } catch (error) {
      saving = Promise.reject(error);
    }
    saving.then(
      () => this.#afterWrite(seq),
      (error: unknown) => {
        this.#onError?.(checkpointError('checkpoint write failed', error));
        this.#afterWrite(seq);
      },
    );
  }

  #afterWrite(seq: number): void {
    this.#inFlight = false;
    this.#settled = seq;
    const waiters = this.#waiters;
    if (waiters !== undefined) {
      for (let i = waiters.length - 1; i >= 0; i -= 1) {
        const waiter = waiters[i] as (typeof waiters)[number];
        if (waiter.seq <= seq) {
          waiters.splice(i, 1);
          waiter.resolve();
        }
      }
    }
    if (this.#pending === undefined) return;
    // Someone is waiting in flush(): no delay.
    if (waiters !== undefined && waiters.length > 0) this.#write();
    else this.#arm();
  }
}
