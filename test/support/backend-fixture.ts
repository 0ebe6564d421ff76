/**
 * The backend of the running test project (see `backends.ts`): started lazily once per test file
 * (a suite), handed out fresh and isolated per server, and stopped after the file by
 * `backend-setup.ts`.
 */
import type { RetentionOptions, TaskBridgeBackend } from '@taskbridge/server-reference';
import { TEST_BACKEND_ENV } from './backends';

/** A running backend service for one suite (for Redis: one redis-server on a unix socket). */
export interface BackendService {
  /**
   * A new backend, isolated from every other one created here (for Redis: its own key prefix), with
   * `retention` applied. The caller closes it.
   */
  create(retention?: RetentionOptions): Promise<TaskBridgeBackend>;
  /** Stops the service (after every backend created from it was closed). */
  stop(): Promise<void>;
}

/** What a fixture module (`test/support/backends/<name>.ts`) exports by default. */
export interface BackendFixture {
  /** Starts the service the backend needs; called at most once per test file. */
  start(): Promise<BackendService>;
}

/** Name of the backend the running project tests (`memory` outside the parametrised projects). */
export function currentBackendName(): string {
  return process.env[TEST_BACKEND_ENV] ?? 'memory';
}

let service: Promise<BackendService> | undefined;
const created = new Set<TaskBridgeBackend>();

async function suiteService(): Promise<BackendService> {
  service ??= import(`./backends/${currentBackendName()}.ts`).then((module: { default: BackendFixture }) =>
    module.default.start(),
  );
  return service;
}

/**
 * A fresh backend of the running project's kind. Close it when done; {@link stopSuiteBackend} closes
 * it again at the latest (`close()` is idempotent).
 *
 * @param retention - retention options, e.g. `{ maxEventsPerTask: 77 }`. Default: the backend's own.
 */
export async function testBackend(retention?: RetentionOptions): Promise<TaskBridgeBackend> {
  const backend = await (await suiteService()).create(retention);
  created.add(backend);
  return backend;
}

/** Closes every backend created in this file and stops the suite's service. Idempotent. */
export async function stopSuiteBackend(): Promise<void> {
  const started = service;
  service = undefined;
  for (const backend of Array.from(created)) await backend.close();
  created.clear();
  if (started) await (await started).stop();
}

/**
 * `backend` with its event store replaced by `events` (a hazard test's wrapper around
 * `backend.events`); everything else, `close()` included, is the backend's own.
 */
export function withEventStore(
  backend: TaskBridgeBackend,
  events: TaskBridgeBackend['events'],
): TaskBridgeBackend {
  return {
    name: backend.name,
    events,
    tasks: backend.tasks,
    idempotency: backend.idempotency,
    suspensions: backend.suspensions,
    control: backend.control,
    retention: backend.retention,
    isReady: () => backend.isReady?.() ?? true,
    close: () => backend.close(),
  };
}
