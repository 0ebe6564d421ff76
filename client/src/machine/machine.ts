/**
 * The control path of one task stream (design/recovery.md, protocol/SPEC.md §10): which transport runs, with which
 * cursor, when to give up on it, when to back off, when to fall back (WS → SSE → polling), when to climb
 * back, and when the stream is done. Events never pass through here one by one: each transport run
 * hands them straight to the data path (`onMessage`) and tells the machine only about lifecycle
 * (`OPENED`, `FIRST_FRAME`, throttled `ACTIVITY`, `FAILED`, `CLOSED`).
 *
 * This file is the declaration only: the run actor is in `transport-run.ts`, the context in
 * `context.ts`, the guards in `guards.ts`, failure classification and backoff in `retry-plan.ts`, the
 * deadlines in `deadlines.ts`.
 *
 * Transport runs are spawned (not invoked) children: a climb-back probe must outlive the state that
 * started it and become the active run without reconnecting, which an invoked actor (bound to one state)
 * cannot do. Runs are named by id; events carry their `runId` so late messages from a stopped run are
 * ignored by guards instead of racing the current one.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import { and, assign, enqueueActions, fromPromise, setup } from 'xstate';
import {
  activeTransportName,
  type ConfirmTaskReachable,
  initialContext,
  type ReachabilityCheckReason,
  runInputAt,
  type TaskStreamContext,
  type TaskStreamMachineInput,
} from './context';
import {
  activeDeadlineMs,
  type Deadline,
  deadlineError,
  nextProbeIndex,
  probeDelayMs,
  probeTimeoutMs,
} from './deadlines';
import type { TaskStreamEvent } from './events';
import { taskStreamGuards } from './guards';
import { closesBeforeFirstFrameAfterFailure, givenUpTransport, planRetry } from './retry-plan';
import { connectionClosedError, transportUnavailableError } from './stream-errors';
import { transportRun } from './transport-run';

// The machine's public vocabulary, re-exported so importers of './machine/machine' keep working.
export type {
  ConfirmTaskReachable,
  ReachabilityCheckReason,
  TaskStreamContext,
  TaskStreamMachineInput,
} from './context';
export type { Deadline } from './deadlines';
export type { TaskStreamControlEvent, TaskStreamEvent } from './events';
export { isConnectDeadlineMiss, isPolicyViolationClose } from './retry-plan';
export {
  type DataMessage,
  transportRun,
  type TransportRunEvent,
  type TransportRunInput,
} from './transport-run';

/** Input of the `refreshCredentials` actor. */
interface RefreshInput {
  refresh: () => Promise<void>;
}

/** Input of the `confirmTaskReachable` actor. */
interface ConfirmInput {
  confirm: ConfirmTaskReachable;
  taskId: string;
  cursor: string | null;
  error: TaskBridgeError;
  reason: ReachabilityCheckReason;
}

/**
 * The per-task-stream state machine (XState v5). States: `idle` → `running` (`connecting` →
 * `awaitingFirstFrame` → `live`) ⇄ `backoff`, plus `refreshingCredentials`, `confirmingReachability`,
 * `offline`, `paused`, and the final `done` / `failed` / `stopped`. `TERMINAL` reaches `done` from any
 * state and `STOP` reaches `stopped`; both stop every transport run (their `AbortSignal`s fire).
 *
 * Swap children in tests with `taskStreamMachine.provide({ actors: { transportRun, refreshCredentials,
 * confirmTaskReachable } })`; delays read `context.config`, so fake timers drive every deadline.
 *
 * Retry timing: a fresh transport (after a fallback) and the first retry after a live connection start
 * at once; everything else waits exponential backoff with full jitter (see `retryDelayMs`).
 *
 * @see protocol/SPEC.md §10 (deadlines, fallback, climb-back, backoff), §8 (error classification), §6 (1008),
 * §5 (SSE 200-then-abort peer quirk).
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
    confirmTaskReachable: fromPromise<TaskBridgeError | null, ConfirmInput>(({ input }) =>
      input.confirm({
        taskId: input.taskId,
        cursor: input.cursor,
        error: input.error,
        reason: input.reason,
      }),
    ),
  },
  delays: {
    openTimeout: ({ context }) => activeDeadlineMs(context, 'open'),
    firstFrameTimeout: ({ context }) => activeDeadlineMs(context, 'firstFrame'),
    livenessTimeout: ({ context }) => activeDeadlineMs(context, 'liveness'),
    retryDelay: ({ context }) => context.retryDelayMs,
    probeDelay: ({ context }) => probeDelayMs(context),
    probeTimeout: ({ context }) => probeTimeoutMs(context),
    stableAfter: ({ context }) => context.config.stableConnectionMs,
  },
  guards: taskStreamGuards,
  actions: {
    startRun: enqueueActions(({ context, enqueue }) => {
      const runId = `run-${context.runSeq + 1}`;
      enqueue.assign({
        runSeq: context.runSeq + 1,
        activeRunId: runId,
        activeOpened: false,
        activeConfirmed: false,
      });
      enqueue.spawnChild('transportRun', { id: runId, input: runInputAt(context, context.index, runId) });
    }),
    stopRuns: enqueueActions(({ context, enqueue }) => {
      if (context.activeRunId !== null) enqueue.stopChild(context.activeRunId);
      if (context.probeRunId !== null) enqueue.stopChild(context.probeRunId);
      enqueue.assign({ activeRunId: null, probeRunId: null, probeIndex: null });
    }),
    startProbe: enqueueActions(({ context, enqueue }) => {
      const probeIndex = nextProbeIndex(context);
      const runId = `run-${context.runSeq + 1}`;
      enqueue.assign({ runSeq: context.runSeq + 1, probeRunId: runId, probeIndex });
      enqueue.spawnChild('transportRun', { id: runId, input: runInputAt(context, probeIndex, runId) });
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
    markOpened: assign({ activeOpened: true }),
    markLive: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ activeConfirmed: true, closedBeforeFirstFrame: 0, error: null, nextRetryAt: null });
      // It works again for this origin: the next stream may start on it.
      const name = activeTransportName(context);
      enqueue(() => context.health?.markHealthy(context.origin, name));
    }),
    // Only a connection that stayed up counts as a success: one that flaps right after its first frame
    // gets one immediate retry, then keeps backing off (and is skipped after
    // maxConsecutiveFailuresPerTransport) instead of hammering.
    markStable: assign({ attempt: 0, consecutiveFailures: 0, credentialsRefreshed: false }),
    setRunError: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'FAILED') enqueue.assign({ error: event.error });
    }),
    setClosedError: assign({
      error: ({ context }) => connectionClosedError(activeTransportName(context)),
    }),
    // Runs after setRunError / setClosedError: it reads the error they set.
    countCloseBeforeFirstFrame: assign({
      closedBeforeFirstFrame: ({ context }) => closesBeforeFirstFrameAfterFailure(context),
    }),
    setDeadlineError: assign({
      error: ({ context }, params: { deadline: Deadline }) => deadlineError(context, params.deadline),
      closedBeforeFirstFrame: 0,
    }),
    setUnavailableError: assign({ error: () => transportUnavailableError() }),
    startReachabilityCheck: assign({
      reachabilityCheck: (_, params: { reason: ReachabilityCheckReason }) => params.reason,
      closedBeforeFirstFrame: 0,
    }),
    endReachabilityCheck: assign({ reachabilityCheck: null }),
    setConfirmedError: enqueueActions(({ event, enqueue }) => {
      if ('output' in event && event.output instanceof TaskBridgeError)
        enqueue.assign({ error: event.output });
    }),
    planRetry: enqueueActions(({ context, enqueue }, params: { skip: boolean }) => {
      const givenUp = givenUpTransport(context, params.skip);
      const { health } = context;
      if (givenUp !== null && health !== null) {
        enqueue(() => health.markUnhealthy(context.origin, givenUp, context.config.healthTtlMs));
      }
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
        FAILED: {
          guard: 'isActiveRun',
          target: 'evaluating',
          actions: ['setRunError', 'countCloseBeforeFirstFrame'],
        },
        CLOSED: {
          guard: 'isActiveRun',
          target: 'evaluating',
          actions: ['setClosedError', 'countCloseBeforeFirstFrame'],
        },
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
            OPENED: { guard: 'isActiveRun', target: 'awaitingFirstFrame', actions: 'markOpened' },
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
    // Transient: classify the error in context.error (protocol/SPEC.md §8) and pick the next state.
    evaluating: {
      always: [
        {
          guard: and(['isPolicyCloseBeforeAck', 'canRefreshCredentials']),
          target: 'refreshingCredentials',
        },
        {
          guard: and(['isPolicyCloseBeforeAck', 'canConfirmReachable']),
          target: 'confirmingReachability',
          actions: { type: 'startReachabilityCheck', params: { reason: 'policy-violation' } },
        },
        { guard: 'isPolicyCloseBeforeAck', target: 'failed' },
        { guard: and(['isAuthError', 'canRefreshCredentials']), target: 'refreshingCredentials' },
        { guard: 'isFatal', target: 'failed' },
        // Before retriesExhausted: a confirmed TASK_NOT_FOUND says more than the last CONNECTION_CLOSED.
        {
          guard: and(['needsReachabilityCheck', 'canConfirmReachable']),
          target: 'confirmingReachability',
          actions: { type: 'startReachabilityCheck', params: { reason: 'closed-before-first-frame' } },
        },
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
    confirmingReachability: {
      exit: 'endReachabilityCheck',
      invoke: {
        src: 'confirmTaskReachable',
        input: ({ context }) => ({
          confirm: context.confirmTaskReachable ?? (async () => null),
          taskId: context.taskId,
          cursor: context.getCursor(),
          // Never null here (the guards read it); the fallback only satisfies the type.
          error: context.error ?? transportUnavailableError(),
          reason: context.reachabilityCheck ?? 'policy-violation',
        }),
        onDone: [
          { guard: 'confirmedFatal', target: 'failed', actions: 'setConfirmedError' },
          // The task is reachable: the WebSocket is what refuses us. Skip it.
          {
            guard: 'isCheckingPolicyViolation',
            target: 'backoff',
            actions: { type: 'planRetry', params: { skip: true } },
          },
          // The task is reachable: SSE ending early is the connection's doing. Retry as usual.
          { guard: 'retriesExhausted', target: 'failed' },
          { target: 'backoff', actions: { type: 'planRetry', params: { skip: false } } },
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
