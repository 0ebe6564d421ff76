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
