/**
 * Server-scale client process: holds many bare subscriptions to one task, written as lean as possible
 * (raw `ws` with the subscribe frame, or `node:http` reading the SSE stream), so the client side costs
 * little and the server's cost per subscription is what is measured. Commands:
 * - `open` `{ url, taskId, transport, count, concurrency }`: opens `count` subscriptions, resolving once
 *   each is live (WS ack / first SSE data frame); returns how many are;
 * - `collect` `{ timeoutMs }`: waits until every open subscription received the next `TASK_MESSAGE`
 *   and returns the one-way latencies' summary (shared clock, ms);
 * - `memory`: this process's heap and RSS after GC (start it with `--expose-gc`).
 */
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { sentAtOf } from '../events';
import { sharedClockMs } from '../pacer';
import { type CommandArgs, measuredMemory, numberArg, serveCommands, stringArg } from '../processes';
import { percentile } from '../stats';

const AUTH = { authorization: 'Bearer alice' };

let live = 0;
let latencies: number[] = [];
let waiter: (() => void) | undefined;
const closers: (() => void)[] = [];

function onFrame(text: string, ready: () => void): void {
  const frame = JSON.parse(text) as { type?: string; payload?: { message?: string } };
  if (frame.type === 'TASK_MESSAGE') {
    latencies.push(sharedClockMs() - sentAtOf(frame.payload?.message ?? ''));
    if (latencies.length >= live) waiter?.();
    return;
  }
  ready();
}

function openWs(url: string, taskId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/tasks/ws`, {
      headers: AUTH,
      perMessageDeflate: false,
    });
    let isLive = false;
    const ready = () => {
      if (isLive) return;
      isLive = true;
      live += 1;
      resolve();
    };
    ws.on('open', () => ws.send(JSON.stringify({ action: 'subscribe', taskId, lastEventId: null })));
    ws.on('message', (data: Buffer) => onFrame(data.toString(), ready));
    ws.on('error', reject);
    ws.on('close', () => {
      if (isLive) live -= 1;
    });
    closers.push(() => ws.terminate());
  });
}

function openSse(url: string, taskId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/tasks/${taskId}/events/stream`, {
      headers: { ...AUTH, accept: 'text/event-stream' },
      agent: false,
    });
    let isLive = false;
    const ready = () => {
      if (isLive) return;
      isLive = true;
      live += 1;
      resolve();
    };
    req.on('response', (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (data !== '') onFrame(data, ready);
        }
      });
      res.on('close', () => {
        if (isLive) live -= 1;
      });
    });
    req.on('error', reject);
    req.end();
    closers.push(() => req.destroy());
  });
}

async function open(args: CommandArgs): Promise<{ live: number; ms: number }> {
  const url = stringArg(args, 'url');
  const taskId = stringArg(args, 'taskId');
  const transport = stringArg(args, 'transport');
  const count = numberArg(args, 'count');
  const concurrency = numberArg(args, 'concurrency', 100);
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await (transport === 'websocket' ? openWs(url, taskId) : openSse(url, taskId));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { live, ms: performance.now() - start };
}

async function collect(args: CommandArgs) {
  const timeoutMs = numberArg(args, 'timeoutMs', 30_000);
  if (latencies.length < live) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  waiter = undefined;
  const got = latencies;
  latencies = [];
  return {
    received: got.length,
    live,
    p50: percentile(got, 50),
    p99: percentile(got, 99),
    max: percentile(got, 100),
  };
}

serveCommands({ open, collect, memory: measuredMemory }, {}, () => {
  for (const close of closers) close();
});
