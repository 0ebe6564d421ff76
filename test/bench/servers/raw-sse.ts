/**
 * Raw SSE on `node:http`: `id:`/`data:` frames, one `res.write` per event, waiting for `drain` when the
 * socket is full. `GET /sse?events&size` streams as fast as possible; `GET /latency?count&rate&size`
 * sends paced events stamped with their send time.
 */
import { createServer, type ServerResponse } from 'node:http';
import { messageEvent, payloadBytesFor, RAW_TASK_ID, stampedMessage, tickerMessage } from '../events';
import { paced, sharedClockMs } from '../pacer';
import { serveCommands } from '../processes';
import { drained } from './drain';

const frame = (id: string, data: string) => `id: ${id}\ndata: ${data}\n\n`;

async function stream(res: ServerResponse, events: number, size: number): Promise<void> {
  const payloadBytes = payloadBytesFor(size);
  const ms = Date.now();
  for (let i = 1; i <= events && !res.destroyed; i++) {
    const id = `${ms}-${i}`;
    if (!res.write(frame(id, JSON.stringify(messageEvent(RAW_TASK_ID, id, tickerMessage(i, payloadBytes))))))
      await drained(res);
  }
  res.end();
}

async function latency(res: ServerResponse, count: number, rate: number, size: number): Promise<void> {
  const payloadBytes = payloadBytesFor(size);
  const ms = Date.now();
  for await (const i of paced(count, rate)) {
    if (res.destroyed) return;
    const id = `${ms}-${i}`;
    res.write(
      frame(id, JSON.stringify(messageEvent(RAW_TASK_ID, id, stampedMessage(sharedClockMs(), payloadBytes)))),
    );
  }
  res.end();
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams;
  res.on('error', () => undefined);
  if (url.pathname !== '/sse' && url.pathname !== '/latency') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  const size = Number(q.get('size') ?? 200);
  if (url.pathname === '/sse') void stream(res, Number(q.get('events')), size);
  else void latency(res, Number(q.get('count')), Number(q.get('rate')), size);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  serveCommands({}, { port }, () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
});
