/**
 * One connection of one transport, started and stopped by the task stream machine's actions. It is the
 * seam between the data path (every frame goes straight to the stream's `deliver`) and the control path
 * (only lifecycle reaches the machine: `OPENED`, `FIRST_FRAME`, throttled `ACTIVITY`, `FAILED`,
 * `CLOSED`): a transition per token would cost more than the transport.
 *
 * A plain object rather than a child actor: every open stream has one (two during a climb-back probe),
 * and an actor per connection (mailbox, scope, snapshot, system registration) cost more than the rest
 * of the run. The machine still owns its whole life: `startRun`/`startProbe` create and start it,
 * `stopRuns`/`dropProbe`/`climbBack` stop it, the context names it (`runs`), and every lifecycle event
 * it sends is a machine event XState's inspection shows.
 */
import type { TaskBridgeError } from '@taskbridge/protocol';
import { toTaskBridgeError } from '../errors';
import { RunRequest } from '../transports/run-request';
import type { Transport, TransportMessage } from '../transports/transport';
import type { Runs, StreamPort } from './context';

/** The messages a transport run hands to the data path, synchronously and in transport order. */
export type DataMessage = Extract<
  TransportMessage,
  { type: 'event' | 'heartbeat' | 'malformed' | 'history-trimmed' }
>;

/** Lifecycle events a transport run sends to the machine; `runId` names the run. */
export type TransportRunEvent =
  | { type: 'OPENED'; runId: string }
  | { type: 'FIRST_FRAME'; runId: string }
  | { type: 'ACTIVITY'; runId: string }
  | { type: 'FAILED'; runId: string; error: TaskBridgeError }
  | { type: 'CLOSED'; runId: string };

/** Where a run reports its lifecycle: the stream's machine. */
export interface RunParent {
  send(event: TransportRunEvent): void;
}

/** What a {@link TransportRun} is made of. */
export interface TransportRunInput {
  runId: string;
  transport: Transport;
  taskId: string;
  stream: StreamPort;
  /** Least time between two `ACTIVITY` events, ms. */
  activityThrottleMs: number;
  now: () => number;
}

/** The request's cursor: read at each (re)connect, never cached. */
function cursorOf(stream: StreamPort): () => string | null {
  return () => stream.cursor();
}

/**
 * One connection of one transport, and its request. {@link start} connects (`stop()` closes the
 * connection and aborts the request's signal, if one was made), forwards data to the stream synchronously, and turns
 * lifecycle into machine events. Any first frame (ack, event, heartbeat, even a malformed frame) proves
 * nothing is buffering; later frames become `ACTIVITY`, throttled so a token stream does not cost one
 * machine transition per token. A polling transport's `open` is a whole checked response, so it counts
 * as the first frame too. A `connect()` that throws becomes `FAILED` (`INTERNAL_ERROR`). Nothing is
 * sent once stopped.
 *
 * @see protocol/SPEC.md §10 (first-frame and liveness deadlines).
 */
export class TransportRun extends RunRequest {
  /** The run's name in the machine's context and in the events it sends (`run-<seq>`). */
  readonly id: string;
  readonly #input: TransportRunInput;
  readonly #parent: RunParent;
  #firstFrameSent = false;
  #lastActivityAt = Number.NEGATIVE_INFINITY;

  constructor(input: TransportRunInput, parent: RunParent) {
    super(input.taskId, cursorOf(input.stream));
    this.id = input.runId;
    this.#input = input;
    this.#parent = parent;
  }

  /** Opens the connection (not once stopped). Never throws. */
  start(): void {
    if (this.stopped) return;
    try {
      // The run is its own request (see RunRequest): `stop()` ends the connection.
      this.#input.transport.connect(this, (message) => this.#receive(message));
    } catch (error) {
      this.#send({ type: 'FAILED', runId: this.id, error: toTaskBridgeError(error) });
    }
  }

  #send(event: TransportRunEvent): void {
    if (!this.stopped) this.#parent.send(event);
  }

  #frame(): void {
    const now = this.#input.now();
    if (!this.#firstFrameSent) {
      this.#firstFrameSent = true;
      this.#lastActivityAt = now;
      this.#send({ type: 'FIRST_FRAME', runId: this.id });
    } else if (now - this.#lastActivityAt >= this.#input.activityThrottleMs) {
      this.#lastActivityAt = now;
      this.#send({ type: 'ACTIVITY', runId: this.id });
    }
  }

  #receive(message: TransportMessage): void {
    if (this.stopped) return;
    const runId = this.id;
    switch (message.type) {
      case 'open':
        this.#send({ type: 'OPENED', runId });
        if (this.#input.transport.name === 'polling') this.#frame();
        return;
      case 'ack':
        this.#frame();
        return;
      case 'event':
      case 'heartbeat':
      case 'malformed':
      case 'history-trimmed':
        this.#input.stream.deliver(this.#input.transport.name, message);
        // deliver may have delivered the terminal event and stopped this run: #send() checks.
        this.#frame();
        return;
      case 'error':
        this.#send({ type: 'FAILED', runId, error: message.error });
        return;
      case 'closed':
        this.#send({ type: 'CLOSED', runId });
        return;
    }
  }
}

/**
 * Stops the transport runs of a machine snapshot. The machine's exit actions do it on every way out
 * of a connection; the stream calls this when its machine crashed (no exit actions ran). A machine
 * that crashed before its first state has no context, hence no runs.
 */
export function stopRunsOf(snapshot: { readonly context?: { readonly runs: Runs } }): void {
  snapshot.context?.runs.active?.stop();
  snapshot.context?.runs.probe?.stop();
}
