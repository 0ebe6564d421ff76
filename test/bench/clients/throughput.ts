/**
 * Throughput client process. Command `run` `{ kind, target, events, size }` receives one task's
 * `events` events end to end and returns the elapsed time; `target` is a port (tcp) or a URL.
 *
 * Our kinds (`ours-websocket`, `ours-sse`, `ours-polling`) start a `ticker` task through our client
 * with a forced transport; the clock runs from `startTask` to the terminal event, so it includes the
 * create request and the server producing the events. Dedupe (sequencer), snapshot folding and
 * checkpointing are always on in our client; checkpoint writes are counted.
 */
import type { TransportName } from '@taskbridge/protocol';
import { payloadBytesFor } from '../events';
import { type CommandArgs, numberArg, serveCommands, stringArg } from '../processes';
import { countingStore, createNodeClient } from './our-client';
import {
  receivePoll,
  receiveReferencePoll,
  receiveReferenceWs,
  receiveSocketIo,
  receiveSse,
  receiveTcp,
  receiveWs,
} from './receivers';

/** What one run measured. */
export interface ThroughputSample {
  ms: number;
  /** ms from the start to the first event (connection set-up, and for ours the server's production). */
  firstEventMs: number;
  /** Checkpoint writes (ours only; NaN for raw kinds). */
  checkpointWrites: number;
}

async function ours(transport: TransportName, url: string, events: number, size: number) {
  const store = countingStore();
  const client = createNodeClient({ baseUrl: url, transport, store });
  try {
    const start = performance.now();
    let firstEventMs = Number.NaN;
    let messages = 0;
    const { stream } = await client.startTask({
      taskType: 'ticker',
      input: { count: events, payloadBytes: payloadBytesFor(size) },
    });
    const subscription = stream.events$.subscribe((event) => {
      if (event.type !== 'TASK_MESSAGE') return;
      if (messages === 0) firstEventMs = performance.now() - start;
      messages += 1;
    });
    const final = await stream.settled();
    const ms = performance.now() - start;
    subscription.unsubscribe();
    if (final.status !== 'completed' || messages !== events) {
      throw new Error(`ours-${transport}: ${final.status} after ${messages}/${events} messages`);
    }
    return { ms, firstEventMs, checkpointWrites: store.saves };
  } finally {
    client.close();
  }
}

async function raw(kind: string, target: string, events: number, size: number): Promise<ThroughputSample> {
  const start = performance.now();
  let firstEventMs = Number.NaN;
  const onEvent = () => {
    if (Number.isNaN(firstEventMs)) firstEventMs = performance.now() - start;
  };
  switch (kind) {
    case 'tcp':
      await receiveTcp(Number(target), events, size, onEvent);
      break;
    case 'ws':
      await receiveWs(`${target}/?events=${events}&size=${size}`, events, onEvent);
      break;
    case 'ws-corked':
      await receiveWs(`${target}/?events=${events}&size=${size}&corked=1`, events, onEvent);
      break;
    case 'sse':
      await receiveSse(`${target}/sse?events=${events}&size=${size}`, events, onEvent);
      break;
    case 'poll':
      await receivePoll(`${target}/poll?events=${events}&size=${size}`, events, onEvent);
      break;
    case 'socketio':
      await receiveSocketIo(target, events, size);
      break;
    case 'reference-bare-ws':
      await receiveReferenceWs(target, events, payloadBytesFor(size));
      break;
    case 'reference-bare-poll':
      await receiveReferencePoll(target, events, payloadBytesFor(size));
      break;
    default:
      throw new Error(`unknown kind ${kind}`);
  }
  return { ms: performance.now() - start, firstEventMs, checkpointWrites: Number.NaN };
}

async function run(args: CommandArgs): Promise<ThroughputSample> {
  const kind = stringArg(args, 'kind');
  const target = stringArg(args, 'target');
  const events = numberArg(args, 'events');
  const size = numberArg(args, 'size');
  if (kind.startsWith('ours-')) return ours(kind.slice(5) as TransportName, target, events, size);
  return raw(kind, target, events, size);
}

serveCommands({ run }, {});
