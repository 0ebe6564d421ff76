/**
 * Client-scale process (start it with `--expose-gc`): one client observing many tasks at once.
 * Command `observe` `{ url, tasks, warmup, concurrency, intervalMs }` starts `warmup` tasks (one-time costs: code
 * loading, validator compilation), measures memory, starts `tasks` more slow tickers and subscribes to
 * each until its connection is live, measures again and returns bytes per task. With `census: true` it
 * then starts `tasks` more between two heap snapshots and returns which constructors grew, per task.
 */
import { firstValueFrom, filter } from 'rxjs';
import type { TaskBridgeClient } from '@taskbridge/client';
import { censusGrowth, heapCensus } from '../heap';
import { type CommandArgs, measuredMemory, numberArg, serveCommands, stringArg } from '../processes';
import { createNodeClient } from './our-client';

// Slow tickers: one event per `intervalMs` (default 1 s) per task, 120 events at most.
const TICKS = 120;

let client: TaskBridgeClient | undefined;
const keep: { unsubscribe(): void }[] = [];
// Events received by every observed task so far (the snapshots keep their messages).
let received = 0;

async function observeOne(c: TaskBridgeClient, intervalMs: number): Promise<void> {
  const { stream } = await c.startTask({ taskType: 'ticker', input: { count: TICKS, intervalMs } });
  keep.push(stream.events$.subscribe(() => (received += 1)));
  await firstValueFrom(stream.connection$.pipe(filter((s) => s.status === 'live')));
}

async function observeMany(
  c: TaskBridgeClient,
  count: number,
  { concurrency, intervalMs }: { concurrency: number; intervalMs: number },
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await observeOne(c, intervalMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function observe(args: CommandArgs) {
  const url = stringArg(args, 'url');
  const tasks = numberArg(args, 'tasks');
  const warmup = numberArg(args, 'warmup', 20);
  const concurrency = numberArg(args, 'concurrency', 50);
  const pace = { concurrency, intervalMs: numberArg(args, 'intervalMs', 1_000) };
  const census = args.census === true;
  client = createNodeClient({ baseUrl: url });
  await observeMany(client, warmup, pace);
  const before = await measuredMemory();
  const receivedBefore = received;
  const start = performance.now();
  await observeMany(client, tasks, pace);
  const ms = performance.now() - start;
  const after = await measuredMemory();
  const eventsPerTask = (received - receivedBefore) / tasks;
  // Census after the measurement: snapshots allocate, and must not inflate the numbers above.
  const censusBefore = census ? await heapCensus() : undefined;
  let growth: string[][] = [];
  if (censusBefore) {
    await observeMany(client, tasks, pace);
    await measuredMemory();
    growth = censusGrowth(censusBefore, await heapCensus(), tasks);
  }
  return {
    tasks,
    ms,
    heapPerTask: (after.heap - before.heap) / tasks,
    rssPerTask: (after.rss - before.rss) / tasks,
    eventsPerTask,
    growth,
  };
}

serveCommands({ observe }, {}, () => {
  for (const s of keep) s.unsubscribe();
  client?.close();
});
