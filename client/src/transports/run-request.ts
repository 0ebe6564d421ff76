/**
 * The request a stream hands to a transport for one connection. Its `AbortSignal` is made only when a
 * transport reads it (`fetch` needs one; the WebSocket and SSE transports do not): every open stream
 * holds a request, and a platform `AbortSignal` with an `abort` listener costs more memory than the
 * rest of the connection's bookkeeping. Our own transports hear the stop through {@link onStop}
 * instead (see `TransportLink`); any other transport sees an ordinary request.
 */
import type { TransportRequest } from './transport';

/** What hears a {@link RunRequest} stop (an `EventListener` object, as on a signal). */
export interface StopListener {
  handleEvent(): void;
}

/** A {@link TransportRequest} stopped by its owner with {@link stop}. Internal. */
export class RunRequest implements TransportRequest {
  readonly taskId: string;
  readonly getCursor: () => string | null;
  #controller: AbortController | undefined;
  #listener: StopListener | undefined;
  /** True once {@link stop} was called. */
  stopped = false;

  constructor(taskId: string, getCursor: () => string | null) {
    this.taskId = taskId;
    this.getCursor = getCursor;
  }

  /** Made on first read; aborted already when the request was stopped before. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.stopped) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /**
   * Sets the one listener told when the request stops, before its signal (if any) aborts; `undefined`
   * removes it. Only `TransportLink` uses it, and a transport makes one link per request.
   */
  onStop(listener: StopListener | undefined): void {
    this.#listener = listener;
  }

  /** Stops the connection: tells the listener, aborts the signal. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.handleEvent();
    this.#controller?.abort();
  }
}
