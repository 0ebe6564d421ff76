/**
 * A task stream's state seen from RxJS and promises: `snapshot$` and `connection$` are derived from the
 * store's one listener set, `events$` fans out through a minimal subject, and `settled()` is one more
 * listener.
 */
import { Observable, type Subscriber } from 'rxjs';
import { stoppedError } from './errors';
import type { TaskSnapshot } from './task-snapshot';
import type { TaskStreamState } from './task-stream-api';

/** The store's shape: one state, one listener set (subscribing attaches the stream). */
export interface StateStore {
  subscribe(listener: () => void): () => void;
  getState(): TaskStreamState;
}

/** Connection statuses nothing follows. */
export const FINAL: ReadonlySet<string> = new Set(['done', 'failed', 'stopped']);

/** The connection is over: done, failed or stopped. */
export const isFinal = ({ connection }: TaskStreamState): boolean => FINAL.has(connection.status);

/** The stream has ended one way or another: terminal event, failure, or a final connection. */
export const isSettled = (state: TaskStreamState): boolean =>
  state.snapshot.terminalEvent !== null || state.failure !== null || isFinal(state);

/**
 * Tells `subscriber` how the stream ended, when it has: completes after the terminal event, errors
 * with the failure, or with `ABORTED` when it was stopped first. True if it did.
 */
export function endIfOver(
  { snapshot, failure, connection }: TaskStreamState,
  subscriber: Subscriber<unknown>,
): boolean {
  if (snapshot.terminalEvent !== null) subscriber.complete();
  else if (failure !== null) subscriber.error(failure);
  else if (connection.status === 'stopped') subscriber.error(stoppedError());
  else return false;
  return true;
}

/** One part of the state as an observable: the current value at once, then each change, until `ended`. */
export function derived<T>(
  store: StateStore,
  read: (state: TaskStreamState) => T,
  ended: (state: TaskStreamState) => boolean,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let last = read(store.getState());
    subscriber.next(last);
    if (ended(store.getState())) return subscriber.complete();
    return store.subscribe(() => {
      const state = store.getState();
      const value = read(state);
      if (value !== last) subscriber.next((last = value));
      if (ended(state)) subscriber.complete();
    });
  });
}

/** The final snapshot once the task is terminal; rejects with the failure, or `ABORTED` when stopped. */
export function settledOf(store: StateStore): Promise<TaskSnapshot> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const { snapshot, failure, connection } = store.getState();
      if (snapshot.terminalEvent !== null) resolve(snapshot);
      else if (failure !== null) reject(failure);
      else if (connection.status === 'stopped') reject(stoppedError());
      else return false;
      return true;
    };
    if (check()) return;
    let over = false;
    const off = store.subscribe(() => {
      over ||= check();
      if (over) off?.();
    });
    // Attaching may settle it at once (e.g. a stopped stream).
    if (over || check()) off();
  });
}

/**
 * What `events$` needs of a subject, and no more (every open stream has one): its subscribers, copied
 * on write so that an emission iterates a stable array without copying it.
 */
export class EventChannel<T> {
  #subscribers: readonly Subscriber<T>[] = [];

  /** Adds `subscriber`; the teardown removes it, then calls `release`. */
  add(subscriber: Subscriber<T>, release: () => void): () => void {
    // `concat` allocates the exact length; a spread leaves room to grow (≈ 130 bytes per stream).
    this.#subscribers = this.#subscribers.concat([subscriber]);
    return () => {
      this.#subscribers = this.#subscribers.filter((s) => s !== subscriber);
      release();
    };
  }

  next(value: T): void {
    for (const subscriber of this.#subscribers) subscriber.next(value);
  }

  /** Errors every subscriber with `error`, or completes them when it is `undefined`. */
  end(error: unknown): void {
    const subscribers = this.#subscribers;
    this.#subscribers = [];
    for (const subscriber of subscribers) {
      if (error === undefined) subscriber.complete();
      else subscriber.error(error);
    }
  }
}
