/**
 * The command line and environment of `taskbridge-worker`, turned into {@link TaskWorkerOptions} (all
 * but the handlers, which `worker-cli.ts` loads). Kept apart from the bin so it can be tested.
 */
import { parseArgs } from 'node:util';
import { jsonLineLogger, silentLogger } from './logger';
import type { WorkerLossPolicy } from './runtime/leases/lease';
import type { TaskWorkerOptions } from './worker/task-worker';

/** Usage text, printed for `--help` and with every configuration error. */
export const WORKER_CLI_USAGE = `Usage: taskbridge-worker --redis <url> [options]

Runs task handlers for taskbridge-server instances started with --runtime bullmq (same Redis).

  --redis <url>                 required (env REDIS_URL): redis://host:6379/0, rediss://..., or a
                                unix socket path
  --handlers <module>           a module exporting \`handlers\` (by task type) and optionally
                                \`onWorkerLost\` (task type -> fail|retry); default the demo handlers
  --concurrency <n>             tasks run at once (env TASKBRIDGE_WORKER_CONCURRENCY; default 10)
  --queue <name>                BullMQ queue name (default taskbridge)
  --retry-on-worker-lost <type> re-run tasks of this type elsewhere when their worker is lost;
                                repeatable (default: fail them with WORKER_LOST)
  --max-attempts <n>            runs a retried task may get in all (default 3)
  --lease-ms <n>                a run's lease, renewed every third of it (default 30000)
  --reap-interval-ms <n>        how often expired leases are looked for (default 1000)
  --drain-timeout-ms <n>        on SIGTERM/SIGINT running tasks get this long to finish (default 30000)
  --quiet                       no logs
`;

/** What the worker command line asks for. */
export interface WorkerCliConfig {
  /** `--handlers` module path as given, or `undefined` for the demo handlers. */
  handlersModule: string | undefined;
  options: Omit<TaskWorkerOptions, 'handlers'>;
}

/** A configuration error; the message is for the operator. */
export class WorkerCliError extends Error {
  override readonly name = 'WorkerCliError';
}

function positiveOf(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new WorkerCliError(`${name} must be a positive integer`);
  return value;
}

/**
 * Reads `argv` (without the node and script names) and `env`.
 *
 * @throws {WorkerCliError} for a missing `--redis`, a bad number or an unknown flag.
 */
export function readWorkerCliConfig(argv: readonly string[], env: NodeJS.ProcessEnv): WorkerCliConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        redis: { type: 'string' },
        handlers: { type: 'string' },
        concurrency: { type: 'string' },
        queue: { type: 'string' },
        'retry-on-worker-lost': { type: 'string', multiple: true, default: [] },
        'max-attempts': { type: 'string' },
        'lease-ms': { type: 'string' },
        'reap-interval-ms': { type: 'string' },
        'drain-timeout-ms': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new WorkerCliError((error as Error).message);
  }
  const redis = values.redis ?? env.REDIS_URL;
  if (!redis) throw new WorkerCliError('--redis (or REDIS_URL) is required');
  const onWorkerLost: Record<string, WorkerLossPolicy> = {};
  for (const type of values['retry-on-worker-lost'] ?? []) onWorkerLost[type] = 'retry';
  const numbers = {
    concurrency: positiveOf('--concurrency', values.concurrency ?? env.TASKBRIDGE_WORKER_CONCURRENCY),
    maxAttempts: positiveOf('--max-attempts', values['max-attempts']),
    leaseMs: positiveOf('--lease-ms', values['lease-ms']),
    reapIntervalMs: positiveOf('--reap-interval-ms', values['reap-interval-ms']),
    drainTimeoutMs: positiveOf('--drain-timeout-ms', values['drain-timeout-ms']),
  };
  const options: Omit<TaskWorkerOptions, 'handlers'> = {
    redis,
    onWorkerLost,
    logger: values.quiet ? silentLogger : jsonLineLogger,
    ...(values.queue ? { queueName: values.queue } : {}),
  };
  for (const [name, value] of Object.entries(numbers)) {
    if (value !== undefined) Object.assign(options, { [name]: value });
  }
  return { handlersModule: values.handlers, options };
}
