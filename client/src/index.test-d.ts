/**
 * Type tests of the public API (`vitest --typecheck`): what an app writes against
 * `@taskbridge/client` compiles, what it must not write does not, and nothing public is `any`.
 */
import {
  type ActiveTask,
  type ConnectionState,
  type ConnectionStatus,
  createMemoryCheckpointStore,
  createTaskBridgeClient,
  type Diagnostic,
  IDLE_CONNECTION_STATE,
  initialTaskSnapshot,
  reduceTaskSnapshot,
  type StartedTask,
  type StreamInspectionEvent,
  type StreamInspector,
  TaskBridgeError,
  type TaskBridgeClientOptions,
  type TaskBridgeErrorCode,
  type TaskEvent,
  type TaskSnapshot,
  type TaskStream,
  type TaskStreamState,
  type TransportName,
  type UnknownTaskEvent,
} from '@taskbridge/client';
import type { Observable } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import type { InspectionEvent, Observer } from 'xstate';

const client = createTaskBridgeClient({
  baseUrl: 'https://api.example',
  checkpointStore: createMemoryCheckpointStore(),
});

describe('createTaskBridgeClient', () => {
  it('needs a baseUrl and takes typed options', () => {
    // @ts-expect-error baseUrl is required
    createTaskBridgeClient({});
    // @ts-expect-error a transport name outside the ladder
    createTaskBridgeClient({ baseUrl: '/', forceTransport: 'carrier-pigeon' });
    createTaskBridgeClient({
      baseUrl: '/',
      transports: ['sse', 'polling'],
      connection: { openTimeoutMs: { websocket: 1_000 }, maxRetries: Number.POSITIVE_INFINITY },
      clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined },
      onDiagnostic: (d) => expectTypeOf(d).toEqualTypeOf<Diagnostic>(),
      environment: null,
    });
  });

  it('starts tasks and hands out typed streams', () => {
    expectTypeOf(client.startTask).parameter(0).toHaveProperty('taskType').toEqualTypeOf<string>();
    expectTypeOf(client.startTask({ taskType: 'summarize' })).resolves.toEqualTypeOf<StartedTask>();
    expectTypeOf<StartedTask['stream']>().toEqualTypeOf<TaskStream>();
    expectTypeOf(client.task('t')).toEqualTypeOf<TaskStream>();
    expectTypeOf(client.activeTasks()).resolves.toEqualTypeOf<ActiveTask[]>();
    expectTypeOf(client.diagnostics$).toEqualTypeOf<Observable<Diagnostic>>();
  });
});

describe('TaskStream', () => {
  const stream = client.task('t');

  it('is a store: one state of snapshot, connection and failure', () => {
    expectTypeOf(stream.subscribe).toEqualTypeOf<(listener: () => void) => () => void>();
    expectTypeOf(stream.getState()).toEqualTypeOf<TaskStreamState>();
    expectTypeOf<TaskStreamState['snapshot']>().toEqualTypeOf<TaskSnapshot>();
    expectTypeOf<TaskStreamState['connection']>().toEqualTypeOf<ConnectionState>();
    expectTypeOf<TaskStreamState['failure']>().toEqualTypeOf<TaskBridgeError | null>();
  });

  it('offers RxJS observables and a promise', () => {
    expectTypeOf(stream.events$).toEqualTypeOf<Observable<TaskEvent | UnknownTaskEvent>>();
    expectTypeOf(stream.snapshot$).toEqualTypeOf<Observable<TaskSnapshot>>();
    expectTypeOf(stream.connection$).toEqualTypeOf<Observable<ConnectionState>>();
    expectTypeOf(stream.settled()).resolves.toEqualTypeOf<TaskSnapshot>();
  });

  it('answers suspensions with JSON payloads only', () => {
    stream.submitAction('approve', { note: 'ok' }, { clientActionId: 'a1' });
    // @ts-expect-error payloads are JSON objects
    stream.submitAction('approve', 'yes');
  });
});

describe('snapshots and connection state', () => {
  it('are readonly data', () => {
    const snapshot = initialTaskSnapshot('t');
    // @ts-expect-error snapshots are immutable
    snapshot.status = 'running';
    // @ts-expect-error so are their messages
    snapshot.messages.push({ eventId: '1', message: 'x', level: 'info' });
    expectTypeOf(reduceTaskSnapshot).returns.toEqualTypeOf<TaskSnapshot>();
    expectTypeOf<TaskSnapshot['status']>().toEqualTypeOf<
      'idle' | 'running' | 'suspended' | 'completed' | 'failed' | 'cancelled'
    >();
  });

  it('has a small, XState-free connection union', () => {
    expectTypeOf<ConnectionStatus>().toEqualTypeOf<
      'idle' | 'connecting' | 'live' | 'backoff' | 'offline' | 'paused' | 'done' | 'failed' | 'stopped'
    >();
    expectTypeOf(IDLE_CONNECTION_STATE.transport).toEqualTypeOf<TransportName | null>();
    expectTypeOf<ConnectionState>().not.toBeAny();
  });
});

describe('errors and diagnostics', () => {
  it('have stable codes and discriminated records', () => {
    expectTypeOf<'USAGE_ERROR'>().toMatchTypeOf<TaskBridgeErrorCode>();
    expectTypeOf<'ABORTED'>().toMatchTypeOf<TaskBridgeErrorCode>();
    expectTypeOf(
      new TaskBridgeError({ code: 'USAGE_ERROR', message: 'm' }).code,
    ).toEqualTypeOf<TaskBridgeErrorCode>();
    expectTypeOf<Extract<Diagnostic, { type: 'fallback' }>>()
      .toHaveProperty('from')
      .toEqualTypeOf<TransportName>();
    expectTypeOf<Extract<Diagnostic, { type: 'retry' }>>().toHaveProperty('delayMs').toEqualTypeOf<number>();
    expectTypeOf<Diagnostic>().not.toBeAny();
  });
});

describe('inspection', () => {
  it("takes XState's own inspectors as they are, without XState in the client's types", () => {
    const observer: Observer<InspectionEvent> = { next: () => undefined };
    const callback = (event: InspectionEvent) => void event.rootId;
    expectTypeOf(observer).toMatchTypeOf<StreamInspector>();
    expectTypeOf(callback).toMatchTypeOf<StreamInspector>();
    expectTypeOf<TaskBridgeClientOptions['inspect']>().toEqualTypeOf<StreamInspector | undefined>();
    expectTypeOf<StreamInspectionEvent['type']>().toEqualTypeOf<string>();
    // A callback for something else is refused.
    expectTypeOf<(value: number) => void>().not.toMatchTypeOf<StreamInspector>();
  });
});
