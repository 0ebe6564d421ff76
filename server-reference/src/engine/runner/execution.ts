/**
 * One run of one task's handler, in the process that runs it: the handler's abort signal, its writes
 * to the event log (fenced by the run's epoch) and the control messages that reach it. The event log
 * arbitrates between processes (the first terminal event wins, hazard H6); this object makes the
 * local side stop at once when it lost.
 */
import type { TaskBridgeError, TaskEvent } from '@taskbridge/protocol';
import type { ControlMessage } from '../state/control-channel';
import { payloadBytes, utf8Length } from '../handler-output';
import { type EngineLimits, taskLimitExceeded } from '../limits';
import type { EventStore, NewTaskEvent } from '../state/event-store';
import { abortError } from './abort-error';

/** The limits an {@link Execution} enforces on the events its handler writes. */
export type ExecutionLimits = Pick<
  EngineLimits,
  'maxEventsPerTask' | 'maxEventPayloadBytes' | 'maxTaskBytes'
>;

const UNLIMITED: ExecutionLimits = { maxEventsPerTask: null, maxEventPayloadBytes: null, maxTaskBytes: null };

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
  readonly #limits: ExecutionLimits;
  readonly #onLimit: (error: TaskBridgeError) => void;
  #closed = false;
  #emitted = 0;
  #written = 0;
  #bytes = 0;

  /**
   * @param limits - bounds on the non-terminal events written (default: none).
   * @param onLimit - called once with the error when a write would pass a limit; the caller writes
   *   the task's `TASK_FAILED` (default: the run only stops).
   */
  constructor(
    events: EventStore,
    taskId: string,
    epoch: number,
    limits: ExecutionLimits = UNLIMITED,
    onLimit: (error: TaskBridgeError) => void = () => this.stop(),
  ) {
    this.#events = events;
    this.taskId = taskId;
    this.epoch = epoch;
    this.#limits = limits;
    this.#onLimit = onLimit;
  }

  /** Bytes of event payloads (JSON text, UTF-8) this run has written or is writing. */
  get bytesWritten(): number {
    return this.#bytes;
  }

  /**
   * Counts `payloadText`'s bytes against `maxEventPayloadBytes` and `maxTaskBytes` (one more event
   * against `maxEventsPerTask` when `countEvent`).
   *
   * @returns the breached limit's error (nothing is counted then), or `null`.
   */
  charge(payloadText: string | null, countEvent: boolean): TaskBridgeError | null {
    return this.#chargeBytes(payloadText === null ? 0 : utf8Length(payloadText), countEvent);
  }

  #chargeBytes(bytes: number, countEvent: boolean): TaskBridgeError | null {
    const { maxEventsPerTask, maxEventPayloadBytes, maxTaskBytes } = this.#limits;
    if (countEvent && maxEventsPerTask !== null && this.#written >= maxEventsPerTask) {
      return taskLimitExceeded(
        'maxEventsPerTask',
        maxEventsPerTask,
        `the task wrote more than ${maxEventsPerTask} events`,
      );
    }
    if (maxEventPayloadBytes !== null && bytes > maxEventPayloadBytes) {
      return taskLimitExceeded(
        'maxEventPayloadBytes',
        maxEventPayloadBytes,
        `an event payload of ${bytes} bytes is over the limit of ${maxEventPayloadBytes} bytes`,
      );
    }
    if (maxTaskBytes !== null && this.#bytes + bytes > maxTaskBytes) {
      return taskLimitExceeded(
        'maxTaskBytes',
        maxTaskBytes,
        `the task's events are over the limit of ${maxTaskBytes} bytes`,
      );
    }
    if (countEvent) this.#written += 1;
    this.#bytes += bytes;
    return null;
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
   * (e.g. a payload that cannot be cloned) otherwise. A write that would pass a limit (see
   * {@link charge}) rejects with `TASK_LIMIT_EXCEEDED` and calls `onLimit`.
   */
  append(event: NewTaskEvent): Promise<TaskEvent> {
    if (this.#closed) return Promise.reject(abortError());
    const measured = this.#limits.maxEventPayloadBytes !== null || this.#limits.maxTaskBytes !== null;
    const breach = this.#chargeBytes(measured ? payloadBytes(event.payload) : 0, true);
    if (breach) {
      // The run ends here: the handler's write is refused and the task fails with this error.
      this.#onLimit(breach);
      return Promise.reject(breach);
    }
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
   * log decides across processes. Closes the run and, once the append is stored or refused, aborts the
   * handler's signal (pending `suspend()`s and `sleep()`s reject). When the append rejects (nothing
   * stored) the run stays open and the rejection is passed on, so a fallback terminal can follow.
   *
   * @returns true when this event is the task's terminal event, false when another one won.
   */
  async finish(event: NewTaskEvent): Promise<boolean> {
    if (this.#closed) return false;
    this.#closed = true;
    let stored: boolean;
    try {
      stored = (await this.#events.append(event, { epoch: this.epoch })).ok;
    } catch (error) {
      // Nothing was stored (e.g. a payload the store refused): the caller may still write another
      // terminal event (its TASK_FAILED), so the run is not closed by this attempt.
      this.#closed = false;
      throw error;
    }
    this.#abort.abort();
    return stored;
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
