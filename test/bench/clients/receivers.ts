/**
 * The raw counterparts' clients, written plainly: each parses every event into an object (as an app
 * must) and resolves once `events` events arrived. No validation, no dedupe, no checkpoints — the floor
 * our client is measured against.
 */
import { connect } from 'node:net';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';

/** Called with each parsed event; the receivers count, the latency client also reads the stamp. */
export type OnEvent = (event: unknown) => void;

/** Newline-delimited JSON over TCP. */
export function receiveTcp(port: number, events: number, size: number, onEvent?: OnEvent): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    let rest = '';
    let count = 0;
    socket.on('connect', () => socket.write(`${JSON.stringify({ events, size })}\n`));
    socket.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const event: unknown = JSON.parse(line);
        onEvent?.(event);
        count += 1;
      }
      if (count >= events) {
        socket.destroy();
        resolve();
      }
    });
    socket.on('error', reject);
  });
}

/** One JSON text frame per event over `ws`. */
export function receiveWs(url: string, events: number, onEvent?: OnEvent): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let count = 0;
    ws.on('message', (data: Buffer) => {
      const event: unknown = JSON.parse(data.toString());
      onEvent?.(event);
      count += 1;
      if (count === events) {
        ws.close();
        resolve();
      }
    });
    ws.on('error', reject);
    ws.on('close', () => (count < events ? reject(new Error(`ws closed after ${count} events`)) : undefined));
  });
}

/** SSE through the same `eventsource` package our SSE transport uses. */
export function receiveSse(url: string, events: number, onEvent?: OnEvent): Promise<void> {
  return new Promise((resolve, reject) => {
    const source = new EventSource(url);
    let count = 0;
    source.onmessage = (message) => {
      const event: unknown = JSON.parse(message.data);
      onEvent?.(event);
      count += 1;
      if (count === events) {
        source.close();
        resolve();
      }
    };
    source.onerror = () => {
      if (count >= events) return;
      source.close();
      reject(new Error(`sse failed after ${count} events`));
    };
  });
}

/** Long polling with `fetch`: `after` is the last eventId received. */
export async function receivePoll(url: string, events: number, onEvent?: OnEvent): Promise<void> {
  let count = 0;
  let after: string | undefined;
  // Bounded: each round trip must deliver at least one event.
  while (count < events) {
    const response = await fetch(after === undefined ? url : `${url}&after=${encodeURIComponent(after)}`);
    const body = (await response.json()) as { events: { eventId: string }[] };
    if (body.events.length === 0) throw new Error(`poll returned nothing after ${count} events`);
    for (const event of body.events) {
      onEvent?.(event);
      count += 1;
    }
    after = body.events[body.events.length - 1]?.eventId;
  }
}

/** socket.io 4 over WebSocket only. */
export function receiveSocketIo(url: string, events: number, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ['websocket'],
      query: { events: String(events), size: String(size) },
      forceNew: true,
      reconnection: false,
    });
    let count = 0;
    socket.on('event', () => {
      count += 1;
      if (count === events) {
        socket.disconnect();
        resolve();
      }
    });
    socket.on('connect_error', reject);
  });
}

/** Creates a `ticker` task on the reference server (token `alice`) and returns its id. */
async function createTicker(url: string, events: number, payloadBytes: number): Promise<string> {
  const response = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: 'Bearer alice', 'content-type': 'application/json' },
    body: JSON.stringify({
      clientRequestId: `bare-${Date.now()}-${Math.random()}`,
      taskType: 'ticker',
      input: { count: events, payloadBytes },
    }),
  });
  return ((await response.json()) as { taskId: string }).taskId;
}

/**
 * The reference server through a bare long-polling client: parse each response, follow
 * `nextAfterEventId`, stop at the terminal event. Isolates the server's share of `ours-polling`.
 */
export async function receiveReferencePoll(url: string, events: number, payloadBytes: number): Promise<void> {
  const taskId = await createTicker(url, events, payloadBytes);
  let after: string | null = null;
  for (;;) {
    const query = `waitTimeoutMs=25000&maxEvents=500${after === null ? '' : `&afterEventId=${after}`}`;
    const response = await fetch(`${url}/api/v1/tasks/${taskId}/events?${query}`, {
      headers: { authorization: 'Bearer alice' },
    });
    const body = (await response.json()) as { events: { type: string }[]; nextAfterEventId: string | null };
    if (body.events.some((e) => e.type === 'TASK_COMPLETED' || e.type === 'TASK_FAILED')) return;
    after = body.nextAfterEventId ?? after;
  }
}

/**
 * The reference server through a bare `ws` client: create a `ticker` task over HTTP, subscribe on the
 * WebSocket, parse each frame, stop at the terminal event. What the reference server costs without our
 * client (isolates the server's share of the `ours-websocket` run).
 */
export async function receiveReferenceWs(url: string, events: number, payloadBytes: number): Promise<void> {
  const taskId = await createTicker(url, events, payloadBytes);
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/tasks/ws`, {
      headers: { authorization: 'Bearer alice' },
    });
    ws.on('open', () => ws.send(JSON.stringify({ action: 'subscribe', taskId, lastEventId: null })));
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string };
      if (frame.type === 'TASK_COMPLETED' || frame.type === 'TASK_FAILED') {
        ws.close();
        resolve();
      }
    });
    ws.on('error', reject);
  });
}
