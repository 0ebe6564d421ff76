/**
 * Latency client process. Command `run` `{ kind, target, count, rate, size, warmup, createTarget? }`
 * receives `count` paced events whose messages carry the server's send time and returns one-way
 * delivery latencies (receive time − send time on the shared clock, ms), dropping the first `warmup` events.
 * With `createTarget` (our kinds only) the task is created there and streamed from `target`: another
 * instance on the same Redis.
 */
import type { TransportName } from '@taskbridge/protocol';
import { sentAtOf } from '../events';
import { sharedClockMs } from '../pacer';
import { type CommandArgs, numberArg, serveCommands, stringArg } from '../processes';
import { percentile } from '../stats';
import { createNodeClient } from './our-client';
import { receiveSse, receiveWs } from './receivers';

/** Latency summary of one run, ms. */
export interface LatencySample {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  samples: number;
  /** Achieved rate, events/s. */
  rate: number;
}

// The raw servers start sending on connect; our task starts at create, so it waits for the subscriber.
const START_DELAY_MS = 300;

function messageOf(event: unknown): string {
  const payload = (event as { payload?: { message?: unknown } }).payload;
  return typeof payload?.message === 'string' ? payload.message : '';
}

async function createOn(url: string, input: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: 'Bearer alice', 'content-type': 'application/json' },
    body: JSON.stringify({
      clientRequestId: `latency-${Date.now()}-${Math.random()}`,
      taskType: 'bench-clock',
      input,
    }),
  });
  if (response.status !== 201) throw new Error(`create failed: ${response.status}`);
  return ((await response.json()) as { taskId: string }).taskId;
}

async function ours(
  transport: TransportName,
  url: string,
  count: number,
  rate: number,
  size: number,
  record: (m: string) => void,
  createTarget: string | undefined,
) {
  const client = createNodeClient({ baseUrl: url, transport });
  try {
    const input = { count, rate, size, startDelayMs: START_DELAY_MS };
    const stream = createTarget
      ? client.task(await createOn(createTarget, input))
      : (await client.startTask({ taskType: 'bench-clock', input })).stream;
    const subscription = stream.events$.subscribe((event) => {
      if (event.type === 'TASK_MESSAGE') record(messageOf(event));
    });
    await stream.settled();
    subscription.unsubscribe();
  } finally {
    client.close();
  }
}

async function run(args: CommandArgs): Promise<LatencySample> {
  const kind = stringArg(args, 'kind');
  const target = stringArg(args, 'target');
  const count = numberArg(args, 'count');
  const rate = numberArg(args, 'rate');
  const size = numberArg(args, 'size');
  const warmup = numberArg(args, 'warmup', 0);
  const latencies: number[] = [];
  let seen = 0;
  let first = 0;
  let last = 0;
  const record = (message: string) => {
    const now = sharedClockMs();
    seen += 1;
    if (seen === 1) first = now;
    last = now;
    if (seen > warmup) latencies.push(now - sentAtOf(message));
  };
  const onEvent = (event: unknown) => record(messageOf(event));
  const query = `count=${count}&rate=${rate}&size=${size}`;
  switch (kind) {
    case 'ws':
      await receiveWs(`${target}/?latency=1&${query}`, count, onEvent);
      break;
    case 'sse':
      await receiveSse(`${target}/latency?${query}`, count, onEvent);
      break;
    default:
      if (!kind.startsWith('ours-')) throw new Error(`unknown kind ${kind}`);
      await ours(
        kind.slice(5) as TransportName,
        target,
        count,
        rate,
        size,
        record,
        typeof args.createTarget === 'string' ? args.createTarget : undefined,
      );
  }
  return {
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    samples: latencies.length,
    rate: seen > 1 ? ((seen - 1) / (last - first)) * 1000 : Number.NaN,
  };
}

serveCommands({ run }, {});
