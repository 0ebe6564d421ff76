/**
 * The test setup shared by the task stream store's tests: a {@link TaskStreamStore} over one scripted
 * memory transport, with a memory checkpoint store, counting what it loaded and resolved.
 */
import type { TaskEvent } from '@taskbridge/protocol';
import { vi } from 'vitest';
import { type AnyActorRef, createActor, fromCallback } from 'xstate';
import type { CheckpointStore } from './checkpoint/checkpoint-store';
import { createCheckpointWriter } from './checkpoint/checkpoint-writer';
import { createMemoryCheckpointStore } from './checkpoint/memory';
import { systemClock } from './clock';
import type { Diagnostic } from './diagnostics';
import type { HistoryTrimmedPolicy } from './history-trimmed';
import { resolveConnectionConfig } from './machine/config';
import { taskStreamMachine } from './machine/machine';
import type { StreamContext } from './stream-context';
import { TaskStreamStore } from './task-stream';
import { MemoryTransport, type MemoryScript } from './transports/memory';

export const TASK = 't1';
export const event = (eventId: string, type = 'TASK_MESSAGE', payload: object = { message: `m${eventId}` }) =>
  ({ type, taskId: TASK, eventId, createdAt: '2026-01-01T00:00:00Z', payload }) as TaskEvent;

/** A store over one scripted transport, and what it did. */
export interface Setup {
  stream: TaskStreamStore;
  store: CheckpointStore;
  socket: MemoryTransport;
  diagnostics: Diagnostic[];
  loads: number;
  resolves: number;
  stopped: TaskStreamStore[];
}

/** What a test may change from the defaults of {@link setupStream}. */
export interface SetupOptions {
  /** Default `'continue'`. */
  policy?: HistoryTrimmedPolicy;
  /** Default the client's own machine. */
  machine?: typeof taskStreamMachine;
}

let root: AnyActorRef | undefined;

/** A store for {@link TASK} whose one transport plays `scripts`, one per connection. */
export function setupStream(options: SetupOptions, ...scripts: MemoryScript[]): Setup {
  const { policy = 'continue', machine = taskStreamMachine } = options;
  const socket = new MemoryTransport({ name: 'websocket', scripts });
  const store = createMemoryCheckpointStore();
  const diagnostics: Diagnostic[] = [];
  const result: Setup = {
    stream: undefined as never,
    store,
    socket,
    diagnostics,
    loads: 0,
    resolves: 0,
    stopped: [],
  };
  const context: StreamContext = {
    checkpointWriter: (taskId) => createCheckpointWriter({ store, key: `k:${taskId}`, clock: systemClock }),
    diagnostic: (d) => diagnostics.push(d),
    onHistoryTrimmed: policy,
    commands: {
      cancel: () => Promise.reject(new Error('unused')),
      submitAction: () => Promise.reject(new Error('unused')),
    },
    machine,
    machineEnv: {
      loadCheckpoint: (taskId) => {
        result.loads += 1;
        return store.load(`k:${taskId}`);
      },
      resolveTransports: async () => {
        result.resolves += 1;
        return { transports: [socket], config: resolveConnectionConfig({ livenessTimeoutMs: 600_000 }) };
      },
      health: null,
      origin: '',
      now: () => Date.now(),
      random: () => 0.5,
      refreshCredentials: null,
      confirmTaskReachable: null,
      diagnostic: (d) => diagnostics.push(d),
      detachGraceMs: 500,
      isOnline: () => true,
      isHidden: () => false,
      tabs: null,
    },
    system: () =>
      (root ??= createActor(
        fromCallback(() => undefined),
        { clock: systemClock },
      ).start()),
    onAttached: () => undefined,
    onStopped: (stream) => result.stopped.push(stream),
  };
  result.stream = new TaskStreamStore(TASK, context);
  return result;
}

/** Advances fake time, running the timers and microtasks due. */
export const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
