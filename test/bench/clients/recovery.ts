/**
 * Recovery client process, with the fault proxy in front of the server. Commands:
 * - `drop` `{ url, afterEvents }`: streams a ticker over the default ladder (WebSocket); after
 *   `afterEvents` messages the proxy drops every connection; returns ms from the drop to the first
 *   event received after the client noticed it (a replayed event: the ticker kept going meanwhile);
 * - `fallback` `{ url, websocket, sse, expect }`: WebSockets blocked (`refuse`/`blackhole`), SSE passed or
 *   buffered; returns ms from subscribing to the first event delivered over `expect`.
 * Both report the diagnostics (retry delays, fallbacks) with their times, which show where it went.
 */
import type { Diagnostic } from '@taskbridge/client';
import type { TransportName } from '@taskbridge/protocol';
import { type CommandArgs, numberArg, serveCommands, stringArg } from '../processes';
import { type FaultMode, startFaultProxy } from './fault-proxy';
import { createNodeClient } from './our-client';

/** One recovery measurement. */
export interface RecoverySample {
  /** ms, NaN when it did not happen within the run's deadline. */
  ms: number;
  /** The first retry's backoff delay, ms (NaN when there was none). */
  backoffMs: number;
  /** What happened, with times relative to the start, e.g. `retry@3(212ms) fallback@240→sse`. */
  trace: string;
}

// A ticker that outlives any measurement (30 s), cancelled once the measurement is in.
const TICKER = { count: 3_000, intervalMs: 10 };
const DEADLINE_MS = 20_000;

function describe(d: Diagnostic, at: number): string | undefined {
  const t = Math.round(at);
  switch (d.type) {
    case 'retry':
      return `retry@${t}(${Math.round(d.delayMs)}ms,${d.error?.code ?? '?'})`;
    case 'fallback':
      return `fallback@${t}:${d.from}→${d.to}(${d.error?.code ?? '?'})`;
    case 'transport-selected':
      return `live@${t}:${d.transport}`;
    case 'climb-back':
      return `climb@${t}:${d.from}→${d.to}`;
    default:
      return undefined;
  }
}

interface MeasureContext {
  /** ms since subscribing. */
  elapsed(): number;
  /** The transport delivering now. */
  transport(): TransportName | null;
  /** When the connection was last seen not live (ms since subscribing; -1 if never). */
  lastNotLiveAt(): number;
  dropAll(): void;
  /** Messages received so far, this one included. */
  messages: number;
}

async function measure(
  url: string,
  mode: FaultMode,
  done: (ctx: MeasureContext) => boolean,
): Promise<RecoverySample> {
  const proxy = await startFaultProxy(url, mode);
  const trace: string[] = [];
  let backoffMs = Number.NaN;
  let start = performance.now();
  const elapsed = () => performance.now() - start;
  const client = createNodeClient({
    baseUrl: proxy.url,
    extra: {
      onDiagnostic: (d) => {
        if (d.type === 'retry' && Number.isNaN(backoffMs)) backoffMs = d.delayMs;
        const line = describe(d, elapsed());
        if (line) trace.push(line);
      },
    },
  });
  try {
    const { stream } = await client.startTask({ taskType: 'ticker', input: TICKER });
    const result = await new Promise<number>((resolve) => {
      const deadline = setTimeout(() => resolve(Number.NaN), DEADLINE_MS);
      let messages = 0;
      let notLiveAt = -1;
      start = performance.now();
      const states = stream.connection$.subscribe((state) => {
        if (state.status !== 'live') notLiveAt = elapsed();
      });
      const subscription = stream.events$.subscribe((event) => {
        if (event.type !== 'TASK_MESSAGE') return;
        messages += 1;
        const finished = done({
          elapsed,
          transport: () => stream.getConnectionState().transport,
          lastNotLiveAt: () => notLiveAt,
          dropAll: () => proxy.dropAll(),
          messages,
        });
        if (finished) {
          clearTimeout(deadline);
          resolve(elapsed());
          queueMicrotask(() => {
            subscription.unsubscribe();
            states.unsubscribe();
          });
        }
      });
    });
    await stream.cancel('benchmark done').catch(() => undefined);
    return { ms: result, backoffMs, trace: trace.join(' ') };
  } finally {
    client.close();
    await proxy.close();
  }
}

function drop(args: CommandArgs): Promise<RecoverySample> {
  const afterEvents = numberArg(args, 'afterEvents', 30);
  let droppedAt = Number.NaN;
  return measure(stringArg(args, 'url'), { websocket: 'pass', sse: 'pass' }, (ctx) => {
    if (Number.isNaN(droppedAt)) {
      if (ctx.messages < afterEvents) return false;
      droppedAt = ctx.elapsed();
      ctx.dropAll();
      return false;
    }
    // Frames read before the drop was noticed still arrive; only an event after that is a replay.
    return ctx.lastNotLiveAt() >= droppedAt;
  }).then((sample) => ({ ...sample, ms: sample.ms - droppedAt }));
}

function fallback(args: CommandArgs): Promise<RecoverySample> {
  const expect = stringArg(args, 'expect') as TransportName;
  const mode: FaultMode = {
    websocket: stringArg(args, 'websocket') as FaultMode['websocket'],
    sse: stringArg(args, 'sse') as FaultMode['sse'],
  };
  return measure(stringArg(args, 'url'), mode, (ctx) => ctx.transport() === expect);
}

serveCommands({ drop, fallback }, {});
