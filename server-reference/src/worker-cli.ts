#!/usr/bin/env node
/**
 * `taskbridge-worker --redis <url> [options]`: runs task handlers (the demo handlers, or those of a
 * `--handlers` module) for `taskbridge-server --runtime bullmq` instances on the same Redis. See
 * {@link WORKER_CLI_USAGE}. SIGTERM/SIGINT drain: no new tasks are taken, running ones finish (up to
 * `--drain-timeout-ms`), then the process exits 0.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TaskHandler } from './engine/types';
import { demoHandlers } from './handlers/index';
import type { WorkerLossPolicy } from './runtime/leases/lease';
import { readWorkerCliConfig, WORKER_CLI_USAGE, WorkerCliError } from './worker-cli-options';
import { createTaskWorker } from './worker/task-worker';

interface HandlersModule {
  handlers?: Record<string, TaskHandler>;
  onWorkerLost?: Record<string, WorkerLossPolicy>;
}

function fail(message: string, code: number): never {
  process.stderr.write(`taskbridge-worker: ${message}\n`);
  process.exit(code);
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(WORKER_CLI_USAGE);
  process.exit(0);
}
let config;
try {
  config = readWorkerCliConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof WorkerCliError)) throw error;
  process.stderr.write(`taskbridge-worker: ${error.message}\n\n${WORKER_CLI_USAGE}`);
  process.exit(2);
}
let loaded: HandlersModule = { handlers: demoHandlers };
if (config.handlersModule) {
  try {
    loaded = (await import(pathToFileURL(resolve(config.handlersModule)).href)) as HandlersModule;
  } catch (error) {
    fail(`cannot load --handlers ${config.handlersModule}: ${(error as Error).message}`, 2);
  }
  if (typeof loaded.handlers !== 'object' || loaded.handlers === null) {
    fail(`--handlers ${config.handlersModule} exports no \`handlers\` object`, 2);
  }
}
const worker = createTaskWorker({
  ...config.options,
  handlers: loaded.handlers ?? {},
  onWorkerLost: { ...loaded.onWorkerLost, ...config.options.onWorkerLost },
});
await worker.ready();
process.stdout.write(
  `TaskBridge worker ${worker.id} ready: ${Object.keys(loaded.handlers ?? {}).join(', ')}\n`,
);

const stop = () => {
  process.stdout.write(`TaskBridge worker ${worker.id} draining (${worker.running} running)\n`);
  void worker.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
