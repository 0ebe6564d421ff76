/**
 * A backend: the engine's whole state behind one object — event log, task registry, idempotency keys,
 * suspensions and the control channel — plus the retention it applies. The memory backend is the
 * embedded default (`createMemoryBackend`); a Redis backend lets many server processes share state.
 */
import type { ControlChannel } from './control-channel';
import type { EventStore } from './event-store';
import type { IdempotencyStore } from './idempotency-store';
import type { SuspensionStore } from './suspension-store';
import type { TaskRegistry } from './task-registry';

/**
 * Retention in force, advertised by capabilities (protocol/SPEC.md §1 E2, §11; hazard H7). `null`
 * means unbounded / forever.
 */
export interface RetentionSettings {
  /**
   * Events kept per task; past it the oldest are deleted and recorded as `trimmedThrough`, and a
   * cursor older than that gets the history-trimmed signal (protocol/SPEC.md §11).
   */
  maxEventsPerTask: number | null;
  /** ms a finished task (record, events, suspensions) is kept after its terminal event. */
  finishedTaskTtlMs: number | null;
  /** ms an idempotency key is kept after the create that claimed it. */
  idempotencyTtlMs: number | null;
}

/** Retention options of a backend factory; each field defaults as documented by the factory. */
export type RetentionOptions = Partial<RetentionSettings>;

/**
 * One backend. The engine owns none of it: whoever creates a backend closes it (the reference server
 * and the MSW kit close the one they create by default, never one passed in).
 */
export interface TaskBridgeBackend {
  /** A short name for logs and test output, e.g. `'memory'`, `'redis'`. */
  readonly name: string;
  readonly events: EventStore;
  readonly tasks: TaskRegistry;
  readonly idempotency: IdempotencyStore;
  readonly suspensions: SuspensionStore;
  readonly control: ControlChannel;
  /** The retention this backend applies. */
  readonly retention: RetentionSettings;
  /**
   * Whether the backend can serve requests now (`GET /ready` answers 503 otherwise). Default: always
   * ready.
   */
  isReady?(): boolean;
  /** Stops timers and connections. Idempotent; the backend must not be used afterwards. */
  close(): Promise<void>;
}
