import type { RetentionOptions, RetentionSettings, TaskBridgeBackend } from '../backend';
import { createExpiryQueue } from './expiry-queue';
import { createMemoryControlChannel } from './memory-control-channel';
import { createMemoryEventStore } from './memory-event-store';
import { createMemoryIdempotencyStore } from './memory-idempotency-store';
import { createMemorySuspensionStore } from './memory-suspension-store';
import { createMemoryTaskRegistry } from './memory-task-registry';

/** Default events kept per task by the memory backend: 100,000 (oldest trimmed first). */
export const DEFAULT_MAX_EVENTS_PER_TASK = 100_000;
/** Default time a finished task is kept after its terminal event: 1 hour (3,600,000 ms). */
export const DEFAULT_FINISHED_TASK_TTL_MS = 60 * 60 * 1000;
/** Default time an idempotency key is kept: 24 hours (86,400,000 ms). */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** Options of {@link createMemoryBackend}. */
export interface MemoryBackendOptions extends RetentionOptions {
  /**
   * Events kept per task, ≥ 1; older ones are deleted first and a cursor before them gets the
   * history-trimmed signal (protocol/SPEC.md §11). `null` = unbounded. Default
   * {@link DEFAULT_MAX_EVENTS_PER_TASK} (100,000).
   */
  maxEventsPerTask?: number | null;
  /**
   * ms a finished task — record, events, suspensions — is kept after its terminal event, then
   * evicted (later requests get 404 `TASK_NOT_FOUND`). `null` = forever. Default
   * {@link DEFAULT_FINISHED_TASK_TTL_MS} (1 hour).
   */
  finishedTaskTtlMs?: number | null;
  /**
   * ms an idempotency key (`clientRequestId` per owner) is kept after its create; a repeat after that
   * creates a new task. `null` = forever. Default {@link DEFAULT_IDEMPOTENCY_TTL_MS} (24 hours).
   */
  idempotencyTtlMs?: number | null;
  /** Clock, ms since epoch (event ids, TTLs). Default `Date.now`. */
  now?: () => number;
}

function checkRetention(name: string, value: number | null, min: number): number | null {
  if (value !== null && !(Number.isSafeInteger(value) && value >= min)) {
    throw new RangeError(`${name} must be an integer ≥ ${min} or null, got ${String(value)}`);
  }
  return value;
}

/**
 * Resolves retention options against the memory backend's defaults.
 *
 * @throws {RangeError} for a value that is not `null` or an integer in range (`maxEventsPerTask` ≥ 1,
 *   TTLs ≥ 0).
 */
export function resolveRetention(options: RetentionOptions = {}): RetentionSettings {
  const pick = (value: number | null | undefined, fallback: number) =>
    value === undefined ? fallback : value;
  return {
    maxEventsPerTask: checkRetention(
      'maxEventsPerTask',
      pick(options.maxEventsPerTask, DEFAULT_MAX_EVENTS_PER_TASK),
      1,
    ),
    finishedTaskTtlMs: checkRetention(
      'finishedTaskTtlMs',
      pick(options.finishedTaskTtlMs, DEFAULT_FINISHED_TASK_TTL_MS),
      0,
    ),
    idempotencyTtlMs: checkRetention(
      'idempotencyTtlMs',
      pick(options.idempotencyTtlMs, DEFAULT_IDEMPOTENCY_TTL_MS),
      0,
    ),
  };
}

/**
 * The embedded backend (the default of `createReferenceServer`, `createTaskEngine` and the MSW kit):
 * every store in this process's memory, with bounded retention — a per-task event cap, finished
 * tasks evicted after a TTL, idempotency keys with a TTL — driven by two unref'd timers (retention
 * never keeps a process alive). State is lost when the process exits; use a shared backend to run
 * several processes.
 *
 * @throws {RangeError} for invalid retention options (see {@link resolveRetention}).
 * @see protocol/SPEC.md §11 (history trimmed), hazard H7 (capabilities report this retention)
 */
export function createMemoryBackend(options: MemoryBackendOptions = {}): TaskBridgeBackend {
  const retention = resolveRetention(options);
  const now = options.now ?? Date.now;
  const tasks = createMemoryTaskRegistry();
  const suspensions = createMemorySuspensionStore();
  const idempotency = createMemoryIdempotencyStore({ ttlMs: retention.idempotencyTtlMs, now });
  const evictions = createExpiryQueue((taskId) => {
    events.delete(taskId);
    void tasks.delete(taskId);
    suspensions.delete(taskId);
  }, now);
  const ttl = retention.finishedTaskTtlMs;
  const events = createMemoryEventStore({
    maxEventsPerTask: retention.maxEventsPerTask,
    now,
    ...(ttl === null ? {} : { onTerminal: (taskId: string) => evictions.schedule(taskId, now() + ttl) }),
  });
  return {
    name: 'memory',
    events,
    tasks,
    idempotency,
    suspensions,
    control: createMemoryControlChannel(),
    retention,
    isReady: () => true,
    close() {
      evictions.close();
      idempotency.close();
      return Promise.resolve();
    },
  };
}
