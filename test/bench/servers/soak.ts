/**
 * The reference server for the soak benchmark, in its own process: the memory backend with a short
 * retention TTL (finished tasks and idempotency keys), default engine limits, and one handler:
 * - `soak` `{ events, size, intervalMs }`: `events` `TASK_MESSAGE`s of `size` bytes, `intervalMs`
 *   apart, then `{ events }`.
 *
 * Commands: `fresh` `{ ttlMs }` (a new server; returns `{ url }`), `memory` (after GC: heap +
 * external, RSS, and how many of the tasks created so far are still retained).
 */
import {
  createDemoAuthResolver,
  createMemoryBackend,
  createReferenceServer,
  type ReferenceServer,
  type TaskBridgeBackend,
  type TaskContext,
  type TaskYield,
} from '@taskbridge/server-reference';
import { measuredMemory, numberArg, serveCommands } from '../processes';

async function* soak(ctx: TaskContext): AsyncGenerator<TaskYield, unknown, undefined> {
  const events = Number(ctx.input.events ?? 50);
  const size = Number(ctx.input.size ?? 256);
  const intervalMs = Number(ctx.input.intervalMs ?? 20);
  const padding = 's'.repeat(size);
  for (let i = 0; i < events; i++) {
    if (intervalMs > 0) await ctx.sleep(intervalMs);
    yield { type: 'message', message: `${i} ${padding}`.slice(0, size) };
  }
  return { events };
}

let current: { server: ReferenceServer; backend: TaskBridgeBackend; taskIds: Set<string> } | undefined;

async function close(): Promise<void> {
  if (!current) return;
  await current.server.close();
  await current.backend.close();
  current = undefined;
}

serveCommands(
  {
    async fresh(args) {
      await close();
      const ttlMs = numberArg(args, 'ttlMs');
      const backend = createMemoryBackend({ finishedTaskTtlMs: ttlMs, idempotencyTtlMs: ttlMs });
      const server = createReferenceServer({ backend, auth: createDemoAuthResolver(), handlers: { soak } });
      const taskIds = new Set<string>();
      server.engine.onTaskCreated((taskId) => taskIds.add(taskId));
      current = { server, backend, taskIds };
      const { url } = await server.listen(0, '127.0.0.1');
      return { url };
    },
    async memory() {
      let retained = 0;
      if (current) {
        for (const taskId of Array.from(current.taskIds)) {
          if (await current.backend.tasks.get(taskId)) retained += 1;
          else current.taskIds.delete(taskId);
        }
      }
      return { ...(await measuredMemory()), retained };
    },
  },
  {},
  close,
);
