/**
 * What a client shares with each of its task streams: one object per client, so a stream costs its
 * own state and nothing more.
 */
import type { AnyActorRef } from 'xstate';
import type { CheckpointWriter } from './checkpoint/checkpoint-writer';
import type { DiagnosticListener } from './diagnostics';
import type { HistoryTrimmedPolicy } from './history-trimmed';
import type { StreamEnvironment, taskStreamMachine } from './machine/machine';
import type { TaskCommands } from './task-commands';
import type { TaskStreamStore } from './task-stream';

/** A stream's dependencies. Internal. */
export interface StreamContext {
  /** A new checkpoint writer for one task's stream (batched writes to the client's store). */
  checkpointWriter(taskId: string): CheckpointWriter;
  diagnostic: DiagnosticListener;
  /** What a stream does when the server says its history was trimmed (protocol/SPEC.md §11). */
  onHistoryTrimmed: HistoryTrimmedPolicy;
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
