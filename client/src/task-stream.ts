/**
 * One task's shared stream: a store (`subscribe` / `getState`, one state, one listener set) plus the
 * data path — `deliver(event)`: sequencer → reducer → checkpoint writer → notify. Everything about the
 * connection's life (restore, transports, fallback, observers, detach grace) is the machine's; the
 * per-event path never enters it.
 */
import {
  type CancelTaskResponse,
  type ClientActionResponse,
  type HistoryTrimmed,
  isTerminalEvent,
  type JsonObject,
  type TaskEvent,
  type TransportName,
  type UnknownTaskEvent,
} from '@taskbridge/protocol';
import { Observable } from 'rxjs';
import { type Actor, createActor, type SnapshotFrom } from 'xstate';
import type { Checkpoint } from './checkpoint/checkpoint-store';
import type { CheckpointWriter } from './checkpoint/checkpoint-writer';
import {
  type ConnectionState,
  connectionStatesEqual,
  IDLE_CONNECTION_STATE,
  toConnectionState,
} from './connection-state';
import { protocolError, stoppedError } from './errors';
import type { EnvironmentEvent } from './machine/events';
import type { DataMessage, StreamPort, taskStreamMachine } from './machine/machine';
import { stopRunsOf } from './machine/transport-run';
import { createSequencer, type Sequencer } from './sequencer';
import type { StreamContext } from './stream-context';
import { ListenerSet } from './listener-set';
import { derived, endIfOver, EventChannel, FINAL, isFinal, isSettled, settledOf } from './stream-observables';
import type { SubmitActionOptions } from './task-commands';
import { applyHistoryTrimmed } from './history-trimmed';
import {
  initialTaskSnapshot,
  reduceTaskSnapshot,
  type TaskSnapshot,
  withHistoryTrimmed,
} from './task-snapshot';
import type { TaskStream, TaskStreamState } from './task-stream-api';

/** The implementation behind {@link TaskStream}, and the machine's {@link StreamPort}. Internal. */
export class TaskStreamStore implements TaskStream, StreamPort {
  readonly taskId: string;
  readonly #context: StreamContext;
  #state: TaskStreamState;
  readonly #listeners = new ListenerSet();
  #events: EventChannel<TaskEvent | UnknownTaskEvent> | undefined;
  #events$: Observable<TaskEvent | UnknownTaskEvent> | undefined;
  #sequencer: Sequencer | undefined;
  #writer: CheckpointWriter | undefined;
  #actor: Actor<typeof taskStreamMachine> | undefined;
  relay: StreamPort['relay'] = null;
  writes = true;

  constructor(taskId: string, context: StreamContext) {
    this.taskId = taskId;
    this.#context = context;
    this.#state = { snapshot: initialTaskSnapshot(taskId), connection: IDLE_CONNECTION_STATE, failure: null };
  }

  get events$(): Observable<TaskEvent | UnknownTaskEvent> {
    return (this.#events$ ??= new Observable((subscriber) => {
      const events = (this.#events ??= new EventChannel());
      if (endIfOver(this.#state, subscriber)) return;
      return events.add(subscriber, this.#retain());
    }));
  }

  get snapshot$(): Observable<TaskSnapshot> {
    return derived(this, (state) => state.snapshot, isSettled);
  }

  get connection$(): Observable<ConnectionState> {
    return derived(this, (state) => state.connection, isFinal);
  }

  subscribe(listener: () => void): () => void {
    return this.#listeners.add(listener, this.#retain());
  }

  getState(): TaskStreamState {
    return this.#state;
  }

  getSnapshot(): TaskSnapshot {
    return this.#state.snapshot;
  }

  getConnectionState(): ConnectionState {
    return this.#state.connection;
  }

  settled(): Promise<TaskSnapshot> {
    return settledOf(this);
  }

  cancel(reason?: string): Promise<CancelTaskResponse> {
    return this.#context.commands.cancel(this.taskId, reason);
  }

  submitAction(
    actionType: string,
    payload?: JsonObject,
    options?: SubmitActionOptions,
  ): Promise<ClientActionResponse> {
    const request = { actionType, payload, options };
    return this.#context.commands.submitAction(this.taskId, this.#state.snapshot.suspension, request);
  }

  /** Forwards connectivity and page-lifecycle events to the machine. */
  notify(event: EnvironmentEvent): void {
    this.#actor?.send(event);
  }

  /** Persists the latest checkpoint now (e.g. on `pagehide`). */
  flush(): Promise<void> {
    return this.#writer?.flush() ?? Promise.resolve();
  }

  /** Stops the stream for good (`client.close()`): observers are told, the checkpoint is flushed. */
  stop(): void {
    if (this.#actor !== undefined) this.#actor.send({ type: 'STOP' });
    else this.#setConnection({ ...IDLE_CONNECTION_STATE, status: 'stopped' });
  }

  cursor(): string | null {
    return this.#sequencer?.cursor() ?? null;
  }

  restore(checkpoint: Checkpoint | undefined): void {
    const initialCursor = checkpoint?.lastEventId ?? null;
    this.#sequencer = createSequencer({ initialCursor, initiallyDone: checkpoint?.terminalEvent != null });
    this.#writer = this.#context.checkpointWriter(this.taskId);
    if (checkpoint !== undefined) this.#update({ ...this.#state, snapshot: checkpoint.snapshot });
  }

  // The data path: synchronous, per event, never through the machine.
  deliver(transport: TransportName, message: DataMessage): void {
    if (message.type === 'heartbeat') return;
    const { diagnostic } = this.#context;
    const taskId = this.taskId;
    if (message.type === 'malformed') {
      const error = protocolError(message.error.message, { cause: message.error });
      return diagnostic({ type: 'malformed-frame', taskId, transport, error });
    }
    if (message.type === 'history-trimmed') return this.#trimmed(transport, message.info);
    const { event, conformance } = message;
    if (event.taskId !== taskId) {
      // Another task's event (a server bug or a shared connection): never folded into this one.
      const eventTaskId = event.taskId;
      return diagnostic({ type: 'foreign-event', taskId, eventId: event.eventId, eventTaskId, transport });
    }
    const { eventId, type } = event;
    const sequencer = (this.#sequencer ??= createSequencer());
    const after = sequencer.cursor();
    const decision = sequencer.accept(event);
    if (decision !== 'deliver')
      return diagnostic({ type: 'duplicate-dropped', taskId, eventId, reason: decision, transport });
    if (conformance === 'off-schema-payload')
      diagnostic({ type: 'off-schema-event', taskId, eventId, eventType: type });
    else if (conformance === 'unknown-type')
      diagnostic({ type: 'unknown-event-type', taskId, eventId, eventType: type });
    const snapshot = reduceTaskSnapshot(this.#state.snapshot, event);
    const terminalEvent = isTerminalEvent(event) ? (event as TaskEvent) : null;
    // Scheduled before the app sees the event: an app that stops the stream while handling it still
    // gets it in the checkpoint (the write itself happens later, after the app's handling).
    const writer = this.writes ? this.#writer : undefined;
    writer?.schedule(snapshot);
    if (terminalEvent !== null) void writer?.flush();
    this.relay?.(transport, message, after);
    this.#state = { snapshot, connection: this.#state.connection, failure: this.#state.failure };
    this.#events?.next(event);
    this.#notify();
    if (terminalEvent !== null) this.#actor?.send({ type: 'TERMINAL' });
  }

  /** The server no longer has every event after the cursor (protocol/SPEC.md §11): say so, then apply the policy. */
  #trimmed(transport: TransportName, info: HistoryTrimmed): void {
    const { diagnostic, onHistoryTrimmed: policy } = this.#context;
    const failure = applyHistoryTrimmed({ ...info, taskId: this.taskId, transport }, policy, diagnostic);
    this.#update({ ...this.#state, snapshot: withHistoryTrimmed(this.#state.snapshot, info) });
    if (failure !== null) this.#actor?.send({ type: 'FAIL', error: failure });
  }

  #retain(): () => void {
    // A stream stopped before it ever started (`client.close()`) stays stopped.
    if (this.#actor !== undefined) this.#actor.send({ type: 'RETAIN' });
    else if (!isFinal(this.#state)) this.#start();
    let held = true;
    return () => {
      if (held) this.#actor?.send({ type: 'RELEASE' });
      held = false;
    };
  }

  #start(): void {
    const { machine, machineEnv, system, onAttached } = this.#context;
    const actor = createActor(machine, { input: { stream: this, env: machineEnv }, parent: system() });
    this.#actor = actor;
    // Methods, not named arrows: XState binds each, and binding a function with an own `name` is costly.
    const observer = {
      store: this,
      next(snapshot: SnapshotFrom<typeof machine>) {
        this.store.#setConnection(toConnectionState(snapshot));
      },
      error() {
        stopRunsOf(actor.getSnapshot()); // a crashed machine ran no exit actions
        this.store.#setConnection(toConnectionState(actor.getSnapshot()));
      },
    };
    actor.subscribe(observer);
    onAttached(this);
    actor.start();
  }

  #setConnection(connection: ConnectionState): void {
    const previous = this.#state;
    if (!isFinal(previous) && !connectionStatesEqual(previous.connection, connection)) {
      const failure = connection.status === 'failed' ? connection.error : null;
      // Final before events$ observers are told (one subscribing meanwhile ends at once), then listeners.
      this.#state = { snapshot: previous.snapshot, connection, failure };
      if (FINAL.has(connection.status)) {
        this.#events?.end(previous.snapshot.terminalEvent === null ? (failure ?? stoppedError()) : undefined);
      }
      this.#notify();
    }
    if (connection.status === 'stopped') {
      void this.#writer?.dispose();
      this.#context.onStopped(this);
    }
  }

  #update(state: TaskStreamState): void {
    this.#state = state;
    this.#notify();
  }

  #notify(): void {
    this.#listeners.notify();
  }
}
