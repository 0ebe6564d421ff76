/**
 * `TaskRunner`: one task per instance, started or followed through the injected client, exposed as an
 * observable of {@link TaskView} for `toSignal`. Provide it per component (`providers: [TaskRunner]`) so
 * it lives and dies with the view that renders it; the client's shared stream keeps one connection per
 * task however many runners follow it.
 */
import { Injectable, inject } from '@angular/core';
import { type JsonObject, type StartTaskParams, TaskBridgeError, type TaskStream } from '@taskbridge/client';
import {
  BehaviorSubject,
  catchError,
  combineLatest,
  defer,
  map,
  Observable,
  of,
  shareReplay,
  startWith,
  switchMap,
} from 'rxjs';
import { TASK_BRIDGE_CLIENT } from './provide-task-bridge';
import { IDLE_TASK_VIEW, failedStartView, STARTING_TASK_VIEW, type TaskView, toTaskView } from './task-view';

/** What {@link TaskRunner.start} takes: the client's start parameters; the runner owns the abort signal. */
export type TaskStartParams = Omit<StartTaskParams, 'signal'>;

type Target =
  | { readonly kind: 'start'; readonly params: TaskStartParams }
  | { readonly kind: 'follow'; readonly taskId: string }
  | null;

@Injectable()
export class TaskRunner {
  readonly #client = inject(TASK_BRIDGE_CLIENT);
  readonly #target = new BehaviorSubject<Target>(null);
  readonly #commandFailure = new BehaviorSubject<TaskBridgeError | null>(null);
  #stream: TaskStream | null = null;

  /**
   * The task, as a view: emits at once, then on every event and connection change. Never errors: a
   * start that fails, a stream that fails and a refused command are fields of the view. Starting or
   * following another task switches to it (the old stream is released, not cancelled; a start still
   * in flight is aborted).
   */
  readonly view$: Observable<TaskView> = this.#target.pipe(
    switchMap((target) => this.#viewOf(target)),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /** Starts a task (idempotent per `clientRequestId` / `resumeKey`) and follows it. */
  start(params: TaskStartParams): void {
    this.#commandFailure.next(null);
    this.#target.next({ kind: 'start', params });
  }

  /** Follows an existing task, e.g. one of `client.activeTasks()` after a reload. */
  follow(taskId: string): void {
    this.#commandFailure.next(null);
    this.#target.next({ kind: 'follow', taskId });
  }

  /** Requests cancellation; the task then ends `cancelled` through the stream. Never rejects. */
  cancel(reason?: string): Promise<void> {
    return this.#command((stream) => stream.cancel(reason));
  }

  /** Answers the open suspension, e.g. `submitAction('approve')`. Never rejects. */
  submitAction(actionType: string, payload?: JsonObject): Promise<void> {
    return this.#command((stream) => stream.submitAction(actionType, payload));
  }

  #viewOf(target: Target): Observable<TaskView> {
    this.#stream = null;
    if (target === null) return of(IDLE_TASK_VIEW);
    if (target.kind === 'follow') return this.#follow(this.#client.task(target.taskId));
    return this.#startTask(target.params).pipe(
      switchMap((stream) => this.#follow(stream)),
      catchError((error: unknown) => of(failedStartView(error))),
      startWith(STARTING_TASK_VIEW),
    );
  }

  /** The stream's snapshot and connection folded into views; completes never, errors never. */
  #follow(stream: TaskStream): Observable<TaskView> {
    return defer(() => {
      this.#stream = stream;
      return combineLatest([stream.snapshot$, stream.connection$, this.#commandFailure]);
    }).pipe(map(([snapshot, connection, failure]) => toTaskView(snapshot, connection, failure)));
  }

  /** `client.startTask` as an observable that aborts the request when unsubscribed. */
  #startTask(params: TaskStartParams): Observable<TaskStream> {
    return new Observable<TaskStream>((subscriber) => {
      const abort = new AbortController();
      this.#client.startTask({ ...params, signal: abort.signal }).then(
        (started) => subscriber.next(started.stream),
        (error: unknown) => subscriber.error(error),
      );
      return () => abort.abort();
    });
  }

  async #command(run: (stream: TaskStream) => Promise<unknown>): Promise<void> {
    const stream = this.#stream;
    if (stream === null) {
      const error = new TaskBridgeError({
        code: 'USAGE_ERROR',
        message: 'no task yet',
        retryable: false,
      });
      this.#commandFailure.next(error);
      return;
    }
    this.#commandFailure.next(null);
    try {
      await run(stream);
    } catch (error) {
      this.#commandFailure.next(TaskBridgeError.from(error));
    }
  }
}
