/**
 * Raw `ws`: one JSON text frame per event, with the reference server's backpressure rule (above
 * 1 MiB queued, wait for the frame's send callback). Query `?events&size` streams as fast as possible;
 * `&corked=1` corks the socket around every 256 frames (the "batch per tick" data point);
 * `?latency=1&count&rate&size` sends paced events stamped with their send time.
 */
import type { Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { messageEvent, payloadBytesFor, RAW_TASK_ID, stampedMessage, tickerMessage } from '../events';
import { paced, sharedClockMs } from '../pacer';
import { serveCommands } from '../processes';
import { HIGH_WATER_MARK } from './drain';

const CORK_BATCH = 256;

function send(ws: WebSocket, frame: string): Promise<void> | undefined {
  if (ws.bufferedAmount <= HIGH_WATER_MARK) {
    ws.send(frame);
    return undefined;
  }
  return new Promise((resolve) => ws.send(frame, () => resolve()));
}

// `ws` keeps its net.Socket private; corking it is what "batching frames per tick" means at this level.
function socketOf(ws: WebSocket): Socket | undefined {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  return socket && typeof socket.cork === 'function' ? socket : undefined;
}

async function stream(ws: WebSocket, events: number, size: number, corked: boolean): Promise<void> {
  const payloadBytes = payloadBytesFor(size);
  const ms = Date.now();
  const socket = corked ? socketOf(ws) : undefined;
  for (let i = 1; i <= events && ws.readyState === ws.OPEN; i++) {
    if (socket && i % CORK_BATCH === 1) socket.cork();
    const frame = JSON.stringify(messageEvent(RAW_TASK_ID, `${ms}-${i}`, tickerMessage(i, payloadBytes)));
    const waiting = send(ws, frame);
    if (socket && (i % CORK_BATCH === 0 || i === events || waiting)) socket.uncork();
    if (waiting) await waiting;
  }
}

async function latency(ws: WebSocket, count: number, rate: number, size: number): Promise<void> {
  const payloadBytes = payloadBytesFor(size);
  const ms = Date.now();
  for await (const i of paced(count, rate)) {
    if (ws.readyState !== ws.OPEN) return;
    const event = messageEvent(RAW_TASK_ID, `${ms}-${i}`, stampedMessage(sharedClockMs(), payloadBytes));
    ws.send(JSON.stringify(event));
  }
  ws.close(1000);
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws, req) => {
  ws.on('error', () => undefined);
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const size = Number(query.get('size') ?? 200);
  if (query.get('latency') === '1') {
    void latency(ws, Number(query.get('count')), Number(query.get('rate')), size);
  } else {
    void stream(ws, Number(query.get('events')), size, query.get('corked') === '1');
  }
});
wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  serveCommands({}, { port }, () => new Promise((resolve) => wss.close(() => resolve(undefined))));
});
