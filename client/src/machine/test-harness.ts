/**
 * Test support for the machine tests: a task stream machine started as its first observer does, over
 * scripted memory transports, with a stub data path, on fake time. Not part of the package.
 */
import { isTerminalEvent, TaskBridgeError, type TaskEvent, type TransportName } from '@taskbridge/protocol';
import { afterEach, beforeEach, vi } from 'vitest';
import { type Actor, createActor, type InspectionEvent } from 'xstate';
import type { Checkpoint } from '../checkpoint/checkpoint-store';
import { type ConnectionState, toConnectionState } from '../connection-state';
import type { Diagnostic } from '../diagnostics';
import { type MemoryScript, MemoryTransport, memoryStep as step } from '../transports/memory';
import { type ConnectionConfigInput, resolveConnectionConfig } from './config';
import {
  type ConfirmTaskReachable,
  type DataMessage,
  type StreamEnvironment,
  type StreamPort,
  taskStreamMachine,
} from './machine';
import type { TransportHealthStore } from './transport-health';

export const TASK_ID = 'task_123';
export const ORIGIN = 'https://api.example';

export function progress(eventId: string): TaskEvent {
  return {
    type: 'TASK_PROGRESS',
    taskId: TASK_ID,
    eventId,
    createdAt: '2026-05-04T12:00:05Z',
    payload: { progress: 10 },
  };
}

export function completed(eventId: string): TaskEvent {
  return {
    type: 'TASK_COMPLETED',
    taskId: TASK_ID,
    eventId,
    createdAt: '2026-05-04T12:01:00Z',
    payload: { result: { ok: true } },
  };
}

export const errors = {
  network: () => new TaskBridgeError({ code: 'NETWORK_ERROR', message: 'connection refused' }),
  notFound: () => new TaskBridgeError({ code: 'TASK_NOT_FOUND', message: 'no such task' }),
  forbidden: () => new TaskBridgeError({ code: 'TASK_OWNERSHIP_ERROR', message: 'not yours' }),
  auth: () => new TaskBridgeError({ code: 'AUTHENTICATION_ERROR', message: 'token expired' }),
  rateLimited: (retryAfterMs: number) =>
    new TaskBridgeError({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs }),
  // How the WebSocket transport reports a close: the close code travels in details.closeCode.
  policyClose: () =>
    new TaskBridgeError({
      code: 'PROTOCOL_ERROR',
      message: 'closed 1008',
      retryable: false,
      details: { closeCode: 1008 },
    }),
};

/** A WebSocket that opens and is confirmed, then stays quiet. */
export const wsLive: MemoryScript = [step.open(10), step.ack(10), step.hang()];
/** An SSE stream whose first frame is a heartbeat (protocol/SPEC.md §5: sent right after the replay). */
export const sseLive: MemoryScript = [step.open(10), step.heartbeat(10), step.hang()];
/** A polling transport whose first response arrives (it counts as the first frame). */
export const pollLive: MemoryScript = [step.open(10), step.hang()];
export const hang: MemoryScript = [step.hang()];

export interface Harness {
  actor: Actor<typeof taskStreamMachine>;
  state: () => ConnectionState;
  received: Array<{ transport: TransportName; message: DataMessage }>;
  diagnostics: Diagnostic[];
  setCursor: (cursor: string | null) => void;
}

export interface StartOptions {
  transports: MemoryTransport[];
  config?: ConnectionConfigInput;
  health?: TransportHealthStore;
  refreshCredentials?: () => Promise<void>;
  confirmTaskReachable?: ConfirmTaskReachable;
  online?: boolean;
  hidden?: boolean;
  /** The stored checkpoint (default none); a promise that never settles keeps the stream restoring. */
  checkpoint?: Promise<Checkpoint | undefined>;
  /** The cursor the stream starts with (as if restored from a checkpoint). */
  cursor?: string | null;
  /** Jitter source. Default 0.5 (half the backoff window). */
  random?: () => number;
  /** Replaces the transport resolution (e.g. a rejection). */
  resolveTransports?: Promise<never>;
  inspect?: (event: InspectionEvent) => void;
  machine?: typeof taskStreamMachine;
}

/** True while the stream's link is in `state` (e.g. `backoff`, `refreshingCredentials`). */
export function linkIn(harness: Harness, state: string): boolean {
  const value = harness.actor.getSnapshot().value;
  const lifecycle = value === 'stopped' ? 'stopped' : value.attached.lifecycle;
  if (typeof lifecycle === 'string' || !('link' in lifecycle)) return false;
  const link = lifecycle.link;
  return typeof link === 'string' ? link === state : state in link;
}

/** Every harness started by the current test (stopped after each test by {@link useMachineTestTime}). */
export const running: Harness[] = [];

/**
 * Registers the hooks of a machine test file: fake time from a fixed instant before each test; after
 * it, every harness the test started stopped and real time back.
 */
export function useMachineTestTime(): void {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    for (const harness of running.splice(0)) harness.actor.stop();
    vi.useRealTimers();
  });
}

/** Lets the machine's promise actors (checkpoint load, transport resolution) settle, without moving time. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

/**
 * Starts a stream as its first observer does, with a stub data path (it tracks the cursor and sends
 * TERMINAL like the store), and waits until the checkpoint is restored and the ladder resolved.
 */
export async function start(options: StartOptions): Promise<Harness> {
  let cursor: string | null = options.cursor ?? null;
  const received: Harness['received'] = [];
  const diagnostics: Diagnostic[] = [];
  const stream: StreamPort = {
    taskId: TASK_ID,
    cursor: () => cursor,
    deliver: (transport, message) => {
      received.push({ transport, message });
      if (message.type !== 'event') return;
      cursor = message.event.eventId;
      if (isTerminalEvent(message.event)) actor.send({ type: 'TERMINAL' });
    },
    restore: (checkpoint) => {
      if (checkpoint) cursor = checkpoint.lastEventId;
    },
    flush: () => Promise.resolve(),
    relay: null,
    writes: true,
  };
  const env: StreamEnvironment = {
    loadCheckpoint: () => options.checkpoint ?? Promise.resolve(undefined),
    resolveTransports: () =>
      options.resolveTransports ??
      Promise.resolve({ transports: options.transports, config: resolveConnectionConfig(options.config) }),
    health: options.health ?? null,
    origin: ORIGIN,
    now: () => Date.now(),
    random: options.random ?? (() => 0.5),
    refreshCredentials: options.refreshCredentials ?? null,
    confirmTaskReachable: options.confirmTaskReachable ?? null,
    diagnostic: (d) => diagnostics.push(d),
    detachGraceMs: 500,
    isOnline: () => options.online ?? true,
    isHidden: () => options.hidden ?? false,
    tabs: null,
  };
  const actor = createActor(options.machine ?? taskStreamMachine, {
    input: { stream, env },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  actor.subscribe({ error: () => {} });
  actor.start();
  await settle();
  const harness: Harness = {
    actor,
    state: () => toConnectionState(actor.getSnapshot()),
    received,
    diagnostics,
    setCursor: (next) => {
      cursor = next;
    },
  };
  running.push(harness);
  return harness;
}

export const ws = (...scripts: MemoryScript[]) => new MemoryTransport({ name: 'websocket', scripts });
export const sse = (...scripts: MemoryScript[]) => new MemoryTransport({ name: 'sse', scripts });
export const polling = (...scripts: MemoryScript[]) => new MemoryTransport({ name: 'polling', scripts });

export const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

export function allAborted(...transports: MemoryTransport[]): boolean {
  return transports.every((t) => t.connections.every((c) => c.signal.aborted));
}
