/**
 * What a client shares with each of its task streams: one object per client, so a stream costs its
 * own state and nothing more.
 */
import type { AnyActorRef } from 'xstate';
import type { CheckpointStore } from './checkpoint/checkpoint-store';
import type { Clock } from './clock';
import type { DiagnosticListener } from './diagnostics';
import type { StreamEnvironment, taskStreamMachine } from './machine/machine';
import type { TaskCommands } from './task-commands';
import type { TaskStreamStore } from './task-stream';

/** A stream's dependencies. Internal. */
export interface StreamContext {
  store: CheckpointStore;
  /** The checkpoint key of a task. */
  keyOf(taskId: string): string;
  clock: Clock;
  /** Least time between two checkpoint writes of one stream, ms. */
  checkpointMinIntervalMs: number;
  diagnostic: DiagnosticListener;
  commands: TaskCommands;
  machine: typeof taskStreamMachine;
  machineEnv: StreamEnvironment;
  /**
   * The client's root actor: every stream's machine joins its XState system, so the streams share one
   * scheduler and clock (the client's) and one inspection, instead of each paying for a system.
   */
  system(): AnyActorRef;
  /** The stream got its first observer: the client keeps it while it runs. */
  onAttached(stream: TaskStreamStore): void;
  /** The stream stopped (detached or closed): the client forgets it. */
  onStopped(stream: TaskStreamStore): void;
}
