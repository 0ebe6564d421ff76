/**
 * One run of one task's handler, in the process that runs it: the handler's abort signal, its writes
 * to the event log (fenced by the run's epoch) and the control messages that reach it. The event log
 * arbitrates between processes (the first terminal event wins, hazard H6); this object makes the
 * local side stop at once when it lost.
 */
import type { TaskEvent } from '@taskbridge/protocol';
import type { ControlMessage } from '../state/control-channel';
import type { EventStore, NewTaskEvent } from '../state/event-store';
import { abortError } from './abort-error';

/**
 * A handler that emits in a tight loop (a fast token stream, the `ticker`) resolves every emit in a
 * microtask and would hold the event loop until it finishes: sockets would not be written and other
 * tasks would not run. Every this many events its emit waits for one macrotask.
 */
export const YIELD_EVERY_EVENTS = 256;

const yieldToEventLoop: (callback: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (callback) => globalThis.setImmediate(callback)
    : (callback) => globalThis.setTimeout(callback, 0);

/** The local state of one running task. */
export class Execution {
  readonly taskId: string;
  /** Fencing token of this run (see `AppendOptions.epoch`). */
  readonly epoch: number;
  readonly #events: EventStore;
  readonly #abort = new AbortController();
  readonly #answerListeners = new Map<string, () => void>();
  #closed = false;
  #emitted = 0;

  constructor(events: EventStore, taskId: string, epoch: number) {
    this.#events = events;
    this.taskId = taskId;
    this.epoch = epoch;
  }

  /** Aborted when the task is cancelled or finished, or the process shuts down. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** True once this run may write nothing more (terminal claimed, cancelled, fenced or stopped). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Appends a non-terminal event. Rejects with an `AbortError` once the run is closed, or when the log
   * refuses it (a terminal event is stored, e.g. a cancel from another process; or a newer run fenced
   * this one) — which also closes the run and aborts the handler. Rejects with the store's error
   * (e.g. a payload that cannot be cloned) otherwise.
   */
  append(event: NewTaskEvent): Promise<TaskEvent> {
    if (this.#closed) return Promise.reject(abortError());
    return this.#events.append(event, { epoch: this.epoch }).then((result) => {
      if (result.ok) return result.event;
      this.stop();
      throw abortError();
    });
  }

  /** {@link append} for the handler's emits, yielding to the event loop every {@link YIELD_EVERY_EVENTS}. */
  emit(event: NewTaskEvent): Promise<TaskEvent> {
    const appended = this.append(event);
    if (++this.#emitted % YIELD_EVERY_EVENTS !== 0) return appended;
    return appended.then(
      (stored) => new Promise<TaskEvent>((resolve) => yieldToEventLoop(() => resolve(stored))),
    );
  }

  /**
   * Writes the terminal event: the first local call wins (later ones resolve `false` at once), and the
   * log decides across processes. Closes the run and, once the append settled, aborts the handler's
   * signal (pending `suspend()`s and `sleep()`s reject).
   *
   * @returns true when this event is the task's terminal event, false when another one won.
   */
  async finish(event: NewTaskEvent): Promise<boolean> {
    if (this.#closed) return false;
    this.#closed = true;
    try {
      return (await this.#events.append(event, { epoch: this.epoch })).ok;
    } finally {
      this.#abort.abort();
    }
  }

  /** Stops the run locally: no more writes, the handler's signal aborts. Writes no event. Idempotent. */
  stop(): void {
    this.#closed = true;
    this.#abort.abort();
  }

  /** Routes a control message for this task: cancel stops the run, an answer wakes its waiter. */
  onControl(message: ControlMessage): void {
    if (message.type === 'cancel') this.stop();
    else this.#answerListeners.get(message.suspendId)?.();
  }

  /** Calls `listener` when an "answer arrived" message for `suspendId` comes; returns the detach. */
  onAnswer(suspendId: string, listener: () => void): () => void {
    this.#answerListeners.set(suspendId, listener);
    return () => {
      if (this.#answerListeners.get(suspendId) === listener) this.#answerListeners.delete(suspendId);
    };
  }
}
