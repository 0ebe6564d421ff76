/**
 * Our reference server in its own process, with the demo handlers (`ticker` for throughput) plus two
 * bench handlers:
 * - `bench-clock` `{ count, rate, size, startDelayMs }`: paced `TASK_MESSAGE`s stamped with their send time (latency);
 * - `bench-pulse` `{ size }`: one stamped `TASK_MESSAGE` per `pulse` command, ending on `end-pulses`
 *   (server-scale fan-out).
 *
 * Commands: `fresh` `{ redis? }` (close the previous server, start a new one so memory from earlier
 * runs cannot slow later ones — on Redis when `redis` is given; returns `{ url }`), `pulse` (returns `{ busyMs }`, the server's own time for the fan-out),
 * `end-pulses`, `memory` (after GC; with the live subscription count).
 */
import { EventEmitter, once } from 'node:events';
import {
  createMemoryBackend,
  createReferenceServer,
  createTickerHandler,
  demoHandlers,
  type ReferenceServer,
  type TaskContext,
  type TaskHandler,
  type TaskYield,
} from '@taskbridge/server-reference';
import { testServerOptions } from '../../support/reference-server';
import { payloadBytesFor, stampedMessage } from '../events';
import { paced, sharedClockMs } from '../pacer';
import { type CommandArgs, measuredMemory, serveCommands } from '../processes';

const pulses = new EventEmitter();
pulses.setMaxListeners(0);

function sizeOf(ctx: TaskContext): number {
  return payloadBytesFor(Number(ctx.input.size ?? 200));
}

async function* benchClock(ctx: TaskContext): AsyncGenerator<TaskYield, unknown, undefined> {
  const payloadBytes = sizeOf(ctx);
  const count = Number(ctx.input.count ?? 1000);
  // Lets the subscriber attach first, so the run measures live delivery, not the replay of a backlog.
  await new Promise((resolve) => setTimeout(resolve, Number(ctx.input.startDelayMs ?? 0)));
  for await (const _ of paced(count, Number(ctx.input.rate ?? 1000), ctx.signal)) {
    yield { type: 'message', message: stampedMessage(sharedClockMs(), payloadBytes) };
  }
  return { count };
}

async function* benchPulse(ctx: TaskContext): AsyncGenerator<TaskYield, unknown, undefined> {
  const payloadBytes = sizeOf(ctx);
  let sent = 0;
  for (;;) {
    const [kind] = (await once(pulses, 'pulse', { signal: ctx.signal })) as ['pulse' | 'end'];
    if (kind === 'end') return { pulses: sent };
    sent += 1;
    yield { type: 'message', message: stampedMessage(sharedClockMs(), payloadBytes) };
  }
}

const handlers: Record<string, TaskHandler> = {
  ...demoHandlers,
  // Throughput runs ask for BENCH_EVENTS (100,000 by default) events of up to 1 KB: over the demo
  // ticker's default request bounds, which protect a public server.
  ticker: createTickerHandler({ maxCount: 10_000_000, maxTotalBytes: Number.MAX_SAFE_INTEGER }),
  'bench-clock': benchClock,
  'bench-pulse': benchPulse,
};

let current: ReferenceServer | undefined;
let backend: ReturnType<typeof createMemoryBackend> | undefined;

async function fresh(args: CommandArgs): Promise<{ url: string }> {
  await current?.close();
  await backend?.close();
  const redis = typeof args.redis === 'string' ? args.redis : undefined;
  // Every event of a throughput run retained (the default keeps 100,000 per task and trims older ones:
  // a 100,000-event run would hand a late subscriber a trimmed history and never complete its count).
  backend = redis ? undefined : createMemoryBackend({ maxEventsPerTask: null });
  current = createReferenceServer(
    testServerOptions({
      handlers,
      ...(backend ? { backend } : { redis: redis as string }),
      // Slow-reader budgets (hazard H3) sized for a 100,000-event burst: the raw baselines have none,
      // and the bare clients of the info rows do not reconnect when the default budget cuts them.
      maxQueuedEventsPerSubscriber: 1_000_000,
      subscriberBudget: { maxBufferedBytes: 512 * 1024 * 1024, drainTimeoutMs: 60_000 },
      // 10,000 subscriptions of one caller and 100 MB tasks are what these benchmarks measure.
      limits: {
        maxStreams: null,
        maxStreamsPerSubject: null,
        maxInFlightTasksPerSubject: null,
        maxEventsPerTask: null,
        maxTaskBytes: null,
      },
    }),
  );
  const { url } = await current.listen(0, '127.0.0.1');
  return { url };
}

serveCommands(
  {
    fresh,
    // The fan-out (append, every subscription woken, every frame handed to its socket) runs in the
    // microtasks after the emit, so the time until the next macrotask is the server's share of it.
    pulse: async () => {
      const start = performance.now();
      pulses.emit('pulse', 'pulse');
      await new Promise((resolve) => setImmediate(resolve));
      return { busyMs: performance.now() - start };
    },
    'end-pulses': () => {
      pulses.emit('pulse', 'end');
      return null;
    },
    memory: async () => ({
      ...(await measuredMemory()),
      subscriptions: current?.engine.subscriptionCount ?? 0,
    }),
  },
  {},
  () => current?.close(),
);
