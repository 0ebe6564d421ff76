/**
 * The whole life of one task stream (protocol/SPEC.md §10), as one XState chart: observers come and
 * go (a detach grace keeps React StrictMode's unmount/mount on one connection), the checkpoint is
 * restored, transports are resolved (capabilities, remembered health), one transport runs at a time,
 * failures are classified, the stream falls back down the ladder (WebSocket → SSE → polling) and climbs
 * back up, and it ends `done`, `failed` or `stopped`. Every diagnostic is emitted by the transition
 * that causes it, so XState's inspection API shows the whole life of a stream.
 *
 * Events never pass through here one by one: each transport run hands them straight to the stream's
 * data path and tells the machine only about lifecycle (`OPENED`, `FIRST_FRAME`, throttled `ACTIVITY`,
 * `FAILED`, `CLOSED`).
 *
 * Transport runs are plain objects the machine's actions create, start and stop (`transport-run.ts`),
 * not child actors: a climb-back probe must outlive the state that started it and become the active
 * run without reconnecting, and an actor per connection costs more memory than the connection. Runs
 * are named by id in the context; events carry their `runId` so late messages from a stopped run are
 * ignored by guards instead of racing the current one.
 *
 * The implementation (actors, delays, guards, actions) is in `setup.ts`; swap any of it in tests with
 * `taskStreamMachine.provide()`. Delays read the context, so fake timers drive every deadline.
 */
import { and, not, stateIn } from 'xstate';
import { transportUnavailable } from '../errors';
import type { ReachabilityCheckReason, RunPhase, TaskStreamContext } from './context';
import { initialContext, taskStreamSetup } from './setup';

// The machine's public vocabulary, re-exported so importers of './machine/machine' keep working.
export type {
  ConfirmTaskReachable,
  ReachabilityCheckReason,
  StreamEnvironment,
  StreamPort,
  TaskStreamContext,
  TaskStreamMachineInput,
} from './context';
export type { EnvironmentEvent, TaskStreamControlEvent, TaskStreamEvent } from './events';
export type { DataMessage, TransportRunEvent, TransportRunInput } from './transport-run';

/** The active run failed or ended cleanly in `phase`: classify it in `recovering`. */
function endOfRunIn(phase: RunPhase) {
  const recordFailure = { type: 'recordFailure', params: { phase } } as const;
  return {
    FAILED: { guard: 'isActiveRun', target: '#recovering', actions: recordFailure },
    CLOSED: { guard: 'isActiveRun', target: '#recovering', actions: recordFailure },
  } as const;
}

// The environment's facts live in the `network` and `visibility` regions; guards read them there.
const isOffline = stateIn('#networkOffline');
const isPausedByVisibility = and(['pausesWhenHidden', stateIn('#pageHidden')]);

/** The active run delivered its first frame: it is live; say so when it is news. */
const wentLive = [
  { guard: and(['isActiveRun', 'isFirstLive']), target: 'live', actions: 'reportSelected' },
  { guard: and(['isActiveRun', 'isBelowLastLive']), target: 'live', actions: 'reportFallback' },
  { guard: 'isActiveRun', target: 'live' },
] as const;

/**
 * The per-task-stream state machine (XState v5). Top level: `attached` (parallel: `observers`,
 * `network`, `visibility`, `lifecycle`) until the last observer has been gone for the detach grace or
 * the client stops it: `stopped`. `lifecycle`: `restoring` → (cross-tab: `following` until `LEAD`) → `resolving` → `link` → `done` |
 * `failed`; `FOLLOW` goes back to `following`.
 * `link`: `running` (`connecting` → `awaitingFirstFrame` → `live`) → `recovering` (transient
 * classification) → `backoff` | `refreshingCredentials` | `confirmingPolicyClose` |
 * `confirmingEarlyClose` → `running`; parked in `offline` or `paused`.
 *
 * Retry timing: a fresh transport (after a fallback) and the first retry after a live connection start
 * at once; everything else waits exponential backoff with full jitter.
 *
 * @see protocol/SPEC.md §10 (deadlines, fallback, climb-back, backoff), §8 (error classification), §6
 *   (1008), §5 (SSE 200-then-abort peer quirk).
 */
// States with delays have short ids: XState names each scheduled delay after its state's id, and
// every stream keeps those names for as long as the delay is pending.
export const taskStreamMachine = taskStreamSetup.createMachine({
  id: 'taskStream',
  context: ({ input }) => initialContext(input),
  initial: 'attached',
  on: { STOP: { target: '.stopped' } },
  states: {
    attached: {
      type: 'parallel',
      states: {
        observers: {
          initial: 'observed',
          states: {
            observed: {
              on: {
                RETAIN: { actions: 'retain' },
                RELEASE: [
                  { guard: 'isLastObserver', target: 'detaching', actions: 'release' },
                  { actions: 'release' },
                ],
              },
            },
            // Nobody observes: stop after the grace unless someone comes back (StrictMode remounts).
            detaching: {
              id: 'detaching',
              after: { detachGrace: { target: '#taskStream.stopped' } },
              on: { RETAIN: { target: 'observed', actions: 'retain' } },
            },
          },
        },
        network: {
          initial: 'sensing',
          states: {
            sensing: { always: [{ guard: 'startsOffline', target: 'offline' }, { target: 'online' }] },
            online: { on: { OFFLINE: 'offline' } },
            offline: { id: 'networkOffline', on: { ONLINE: 'online' } },
          },
        },
        visibility: {
          initial: 'sensing',
          states: {
            sensing: { always: [{ guard: 'startsHidden', target: 'hidden' }, { target: 'visible' }] },
            visible: { on: { VISIBILITY_HIDDEN: 'hidden' } },
            hidden: { id: 'pageHidden', on: { VISIBILITY_VISIBLE: 'visible', PAGE_RESTORED: 'visible' } },
          },
        },
        lifecycle: {
          initial: 'restoring',
          on: {
            TERMINAL: { target: '.done' },
            FAIL: { target: '.failed', actions: 'setEventError' },
          },
          states: {
            restoring: {
              invoke: {
                src: 'loadCheckpoint',
                input: ({ context }) => ({ env: context.env, taskId: context.stream.taskId }),
                onDone: [
                  { guard: 'isRestoredTerminal', target: 'done', actions: 'restore' },
                  { target: 'electing', actions: 'restore' },
                ],
                onError: { target: 'electing', actions: 'reportCheckpointError' },
              },
            },
            // Cross-tab: follow until this tab holds the task's lock (then LEAD), or stream alone.
            electing: {
              always: [
                { guard: 'sharesTabs', target: 'following', actions: 'joinTabs' },
                { target: 'resolving' },
              ],
            },
            following: {
              id: 'following',
              initial: 'waiting',
              states: { waiting: { on: { HEARD: 'heard' } }, heard: {} },
              on: { LEAD: 'resolving' },
            },
            resolving: {
              on: { FOLLOW: 'following' },
              invoke: {
                src: 'resolveTransports',
                input: ({ context }) => ({ env: context.env }),
                onDone: { target: 'checkingLadder', actions: 'setLadder' },
                onError: { target: 'failed', actions: 'setEventError' },
              },
            },
            checkingLadder: {
              always: [
                { guard: 'hasNoTransport', target: 'failed', actions: 'setUnavailableError' },
                { target: 'link' },
              ],
            },
            link: {
              initial: 'choosing',
              entry: 'markDown',
              exit: 'stopRuns',
              on: {
                FOLLOW: '#following',
                OFFLINE: { target: '.offline' },
                VISIBILITY_HIDDEN: { guard: 'pausesWhenHidden', target: '.paused' },
                // A restored page may hold a connection the browser froze: reconnect from the checkpoint.
                PAGE_RESTORED: { guard: not(isOffline), target: '.running', reenter: true },
              },
              states: {
                choosing: {
                  always: [
                    { guard: isOffline, target: 'offline' },
                    { guard: isPausedByVisibility, target: 'paused' },
                    { target: 'running' },
                  ],
                },
                running: {
                  entry: 'startRun',
                  exit: 'stopRuns',
                  initial: 'connecting',
                  states: {
                    connecting: {
                      id: 'connecting',
                      after: {
                        openTimeout: {
                          target: '#recovering',
                          actions: { type: 'recordDeadline', params: { deadline: 'open' } },
                        },
                      },
                      on: {
                        ...endOfRunIn('connecting'),
                        OPENED: { guard: 'isActiveRun', target: 'awaitingFirstFrame' },
                        // A transport may confirm without a separate open (a polling response is both).
                        FIRST_FRAME: wentLive,
                      },
                    },
                    awaitingFirstFrame: {
                      id: 'awaitingFirstFrame',
                      after: {
                        firstFrameTimeout: {
                          target: '#recovering',
                          actions: { type: 'recordDeadline', params: { deadline: 'firstFrame' } },
                        },
                      },
                      on: { ...endOfRunIn('awaitingFirstFrame'), FIRST_FRAME: wentLive },
                    },
                    live: {
                      id: 'live',
                      type: 'parallel',
                      entry: 'markLive',
                      exit: 'markDown',
                      on: endOfRunIn('live'),
                      states: {
                        liveness: {
                          initial: 'watching',
                          states: {
                            watching: {
                              id: 'watching',
                              after: {
                                livenessTimeout: {
                                  target: '#recovering',
                                  actions: { type: 'recordDeadline', params: { deadline: 'liveness' } },
                                },
                              },
                              on: { ACTIVITY: { guard: 'isActiveRun', target: 'watching', reenter: true } },
                            },
                          },
                        },
                        stability: {
                          initial: 'settling',
                          states: {
                            settling: {
                              id: 'settling',
                              after: { stableAfter: { target: 'stable', actions: 'markStable' } },
                            },
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
                              id: 'climbWaiting',
                              after: { probeDelay: { target: 'probing' } },
                              on: { ONLINE: { target: 'probing' } },
                            },
                            probing: {
                              id: 'probing',
                              entry: 'startProbe',
                              after: { probeTimeout: { target: 'waiting', actions: 'dropProbe' } },
                              on: {
                                FIRST_FRAME: {
                                  guard: 'isProbeRun',
                                  target: '#live',
                                  reenter: true,
                                  actions: 'climbBack',
                                },
                                FAILED: { guard: 'isProbeRun', target: 'waiting', actions: 'dropProbe' },
                                CLOSED: { guard: 'isProbeRun', target: 'waiting', actions: 'dropProbe' },
                              },
                            },
                          },
                        },
                      },
                    },
                  },
                },
                // Transient: classify the error in context.error (protocol/SPEC.md §8), pick what's next.
                recovering: {
                  id: 'recovering',
                  initial: 'classifying',
                  states: {
                    classifying: {
                      always: [
                        { guard: 'isAuthRejection', target: 'authenticating' },
                        { guard: 'isFatal', target: '#failed' },
                        { target: 'retrying' },
                      ],
                    },
                    authenticating: {
                      always: [
                        { guard: 'canRefreshCredentials', target: '#refreshingCredentials' },
                        { guard: 'canConfirmPolicyClose', target: '#confirmingPolicyClose' },
                        { target: '#failed' },
                      ],
                    },
                    retrying: {
                      always: [
                        // Before retriesExhausted: a confirmed TASK_NOT_FOUND says more than CONNECTION_CLOSED.
                        { guard: 'needsReachabilityCheck', target: '#confirmingEarlyClose' },
                        { target: 'stepping' },
                      ],
                    },
                    stepping: {
                      always: [
                        { guard: 'isGivenUp', target: '#failed', actions: 'setGiveUpError' },
                        { guard: 'retriesExhausted', target: '#failed' },
                        { guard: 'nothingSpeaksProtocol', target: '#failed', actions: 'setNotProtocolError' },
                        { guard: 'givesUpTransport', target: '#backoff', actions: 'fallBack' },
                        { target: '#backoff', actions: 'retrySameTransport' },
                      ],
                    },
                    skipping: {
                      always: [
                        { guard: 'hasLowerRung', target: '#backoff', actions: 'fallBack' },
                        { target: '#backoff', actions: 'retrySameTransport' },
                      ],
                    },
                  },
                },
                refreshingCredentials: {
                  id: 'refreshingCredentials',
                  entry: 'reportAuthRefresh',
                  invoke: {
                    src: 'refreshCredentials',
                    input: ({ context }) => ({ refresh: context.env.refreshCredentials ?? (async () => {}) }),
                    onDone: { target: 'running', actions: 'countAuthRefresh' },
                    // The refresh itself failed: the auth error stands, and it is fatal.
                    onError: { target: '#failed' },
                  },
                },
                // The task is reachable: the WebSocket is what refuses us. Skip it (never the floor).
                confirmingPolicyClose: confirming('policy-violation', '#recovering.skipping'),
                // The task is reachable: SSE ending early is the connection's doing. Retry as usual.
                confirmingEarlyClose: confirming('closed-before-first-frame', '#recovering.stepping'),
                backoff: {
                  id: 'backoff',
                  entry: 'reportRetry',
                  exit: 'clearRetryTime',
                  after: { retryDelay: { target: 'running' } },
                  // The network just came back: whatever failed probably failed because of it.
                  on: { ONLINE: { target: 'running' } },
                },
                offline: {
                  on: {
                    ONLINE: [{ guard: isPausedByVisibility, target: 'paused' }, { target: 'running' }],
                  },
                },
                paused: {
                  exit: 'restartDownClock',
                  on: {
                    VISIBILITY_VISIBLE: [{ guard: isOffline, target: 'offline' }, { target: 'running' }],
                  },
                },
              },
            },
            done: { type: 'final', entry: 'leaveTabs' },
            failed: { id: 'failed', type: 'final', entry: ['reportFailure', 'leaveTabs'] },
          },
        },
      },
    },
    stopped: { type: 'final' },
  },
});

/**
 * Asks whether the task is reachable (one poll) before deciding what a failure means: a confirmed
 * fatal error fails the stream; a reachable task goes on to `next`.
 */
function confirming(reason: ReachabilityCheckReason, next: '#recovering.skipping' | '#recovering.stepping') {
  return {
    id: reason === 'policy-violation' ? 'confirmingPolicyClose' : 'confirmingEarlyClose',
    entry: 'resetEarlyEnds',
    invoke: {
      src: 'confirmTaskReachable',
      input: ({ context }: { context: TaskStreamContext }) => confirmInput(context, reason),
      onDone: [
        { guard: 'confirmedFatal', target: '#failed', actions: 'setConfirmedError' },
        { target: next },
      ],
      onError: { target: '#failed' },
    },
  } as const;
}

/** Input of a reachability check: the cursor is read when it starts. */
function confirmInput(context: TaskStreamContext, reason: ReachabilityCheckReason) {
  return {
    confirm: context.env.confirmTaskReachable ?? (async () => null),
    taskId: context.stream.taskId,
    cursor: context.stream.cursor(),
    // Never null here (the guards read it); the fallback only satisfies the type.
    error: context.error ?? transportUnavailable(),
    reason,
  };
}
