/**
 * The control path of one task stream (design/recovery.md, SPEC.md §10): which transport runs, with which
 * cursor, when to give up on it, when to back off, when to fall back (WS → SSE → polling), when to climb
 * back, and when the stream is done. Events never pass through here one by one: each transport run
 * hands them straight to the data path (`onMessage`) and tells the machine only about lifecycle
 * (`OPENED`, `FIRST_FRAME`, throttled `ACTIVITY`, `FAILED`, `CLOSED`).
 *
 * Transport runs are spawned (not invoked) children: a climb-back probe must outlive the state that
 * started it and become the active run without reconnecting, which an invoked actor (bound to one state)
 * cannot do. Runs are named by id; events carry their `runId` so late messages from a stopped run are
 * ignored by guards instead of racing the current one.
 */
import { CloseCode, TaskBridgeError, type TransportName } from '@taskbridge/protocol';
import { and, assign, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import type { Transport, TransportMessage, TransportSink } from '../transports/transport';
import { backoffDelay } from './backoff';
import type { ConnectionConfig } from './config';
import type { TransportHealthStore } from './transport-health';

/** The messages a transport run hands to the data path, synchronously and in transport order. */
export type DataMessage = Extract<TransportMessage, { type: 'event' | 'heartbeat' | 'malformed' }>;

/**
 * Asks the data path to confirm a WebSocket `1008` close before the ack (SPEC.md §6: it may mean auth,
 * not-found or a bad request). Resolve with the confirmed fatal error (e.g. `TASK_NOT_FOUND` from one
 * HTTP poll) to fail the stream, or with `null` when the task is reachable: the machine then skips the
 * WebSocket and falls back. A rejection fails the stream with the original error.
 */
export type ConfirmPolicyViolation = (request: {
  taskId: string;
  error: TaskBridgeError;
}) => Promise<TaskBridgeError | null>;

/** Input of {@link taskStreamMachine}. */
export interface TaskStreamMachineInput {
  taskId: string;
  /** Transports in order of preference, already filtered by server capabilities and `isSupported()`. */
  transports: readonly Transport[];
  /** The sequencer's cursor (last delivered `eventId`, or `null`); read at each (re)connect, never cached. */
  getCursor: () => string | null;
  /**
   * Receives every event, heartbeat and malformed frame, synchronously, tagged with its transport (the
   * data path dedupes across the moment two transports overlap during a climb-back). Must not throw.
   */
  onMessage: (transport: TransportName, message: DataMessage) => void;
  /** Resolved policy; build it with `resolveConnectionConfig()`. */
  config: ConnectionConfig;
  /** Remembered per-origin transport health; omitted = nothing remembered. */
  health?: TransportHealthStore;
  /** Key for `health`, usually the server's URL origin. Default `''`. */
  origin?: string;
  /** Jitter source in `[0, 1)`. Default `Math.random`. */
  random?: () => number;
  /** Current time, ms since the epoch (for `nextRetryAt` and activity throttling). Default `Date.now()`. */
  now?: () => number;
  /** Refreshes credentials after an `AUTHENTICATION_ERROR` (once per outage; SPEC.md §8, §9). */
  refreshCredentials?: () => Promise<void>;
  /** See {@link ConfirmPolicyViolation}. Omitted: a WebSocket `1008` before the ack is fatal. */
  confirmPolicyViolation?: ConfirmPolicyViolation;
  /** Connectivity at start. Default true. */
  online?: boolean;
  /** Page visibility at start (only matters with `pauseWhenHidden`). Default false. */
  hidden?: boolean;
}

/** Events the owner of a stream (the client facade) sends to the machine. */
export type TaskStreamControlEvent =
  /** Start connecting (from `idle`). */
  | { type: 'START' }
  /** Stop for good (last subscriber gone): closes every transport. */
  | { type: 'STOP' }
  /** The sequencer delivered the terminal event: close every transport, `done`. */
  | { type: 'TERMINAL' }
  | { type: 'ONLINE' }
  | { type: 'OFFLINE' }
  | { type: 'VISIBILITY_HIDDEN' }
  | { type: 'VISIBILITY_VISIBLE' }
  /** The page came back from the bfcache: reconnect at once from the checkpoint. */
  | { type: 'PAGE_RESTORED' };

/** Lifecycle events a transport run sends to the machine; `runId` names the run. */
export type TransportRunEvent =
  | { type: 'OPENED'; runId: string }
  | { type: 'FIRST_FRAME'; runId: string }
  | { type: 'ACTIVITY'; runId: string }
  | { type: 'FAILED'; runId: string; error: TaskBridgeError }
  | { type: 'CLOSED'; runId: string };

/** Every event {@link taskStreamMachine} accepts. */
export type TaskStreamEvent = TaskStreamControlEvent | TransportRunEvent;

/** Input of the {@link transportRun} actor. */
export interface TransportRunInput {
  runId: string;
  transport: Transport;
  taskId: string;
  getCursor: () => string | null;
  onMessage: (transport: TransportName, message: DataMessage) => void;
  /** Least time between two `ACTIVITY` events, ms. */
  activityThrottleMs: number;
  now: () => number;
}

/** Which deadline a `TIMEOUT` error came from (in `error.details.deadline`). */
export type Deadline = 'open' | 'firstFrame' | 'liveness';

/**
 * One connection of one transport, as a callback actor. It connects with a fresh `AbortSignal` (aborted
 * when the actor stops, which closes the connection), forwards data to `onMessage` synchronously, and
 * turns lifecycle into machine events. Any first frame (ack, event, heartbeat, even a malformed frame)
 * proves nothing is buffering; later frames become `ACTIVITY`, throttled so a token stream does not cost
 * one machine transition per token. A polling transport's `open` is a whole checked response, so it
 * counts as the first frame too.
 */
export const transportRun = fromCallback<TaskStreamEvent, TransportRunInput>(({ input, sendBack }) => {
  const controller = new AbortController();
  const { runId, transport } = input;
  let firstFrameSent = false;
  let lastActivityAt = Number.NEGATIVE_INFINITY;
  const send = (event: TransportRunEvent): void => {
    if (!controller.signal.aborted) sendBack(event);
  };
  const frame = (): void => {
    const now = input.now();
    if (!firstFrameSent) {
      firstFrameSent = true;
      lastActivityAt = now;
      send({ type: 'FIRST_FRAME', runId });
    } else if (now - lastActivityAt >= input.activityThrottleMs) {
      lastActivityAt = now;
      send({ type: 'ACTIVITY', runId });
    }
  };
  const sink: TransportSink = (message) => {
    if (controller.signal.aborted) return;
    switch (message.type) {
      case 'open':
        send({ type: 'OPENED', runId });
        if (transport.name === 'polling') frame();
        return;
      case 'ack':
        frame();
        return;
      case 'event':
      case 'heartbeat':
      case 'malformed':
        input.onMessage(transport.name, message);
        // onMessage may have delivered the terminal event and stopped this run: send() checks.
        frame();
        return;
      case 'error':
        send({ type: 'FAILED', runId, error: message.error });
        return;
      case 'closed':
        send({ type: 'CLOSED', runId });
        return;
    }
  };
  try {
    transport.connect({ taskId: input.taskId, getCursor: input.getCursor, signal: controller.signal }, sink);
  } catch (error) {
    send({ type: 'FAILED', runId, error: TaskBridgeError.from(error) });
  }
  return () => controller.abort();
});

/** Input of the `refreshCredentials` actor. */
interface RefreshInput {
  refresh: () => Promise<void>;
}

/** Input of the `confirmPolicyViolation` actor. */
interface ConfirmInput {
  confirm: ConfirmPolicyViolation;
  taskId: string;
  error: TaskBridgeError;
}

/** The machine's context. Read it only through `toConnectionState()` outside this folder. */
export interface TaskStreamContext {
  readonly taskId: string;
  /** The ladder: transports in order, or only the forced one. */
  readonly transports: readonly Transport[];
  readonly getCursor: () => string | null;
  readonly onMessage: (transport: TransportName, message: DataMessage) => void;
  readonly config: ConnectionConfig;
  readonly health: TransportHealthStore | null;
  readonly origin: string;
  readonly random: () => number;
  readonly now: () => number;
  readonly refreshCredentials: (() => Promise<void>) | null;
  readonly confirmPolicyViolation: ConfirmPolicyViolation | null;
  /** Index in `transports` of the active (or next) transport. */
  index: number;
  /** Failed attempts since a connection was last stable; drives the backoff exponent and `maxRetries`. */
  attempt: number;
  /** Retryable failures in a row on `transports[index]` (reset once a connection is stable). */
  consecutiveFailures: number;
  runSeq: number;
  activeRunId: string | null;
  /** True once the active run delivered its first frame (WS ack): a 1008 after it is not a policy refusal. */
  activeConfirmed: boolean;
  probeRunId: string | null;
  probeIndex: number | null;
  /** Failed probes since the stream went live on its current transport; drives the probe backoff. */
  probeFailures: number;
  /** A credentials refresh was spent since a connection was last stable. */
  credentialsRefreshed: boolean;
  /** The last error (cleared when live); the final one in `failed`. */
  error: TaskBridgeError | null;
  /** Wait of the current backoff, ms. */
  retryDelayMs: number;
  /** When the current backoff ends, ms since the epoch. */
  nextRetryAt: number | null;
  online: boolean;
  hidden: boolean;
}

function mathRandom(): number {
  return Math.random();
}

function dateNow(): number {
  return Date.now();
}

/** The rung to start on: the first transport not remembered as unhealthy; the floor otherwise. */
function startIndex(transports: readonly Transport[], input: TaskStreamMachineInput): number {
  if (input.config.forceTransport !== null || input.health === undefined) return 0;
  const { health } = input;
  const origin = input.origin ?? '';
  const healthy = transports.findIndex((t) => !health.isUnhealthy(origin, t.name));
  return healthy === -1 ? Math.max(0, transports.length - 1) : healthy;
}

function initialContext(input: TaskStreamMachineInput): TaskStreamContext {
  const forced = input.config.forceTransport;
  const transports = forced === null ? input.transports : input.transports.filter((t) => t.name === forced);
  return {
    taskId: input.taskId,
    transports,
    getCursor: input.getCursor,
    onMessage: input.onMessage,
    config: input.config,
    health: input.health ?? null,
    origin: input.origin ?? '',
    random: input.random ?? mathRandom,
    now: input.now ?? dateNow,
    refreshCredentials: input.refreshCredentials ?? null,
    confirmPolicyViolation: input.confirmPolicyViolation ?? null,
    index: startIndex(transports, input),
    attempt: 0,
    consecutiveFailures: 0,
    runSeq: 0,
    activeRunId: null,
    activeConfirmed: false,
    probeRunId: null,
    probeIndex: null,
    probeFailures: 0,
    credentialsRefreshed: false,
    error: null,
    retryDelayMs: 0,
    nextRetryAt: null,
    online: input.online ?? true,
    hidden: input.hidden ?? false,
  };
}

function transportAt(context: TaskStreamContext, index: number): Transport {
  const transport = context.transports[index];
  // Indexes only ever move within the ladder; reaching this is a bug in the machine, not a runtime state.
  if (transport === undefined) throw new RangeError(`no transport at index ${index}`);
  return transport;
}

function runInput(context: TaskStreamContext, index: number, runId: string): TransportRunInput {
  const transport = transportAt(context, index);
  const liveness = context.config.livenessTimeoutMs[transport.name];
  return {
    runId,
    transport,
    taskId: context.taskId,
    getCursor: context.getCursor,
    onMessage: context.onMessage,
    // Throttling shortens the effective liveness deadline by at most this much: keep it a small slice.
    activityThrottleMs: Math.min(1_000, liveness / 10),
    now: context.now,
  };
}

function deadlineError(context: TaskStreamContext, deadline: Deadline, timeoutMs: number): TaskBridgeError {
  const transport = transportAt(context, context.index);
  return new TaskBridgeError({
    code: 'TIMEOUT',
    message: `${transport.name}: no ${deadline === 'open' ? 'open' : 'frame'} within ${timeoutMs} ms (${deadline} deadline)`,
    details: { deadline, transport: transport.name, timeoutMs },
  });
}

/** True for a `TIMEOUT` from the open or first-frame deadline: the transport is skipped at once. */
export function isConnectDeadlineMiss(error: TaskBridgeError | null): boolean {
  const deadline = error?.code === 'TIMEOUT' ? error.details.deadline : undefined;
  return deadline === 'open' || deadline === 'firstFrame';
}

/**
 * True for a WebSocket close `1008` (policy violation). The WebSocket transport reports a close as a
 * `TaskBridgeError` whose `details.closeCode` is the close code (SPEC.md §6).
 */
export function isPolicyViolationClose(error: TaskBridgeError | null): boolean {
  return error?.details.closeCode === CloseCode.POLICY_VIOLATION;
}

/** Whether the current failure gives up on the current transport (never on the floor). */
function givesUpTransport(context: TaskStreamContext, forceSkip: boolean): boolean {
  if (context.index >= context.transports.length - 1) return false;
  return (
    forceSkip ||
    isConnectDeadlineMiss(context.error) ||
    context.consecutiveFailures + 1 >= context.config.maxConsecutiveFailuresPerTransport
  );
}

/** The next rung and the backoff before it (SPEC.md §10). */
function planRetry(context: TaskStreamContext, forceSkip: boolean): Partial<TaskStreamContext> {
  const skip = givesUpTransport(context, forceSkip);
  const delay = backoffDelay(
    context.attempt,
    context.config.backoff,
    context.random,
    context.error?.retryAfterMs,
  );
  return {
    index: skip ? context.index + 1 : context.index,
    consecutiveFailures: skip ? 0 : context.consecutiveFailures + 1,
    attempt: context.attempt + 1,
    retryDelayMs: delay,
    nextRetryAt: context.now() + delay,
  };
}

function rememberIfGivenUp(context: TaskStreamContext, forceSkip: boolean): void {
  if (context.health === null || !givesUpTransport(context, forceSkip)) return;
  const name = transportAt(context, context.index).name;
  context.health.markUnhealthy(context.origin, name, context.config.healthTtlMs);
}

const unavailable = (): TaskBridgeError =>
  new TaskBridgeError({
    code: 'TRANSPORT_UNAVAILABLE',
    message:
      'no usable transport: the server offers none this environment supports (or forceTransport is not among them)',
  });

/**
 * The per-task-stream state machine (XState v5). States: `idle` → `running` (`connecting` →
 * `awaitingFirstFrame` → `live`) ⇄ `backoff`, plus `refreshingCredentials`, `confirmingPolicyViolation`,
 * `offline`, `paused`, and the final `done` / `failed` / `stopped`. `TERMINAL` reaches `done` from any
 * state and `STOP` reaches `stopped`; both stop every transport run (their `AbortSignal`s fire).
 *
 * Swap children in tests with `taskStreamMachine.provide({ actors: { transportRun, refreshCredentials,
 * confirmPolicyViolation } })`; delays read `context.config`, so fake timers drive every deadline.
 *
 * @see SPEC.md §10 (deadlines, fallback, climb-back, backoff), §8 (error classification), §6 (1008).
 */
export const taskStreamMachine = setup({
  types: {
    context: {} as TaskStreamContext,
    events: {} as TaskStreamEvent,
    input: {} as TaskStreamMachineInput,
  },
  actors: {
    transportRun,
    refreshCredentials: fromPromise<void, RefreshInput>(({ input }) => input.refresh()),
    confirmPolicyViolation: fromPromise<TaskBridgeError | null, ConfirmInput>(({ input }) =>
      input.confirm({ taskId: input.taskId, error: input.error }),
    ),
  },
  delays: {
    openTimeout: ({ context }) => context.config.openTimeoutMs,
    firstFrameTimeout: ({ context }) => context.config.firstFrameTimeoutMs,
    livenessTimeout: ({ context }) =>
      context.config.livenessTimeoutMs[transportAt(context, context.index).name],
    retryDelay: ({ context }) => context.retryDelayMs,
    // The first probe waits probeDelayMs; each failed probe doubles the wait, up to probeMaxDelayMs.
    probeDelay: ({ context }) =>
      Math.min(context.config.probeMaxDelayMs, context.config.probeDelayMs * 2 ** context.probeFailures),
    probeTimeout: ({ context }) => context.config.openTimeoutMs + context.config.firstFrameTimeoutMs,
    stableAfter: ({ context }) => context.config.stableConnectionMs,
  },
  guards: {
    isActiveRun: ({ context, event }) => 'runId' in event && event.runId === context.activeRunId,
    isProbeRun: ({ context, event }) =>
      'runId' in event && context.probeRunId !== null && event.runId === context.probeRunId,
    hasNoTransport: ({ context }) => context.transports.length === 0,
    isOnline: ({ context }) => context.online,
    isOffline: ({ context }) => !context.online,
    pausesWhenHidden: ({ context }) => context.config.pauseWhenHidden,
    isPausedByVisibility: ({ context }) => context.config.pauseWhenHidden && context.hidden,
    canClimb: ({ context }) => context.config.forceTransport === null && context.index > 0,
    canRefreshCredentials: ({ context }) =>
      context.refreshCredentials !== null && !context.credentialsRefreshed,
    // SPEC.md §6: before the ack, 1008 may be auth, not-found or a bad request; after it, it is not ours to guess.
    isPolicyCloseBeforeAck: ({ context }) =>
      isPolicyViolationClose(context.error) &&
      !context.activeConfirmed &&
      transportAt(context, context.index).name === 'websocket',
    canConfirmPolicyViolation: ({ context }) => context.confirmPolicyViolation !== null,
    isAuthError: ({ context }) => context.error?.code === 'AUTHENTICATION_ERROR',
    // SPEC.md §8: 403/404/409/400/422 and anything else not retryable end the stream.
    isFatal: ({ context }) => context.error === null || !context.error.retryable,
    retriesExhausted: ({ context }) => context.attempt >= context.config.maxRetries,
    confirmedFatal: ({ event }) => 'output' in event && event.output instanceof TaskBridgeError,
  },
  actions: {
    startRun: enqueueActions(({ context, enqueue }) => {
      const runId = `run-${context.runSeq + 1}`;
      enqueue.assign({ runSeq: context.runSeq + 1, activeRunId: runId, activeConfirmed: false });
      enqueue.spawnChild('transportRun', { id: runId, input: runInput(context, context.index, runId) });
    }),
    stopRuns: enqueueActions(({ context, enqueue }) => {
      if (context.activeRunId !== null) enqueue.stopChild(context.activeRunId);
      if (context.probeRunId !== null) enqueue.stopChild(context.probeRunId);
      enqueue.assign({ activeRunId: null, probeRunId: null, probeIndex: null });
    }),
    startProbe: enqueueActions(({ context, enqueue }) => {
      // Best rung first; each failed probe tries the next one down (still above the active one), then wraps.
      const probeIndex = context.probeFailures % context.index;
      const runId = `run-${context.runSeq + 1}`;
      enqueue.assign({ runSeq: context.runSeq + 1, probeRunId: runId, probeIndex });
      enqueue.spawnChild('transportRun', { id: runId, input: runInput(context, probeIndex, runId) });
    }),
    stopProbe: enqueueActions(({ context, enqueue }) => {
      if (context.probeRunId !== null) enqueue.stopChild(context.probeRunId);
      enqueue.assign({ probeRunId: null, probeIndex: null });
    }),
    countProbeFailure: assign({ probeFailures: ({ context }) => context.probeFailures + 1 }),
    // The probe is already connected and confirmed: it becomes the active run, the old one is closed.
    promoteProbe: enqueueActions(({ context, enqueue }) => {
      if (context.activeRunId !== null) enqueue.stopChild(context.activeRunId);
      enqueue.assign({
        activeRunId: context.probeRunId,
        index: context.probeIndex ?? context.index,
        probeRunId: null,
        probeIndex: null,
        probeFailures: 0,
      });
    }),
    markLive: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ activeConfirmed: true, error: null, nextRetryAt: null });
      // It works again for this origin: the next stream may start on it.
      enqueue(() => context.health?.markHealthy(context.origin, transportAt(context, context.index).name));
    }),
    // Only a connection that stayed up counts as a success: one that flaps right after its first frame
    // keeps backing off (and is skipped after maxConsecutiveFailuresPerTransport) instead of hammering.
    markStable: assign({ attempt: 0, consecutiveFailures: 0, credentialsRefreshed: false }),
    setRunError: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'FAILED') enqueue.assign({ error: event.error });
    }),
    setClosedError: enqueueActions(({ context, enqueue }) => {
      const name = transportAt(context, context.index).name;
      enqueue.assign({
        error: new TaskBridgeError({
          code: 'CONNECTION_CLOSED',
          message: `${name}: the stream ended before the terminal event`,
          details: { transport: name },
        }),
      });
    }),
    setDeadlineError: enqueueActions(({ context, enqueue }, params: { deadline: Deadline }) => {
      const { config } = context;
      const timeoutMs =
        params.deadline === 'open'
          ? config.openTimeoutMs
          : params.deadline === 'firstFrame'
            ? config.firstFrameTimeoutMs
            : config.livenessTimeoutMs[transportAt(context, context.index).name];
      enqueue.assign({ error: deadlineError(context, params.deadline, timeoutMs) });
    }),
    setUnavailableError: assign({ error: () => unavailable() }),
    setConfirmedError: enqueueActions(({ event, enqueue }) => {
      if ('output' in event && event.output instanceof TaskBridgeError)
        enqueue.assign({ error: event.output });
    }),
    planRetry: enqueueActions(({ context, enqueue }, params: { skip: boolean }) => {
      enqueue(() => rememberIfGivenUp(context, params.skip));
      enqueue.assign(planRetry(context, params.skip));
    }),
    markCredentialsRefreshed: assign({ credentialsRefreshed: true }),
    clearRetryTime: assign({ nextRetryAt: null }),
    setOnline: assign({ online: true }),
    setOffline: assign({ online: false }),
    setHidden: assign({ hidden: true }),
    setVisible: assign({ hidden: false }),
  },
}).createMachine({
  id: 'taskStream',
  context: ({ input }) => initialContext(input),
  initial: 'idle',
  on: {
    TERMINAL: { target: '.done' },
    STOP: { target: '.stopped' },
    OFFLINE: { target: '.offline', actions: 'setOffline' },
    ONLINE: { actions: 'setOnline' },
    VISIBILITY_HIDDEN: [
      { guard: 'pausesWhenHidden', target: '.paused', actions: 'setHidden' },
      { actions: 'setHidden' },
    ],
    VISIBILITY_VISIBLE: { actions: 'setVisible' },
    PAGE_RESTORED: [
      // A restored page may hold a connection the browser froze: reconnect from the checkpoint now.
      { guard: 'isOnline', target: '.running', reenter: true, actions: 'setVisible' },
      { actions: 'setVisible' },
    ],
  },
  states: {
    idle: {
      on: {
        START: [
          { guard: 'hasNoTransport', target: 'failed', actions: 'setUnavailableError' },
          { guard: 'isOffline', target: 'offline' },
          { guard: 'isPausedByVisibility', target: 'paused' },
          { target: 'running' },
        ],
        OFFLINE: { actions: 'setOffline' },
        VISIBILITY_HIDDEN: { actions: 'setHidden' },
        PAGE_RESTORED: { actions: 'setVisible' },
      },
    },
    running: {
      entry: 'startRun',
      exit: 'stopRuns',
      initial: 'connecting',
      on: {
        FAILED: { guard: 'isActiveRun', target: 'evaluating', actions: 'setRunError' },
        CLOSED: { guard: 'isActiveRun', target: 'evaluating', actions: 'setClosedError' },
      },
      states: {
        connecting: {
          after: {
            openTimeout: {
              target: '#taskStream.evaluating',
              actions: { type: 'setDeadlineError', params: { deadline: 'open' } },
            },
          },
          on: {
            OPENED: { guard: 'isActiveRun', target: 'awaitingFirstFrame' },
            // A transport may confirm without a separate open (e.g. a polling response is both).
            FIRST_FRAME: { guard: 'isActiveRun', target: 'live' },
          },
        },
        awaitingFirstFrame: {
          after: {
            firstFrameTimeout: {
              target: '#taskStream.evaluating',
              actions: { type: 'setDeadlineError', params: { deadline: 'firstFrame' } },
            },
          },
          on: {
            FIRST_FRAME: { guard: 'isActiveRun', target: 'live' },
          },
        },
        live: {
          id: 'live',
          type: 'parallel',
          entry: 'markLive',
          states: {
            liveness: {
              initial: 'watching',
              states: {
                watching: {
                  after: {
                    livenessTimeout: {
                      target: '#taskStream.evaluating',
                      actions: { type: 'setDeadlineError', params: { deadline: 'liveness' } },
                    },
                  },
                  on: {
                    ACTIVITY: { guard: 'isActiveRun', target: 'watching', reenter: true },
                  },
                },
              },
            },
            stability: {
              initial: 'settling',
              states: {
                settling: { after: { stableAfter: { target: 'stable', actions: 'markStable' } } },
                stable: {},
              },
            },
            climb: {
              initial: 'deciding',
              states: {
                deciding: {
                  always: [{ guard: 'canClimb', target: 'waiting' }, { target: 'best' }],
                },
                best: {},
                waiting: {
                  after: { probeDelay: { target: 'probing' } },
                  on: {
                    ONLINE: { target: 'probing', actions: 'setOnline' },
                  },
                },
                probing: {
                  entry: 'startProbe',
                  after: {
                    probeTimeout: { target: 'waiting', actions: ['stopProbe', 'countProbeFailure'] },
                  },
                  on: {
                    FIRST_FRAME: {
                      guard: 'isProbeRun',
                      target: '#live',
                      reenter: true,
                      actions: 'promoteProbe',
                    },
                    FAILED: {
                      guard: 'isProbeRun',
                      target: 'waiting',
                      actions: ['stopProbe', 'countProbeFailure'],
                    },
                    CLOSED: {
                      guard: 'isProbeRun',
                      target: 'waiting',
                      actions: ['stopProbe', 'countProbeFailure'],
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    // Transient: classify the error in context.error (SPEC.md §8) and pick the next state.
    evaluating: {
      always: [
        {
          guard: and(['isPolicyCloseBeforeAck', 'canRefreshCredentials']),
          target: 'refreshingCredentials',
        },
        {
          guard: and(['isPolicyCloseBeforeAck', 'canConfirmPolicyViolation']),
          target: 'confirmingPolicyViolation',
        },
        { guard: 'isPolicyCloseBeforeAck', target: 'failed' },
        { guard: and(['isAuthError', 'canRefreshCredentials']), target: 'refreshingCredentials' },
        { guard: 'isFatal', target: 'failed' },
        { guard: 'retriesExhausted', target: 'failed' },
        { target: 'backoff', actions: { type: 'planRetry', params: { skip: false } } },
      ],
    },
    refreshingCredentials: {
      invoke: {
        src: 'refreshCredentials',
        input: ({ context }) => ({ refresh: context.refreshCredentials ?? (async () => {}) }),
        onDone: { target: 'running', actions: 'markCredentialsRefreshed' },
        // The refresh itself failed: the auth error stands, and it is fatal.
        onError: { target: 'failed' },
      },
    },
    confirmingPolicyViolation: {
      invoke: {
        src: 'confirmPolicyViolation',
        input: ({ context }) => ({
          confirm: context.confirmPolicyViolation ?? (async () => null),
          taskId: context.taskId,
          // Never null here (the guard read it); the fallback only satisfies the type.
          error: context.error ?? unavailable(),
        }),
        onDone: [
          { guard: 'confirmedFatal', target: 'failed', actions: 'setConfirmedError' },
          // The task is reachable: the WebSocket is what refuses us. Skip it.
          { target: 'backoff', actions: { type: 'planRetry', params: { skip: true } } },
        ],
        onError: { target: 'failed' },
      },
    },
    backoff: {
      exit: 'clearRetryTime',
      after: { retryDelay: { target: 'running' } },
      on: {
        // The network just came back: whatever failed probably failed because of it.
        ONLINE: { target: 'running', actions: 'setOnline' },
      },
    },
    offline: {
      on: {
        ONLINE: [
          { guard: 'isPausedByVisibility', target: 'paused', actions: 'setOnline' },
          { target: 'running', actions: 'setOnline' },
        ],
        VISIBILITY_HIDDEN: { actions: 'setHidden' },
      },
    },
    paused: {
      on: {
        VISIBILITY_VISIBLE: { target: 'running', actions: 'setVisible' },
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
    stopped: { type: 'final' },
  },
});
