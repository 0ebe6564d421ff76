/**
 * The reference server for the slow-consumer benchmark, in its own process, with the default
 * subscriber budget (hazard H3) and one bench handler:
 * - `bench-burst` `{ count, payloadBytes }`: `count` `TASK_MESSAGE`s of `payloadBytes` (each its own
 *   string, as a real stream's chunks are) as fast as the store takes them, then completes.
 *
 * Commands: `fresh` (starts the server; returns `{ url, drainTimeoutMs, maxBufferedBytes }`),
 * `rss-start` (samples RSS every 20 ms and the event-loop delay from now on), `rss-stop` (returns
 * the baseline and peak RSS, the heap at the peak and the loop delay), `drops` (the connections the
 * server ended so far, from its access log, and its "did not drain" warnings), `state` (live
 * subscriptions and open connections).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  createReferenceServer,
  type LogEntry,
  type ReferenceServer,
  type TaskContext,
} from '@taskbridge/server-reference';
import { testServerOptions } from '../../support/reference-server';
import { serveCommands } from '../processes';

async function burst(ctx: TaskContext): Promise<unknown> {
  const count = Number(ctx.input.count ?? 20_000);
  const payloadBytes = Number(ctx.input.payloadBytes ?? 8_192);
  const padding = 'x'.repeat(payloadBytes);
  for (let i = 1; i <= count; i++) await ctx.message(`${i} ${padding}`.slice(0, payloadBytes));
  return { count };
}

/** A connection as the access log saw it end. */
interface Closed {
  url: string;
  status: unknown;
  closeCode: unknown;
  durationMs: number;
}

const closed: Closed[] = [];
const budgetWaits: { transport: unknown; waitedMs: number }[] = [];
let current: ReferenceServer | undefined;
let sampler: ReturnType<typeof setInterval> | undefined;
let baseline = 0;
let peak = 0;
let heapAtPeak = 0;
const loopDelay = monitorEventLoopDelay({ resolution: 20 });

const onLog = (entry: LogEntry) => {
  if (entry.msg === 'access') {
    closed.push({
      url: String(entry.url),
      status: entry.status,
      closeCode: entry.closeCode,
      durationMs: Number(entry.durationMs),
    });
  } else if (entry.msg.startsWith('subscriber did not drain')) {
    budgetWaits.push({ transport: entry.transport, waitedMs: Number(entry.waitedMs) });
  }
};

serveCommands(
  {
    async fresh() {
      await current?.close();
      current = createReferenceServer(
        testServerOptions({ handlers: { 'bench-burst': burst }, logger: onLog }),
      );
      const { url } = await current.listen(0, '127.0.0.1');
      // The documented defaults (options.ts): what an operator gets without tuning.
      return { url, drainTimeoutMs: 10_000, maxBufferedBytes: 1024 * 1024 };
    },
    'rss-start'() {
      baseline = process.memoryUsage.rss();
      peak = baseline;
      loopDelay.reset();
      loopDelay.enable();
      clearInterval(sampler);
      sampler = setInterval(() => {
        const rss = process.memoryUsage.rss();
        if (rss <= peak) return;
        peak = rss;
        heapAtPeak = process.memoryUsage().heapUsed;
      }, 20);
      return null;
    },
    'rss-stop'() {
      clearInterval(sampler);
      loopDelay.disable();
      return {
        baseline,
        peak,
        heapAtPeak,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
      };
    },
    drops: () => ({ closed, budgetWaits }),
    async state() {
      const server = current?.server;
      const connections = await new Promise<number>((resolve) =>
        server ? server.getConnections((_e, count) => resolve(count)) : resolve(0),
      );
      return { subscriptions: current?.engine.subscriptionCount ?? 0, connections };
    },
  },
  {},
  () => current?.close(),
);
