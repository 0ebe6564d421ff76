/**
 * The demo as a newcomer runs it, for the browser tests: the React and vanilla pages built by Vite into
 * a temp dir, served by the real reference server with the demo handlers on 127.0.0.1:0, plus readers
 * of the server's authoritative event log (what the page must show: every event once, in order).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TaskEvent } from '@taskbridge/protocol';
import {
  createDemoAuthResolver,
  createSummarizeHandler,
  demoHandlers,
  type ReferenceServer,
  createReferenceServer,
  silentLogger,
  type TaskHandler,
} from '@taskbridge/server-reference';
import { startRedisServer } from '../../support/redis-server';
import { startWorkerProcess, type WorkerProcess } from '../../support/worker-process';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO_WORKER_HANDLERS = fileURLToPath(new URL('../fixtures/demo-worker-handlers.ts', import.meta.url));
const VITE = join(ROOT, 'node_modules/vite/bin/vite.js');

/** The subject the demo page sends as its bearer token (`?user=` default). */
export const DEMO_SUBJECT = 'demo';

/** A built copy of the demo. */
export interface DemoBuild {
  dir: string;
  remove(): Promise<void>;
}

/** Builds both pages into a fresh temp dir, as `npm run build:examples` does into the demo's dist/. */
export async function buildDemo(): Promise<DemoBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'taskbridge-e2e-demo-'));
  const run = promisify(execFile);
  const vite = (project: string, outDir: string) =>
    run(
      process.execPath,
      [VITE, 'build', project, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
      {
        cwd: ROOT,
      },
    );
  await vite('examples/react-demo', dir);
  await vite('examples/vanilla', join(dir, 'vanilla'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * In queue mode the server declares the task types (and their input checks) but must never run a
 * handler: one that runs anyway fails its task, which fails the test.
 */
function notRunHere(handlers: Record<string, TaskHandler>): Record<string, TaskHandler> {
  return Object.fromEntries(
    Object.entries(handlers).map(([type, handler]) => {
      const guard: TaskHandler = () => Promise.reject(new Error(`${type} ran in the API process`));
      if (handler.validateInput) guard.validateInput = handler.validateInput;
      return [type, guard];
    }),
  );
}

/** Queue mode for the demo: a Redis and one `taskbridge-worker` running the demo handlers. */
export interface DemoQueue {
  readonly redisUrl: string;
  /** Where `startDemoServer` writes the `summarize` pace for the worker. */
  readonly delayFile: string;
  readonly worker: WorkerProcess;
  close(): Promise<void>;
}

/** Starts the Redis and the worker of {@link DemoQueue}. */
export async function startDemoQueue(): Promise<DemoQueue> {
  const redis = await startRedisServer();
  const delayFile = join(redis.path, '..', 'summarize-delay-ms');
  await writeFile(delayFile, '40');
  const worker = await startWorkerProcess(redis.url, ['--handlers', DEMO_WORKER_HANDLERS], {
    TB_DEMO_DELAY_FILE: delayFile,
  });
  return {
    redisUrl: redis.url,
    delayFile,
    worker,
    async close() {
      await worker.kill();
      await redis.stop();
    },
  };
}

/** A running demo server. */
export interface DemoServer {
  server: ReferenceServer;
  url: string;
  port: number;
  /** Every stored event of a task, oldest first. */
  events(taskId: string): Promise<TaskEvent[]>;
  /** The id of the only task created so far (fails unless exactly one was). */
  onlyTaskId(): string;
  close(): Promise<void>;
}

/**
 * Starts the reference server with the demo handlers and `staticDir`. `tokenDelayMs` paces `summarize`
 * (default 40, as in `npm start`).
 */
export async function startDemoServer(
  staticDir: string,
  tokenDelayMs = 40,
  queue?: DemoQueue,
): Promise<DemoServer> {
  // Queue mode: the worker's `summarize` reads its pace from this file at each task.
  if (queue) await writeFile(queue.delayFile, String(tokenDelayMs));
  // As `npm start` runs it: the demo resolver by name, and the `access_token` query for the page's
  // browser WebSocket.
  const server = createReferenceServer({
    auth: createDemoAuthResolver(),
    allowAccessTokenQuery: true,
    logger: silentLogger,
    staticDir,
    ...(queue
      ? { handlers: notRunHere(demoHandlers), redis: queue.redisUrl, runtime: 'bullmq' as const }
      : { handlers: { ...demoHandlers, summarize: createSummarizeHandler({ tokenDelayMs }) } }),
  });
  const created: string[] = [];
  server.engine.onTaskCreated((taskId) => created.push(taskId));
  const { url, port } = await server.listen(0, '127.0.0.1');
  return {
    server,
    url,
    port,
    async events(taskId) {
      const { events } = await server.engine.backend.events.read(taskId, null, 100_000);
      return events;
    },
    onlyTaskId() {
      if (created.length !== 1) throw new Error(`expected one task, the server has ${created.length}`);
      return created[0] as string;
    },
    close: () => server.close(),
  };
}

/** The concatenated `TASK_MESSAGE` payloads: the text the page must show. */
export function streamedText(events: readonly TaskEvent[]): string {
  return events.map((e) => (e.type === 'TASK_MESSAGE' ? e.payload.message : '')).join('');
}

/** `result` of the task's `TASK_COMPLETED` event, or `undefined`. */
export function completedResult(events: readonly TaskEvent[]): unknown {
  const completed = events.find((e) => e.type === 'TASK_COMPLETED');
  return completed?.type === 'TASK_COMPLETED' ? completed.payload.result : undefined;
}
