/**
 * The task stream machine's implementation: its named actors, delays, guards and actions, typed once
 * with XState's `setup()`. `machine.ts` is the chart that uses them by name; tests swap any of them with
 * `taskStreamMachine.provide()`.
 */
import type { TaskBridgeError } from '@taskbridge/protocol';
import {
  assign,
  type DoneActorEvent,
  enqueueActions,
  type ErrorActorEvent,
  fromPromise,
  setup,
  spawnChild,
  stopChild,
} from 'xstate';
import type { Checkpoint } from '../checkpoint/checkpoint-store';
import {
  checkpointError,
  connectionClosed,
  notProtocolError,
  timeoutError,
  toTaskBridgeError,
  transportUnavailable,
} from '../errors';
import type { Transport } from '../transports/transport';
import type { ConnectionConfig } from './config';
import {
  activeTransportName,
  type ConfirmTaskReachable,
  initialContext,
  ladderFor,
  NO_FAILURES,
  NONE_NOT_PROTOCOL,
  type ReachabilityCheckReason,
  type RunPhase,
  runInputAt,
  type StreamEnvironment,
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
  retryDelayMs,
} from './deadlines';
import type { TaskStreamEvent } from './events';
import { taskStreamGuards } from './guards';
import { earlyEndsAfter, fallBackPlan, retrySamePlan } from './retry-plan';
import { stopRunsOf, TransportRun } from './transport-run';
import type { CrossTabEnvironment } from '../cross-tab/environment';
import { tabLink } from '../cross-tab/tab-link';

/** Input of the `confirmTaskReachable` actor (exported so the machine's declared type can name it). */
export interface ConfirmInput {
  confirm: ConfirmTaskReachable;
  taskId: string;
  cursor: string | null;
  error: TaskBridgeError;
  reason: ReachabilityCheckReason;
}

function outputOf<T>(event: TaskStreamEvent): T {
  return (event as unknown as DoneActorEvent<T>).output;
}

function errorOf(event: TaskStreamEvent): TaskBridgeError | null {
  if (event.type === 'FAILED' || event.type === 'FAIL') return event.error;
  const actorError = (event as unknown as Partial<ErrorActorEvent>).error;
  return actorError === undefined ? null : toTaskBridgeError(actorError);
}

const PHASE_OF_DEADLINE: Readonly<Record<Deadline, RunPhase>> = {
  open: 'connecting',
  firstFrame: 'awaitingFirstFrame',
  liveness: 'live',
};

/** The machine's building blocks, by name. */
export const taskStreamSetup = setup({
  types: {
    context: {} as TaskStreamContext,
    events: {} as TaskStreamEvent,
    input: {} as TaskStreamMachineInput,
  },
  actors: {
    tabLink,
    loadCheckpoint: fromPromise<Checkpoint | undefined, { env: StreamEnvironment; taskId: string }>(
      ({ input }) => input.env.loadCheckpoint(input.taskId),
    ),
    resolveTransports: fromPromise<
      { transports: readonly Transport[]; config: ConnectionConfig },
      { env: StreamEnvironment }
    >(({ input }) => input.env.resolveTransports()),
    refreshCredentials: fromPromise<void, { refresh: () => Promise<void> }>(({ input }) => input.refresh()),
    confirmTaskReachable: fromPromise<TaskBridgeError | null, ConfirmInput>(({ input }) =>
      input.confirm({ taskId: input.taskId, cursor: input.cursor, error: input.error, reason: input.reason }),
    ),
  },
  delays: {
    openTimeout: ({ context }) => activeDeadlineMs(context, 'open'),
    firstFrameTimeout: ({ context }) => activeDeadlineMs(context, 'firstFrame'),
    livenessTimeout: ({ context }) => activeDeadlineMs(context, 'liveness'),
    retryDelay: ({ context }) => retryDelayMs(context),
    probeDelay: ({ context }) => probeDelayMs(context),
    probeTimeout: ({ context }) => probeTimeoutMs(context),
    stableAfter: ({ context }) => context.config.stableConnectionMs,
    detachGrace: ({ context }) => context.env.detachGraceMs,
  },
  guards: taskStreamGuards,
  actions: {
    retain: assign({ observers: ({ context }) => context.observers + 1 }),
    release: assign({ observers: ({ context }) => Math.max(0, context.observers - 1) }),
    restore: ({ context, event }) => context.stream.restore(outputOf<Checkpoint | undefined>(event)),
    reportCheckpointError: ({ context, event }) =>
      context.env.diagnostic({
        type: 'checkpoint-error',
        taskId: context.stream.taskId,
        error: checkpointError('checkpoint load failed', (event as unknown as ErrorActorEvent).error),
      }),
    setLadder: assign(({ context, event }) =>
      ladderFor(context.env, outputOf<{ transports: readonly Transport[]; config: ConnectionConfig }>(event)),
    ),
    setUnavailableError: assign({ error: () => transportUnavailable() }),
    setEventError: assign({ error: ({ event }) => errorOf(event) }),
    // Runs are created here and started or stopped by the action that follows (see transport-run.ts).
    startRun: enqueueActions(({ context, enqueue, self }) => {
      const { seq } = context.runs;
      const run = new TransportRun(runInputAt(context, context.index, `run-${seq + 1}`), self);
      enqueue.assign({ runs: { seq: seq + 1, active: run, probe: null, probeIndex: null } });
      enqueue(() => run.start());
    }),
    stopRuns: enqueueActions(({ context, enqueue }) => {
      const { seq, active, probe } = context.runs;
      if (active === null && probe === null) return;
      enqueue(() => stopRunsOf({ context }));
      enqueue.assign({ runs: { seq, active: null, probe: null, probeIndex: null } });
    }),
    startProbe: enqueueActions(({ context, enqueue, self }) => {
      const probeIndex = nextProbeIndex(context);
      const { seq, active } = context.runs;
      const run = new TransportRun(runInputAt(context, probeIndex, `run-${seq + 1}`), self);
      enqueue.assign({ runs: { seq: seq + 1, active, probe: run, probeIndex } });
      enqueue(() => run.start());
    }),
    dropProbe: enqueueActions(({ context, enqueue }) => {
      const { seq, active, probe } = context.runs;
      if (probe !== null) enqueue(() => probe.stop());
      enqueue.assign({
        runs: { seq, active, probe: null, probeIndex: null },
        probeFailures: context.probeFailures + 1,
      });
    }),
    // The probe is connected and confirmed: it becomes the active run, the old one is closed.
    climbBack: enqueueActions(({ context, enqueue }) => {
      const from = activeTransportName(context);
      const { seq, active, probe, probeIndex } = context.runs;
      const index = probeIndex ?? context.index;
      if (active !== null) enqueue(() => active.stop());
      enqueue.assign({
        runs: { seq, active: probe, probe: null, probeIndex: null },
        index,
        probeFailures: 0,
      });
      const to = context.transports[index]?.name ?? from;
      enqueue(() => context.env.diagnostic({ type: 'climb-back', taskId: context.stream.taskId, from, to }));
    }),
    recordFailure: assign(({ context, event }, params: { phase: RunPhase }) => {
      const error = errorOf(event) ?? connectionClosed(activeTransportName(context));
      const earlyEnds = earlyEndsAfter(context, params.phase, error);
      return { error, failedIn: params.phase, failures: { ...context.failures, earlyEnds } };
    }),
    recordDeadline: assign(({ context }, params: { deadline: Deadline }) => ({
      error: deadlineError(context, params.deadline),
      failedIn: PHASE_OF_DEADLINE[params.deadline],
      failures: { ...context.failures, earlyEnds: 0 },
    })),
    reportSelected: ({ context }) =>
      context.env.diagnostic({
        type: 'transport-selected',
        taskId: context.stream.taskId,
        transport: activeTransportName(context),
      }),
    reportFallback: ({ context }) =>
      context.env.diagnostic({
        type: 'fallback',
        taskId: context.stream.taskId,
        from: context.transports[context.liveIndex ?? 0]?.name ?? activeTransportName(context),
        to: activeTransportName(context),
        error: context.error,
      }),
    markLive: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({
        error: null,
        nextRetryAt: null,
        failures: { ...context.failures, earlyEnds: 0 },
        liveIndex: context.index,
        notProtocol: NONE_NOT_PROTOCOL,
        downSince: null,
      });
      // It works again for this origin: the next stream may start on it.
      const name = activeTransportName(context);
      enqueue(() => context.env.health?.markHealthy(context.env.origin, name));
    }),
    // Only a connection that stayed up counts as a success: one that flaps right after its first frame
    // gets one immediate retry, then keeps backing off (and is skipped after
    // maxConsecutiveFailuresPerTransport) instead of hammering.
    markStable: assign({ failures: NO_FAILURES }),
    // The clock of the give-up policy: time without a live connection (a pause by policy does not count).
    markDown: assign({ downSince: ({ context }) => context.downSince ?? context.env.now() }),
    restartDownClock: assign({ downSince: ({ context }) => context.env.now() }),
    setGiveUpError: assign({
      error: ({ context }) =>
        timeoutError({ deadline: 'giveUp', timeoutMs: context.config.giveUpAfterMs, cause: context.error }),
    }),
    setNotProtocolError: assign({
      error: ({ context }) =>
        notProtocolError(
          context.transports.map((t) => t.name),
          context.error,
        ),
    }),
    fallBack: enqueueActions(({ context, enqueue }) => {
      const { health, origin } = context.env;
      const name = activeTransportName(context);
      enqueue(() => health?.markUnhealthy(origin, name, context.config.healthTtlMs));
      enqueue.assign(fallBackPlan(context));
    }),
    retrySameTransport: assign(({ context }) => retrySamePlan(context)),
    reportRetry: ({ context }) =>
      context.env.diagnostic({
        type: 'retry',
        taskId: context.stream.taskId,
        attempt: context.failures.attempt,
        delayMs: retryDelayMs(context),
        error: context.error,
      }),
    clearRetryTime: assign({ nextRetryAt: null }),
    reportAuthRefresh: ({ context }) =>
      context.env.diagnostic({ type: 'auth-refresh', taskId: context.stream.taskId }),
    countAuthRefresh: assign({
      failures: ({ context }) => ({ ...context.failures, authRefreshes: context.failures.authRefreshes + 1 }),
    }),
    resetEarlyEnds: assign({ failures: ({ context }) => ({ ...context.failures, earlyEnds: 0 }) }),
    setConfirmedError: assign({
      error: ({ context, event }) => outputOf<TaskBridgeError | null>(event) ?? context.error,
    }),
    // Cross-tab (see cross-tab/tab-link.ts): one `tabs` child for as long as the stream shares its task.
    // (Only after the `sharesTabs` guard: `tabs` is set.)
    joinTabs: spawnChild('tabLink', {
      id: 'tabs',
      input: ({ context: { stream, env } }) => ({ stream, tabs: env.tabs as CrossTabEnvironment }),
    }),
    leaveTabs: stopChild('tabs'),
    reportFailure: ({ context }) =>
      context.env.diagnostic({
        type: 'stream-failed',
        taskId: context.stream.taskId,
        error: context.error ?? transportUnavailable(),
      }),
  },
});

export { initialContext };
