/**
 * The ceiling: newline-delimited JSON over a plain TCP socket. A client sends one line
 * `{"events":N,"size":S}` and gets N events, one JSON object per line, written with backpressure.
 */
import { createServer, type Socket } from 'node:net';
import { messageEvent, payloadBytesFor, RAW_TASK_ID, tickerMessage } from '../events';
import { serveCommands } from '../processes';
import { drained } from './drain';

async function stream(socket: Socket, events: number, size: number): Promise<void> {
  const payloadBytes = payloadBytesFor(size);
  const ms = Date.now();
  for (let i = 1; i <= events && !socket.destroyed; i++) {
    const line = `${JSON.stringify(messageEvent(RAW_TASK_ID, `${ms}-${i}`, tickerMessage(i, payloadBytes)))}\n`;
    if (!socket.write(line)) await drained(socket);
  }
  socket.end();
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  let head = '';
  const onData = (chunk: Buffer) => {
    head += chunk.toString();
    const end = head.indexOf('\n');
    if (end < 0) return;
    socket.off('data', onData);
    const request = JSON.parse(head.slice(0, end)) as { events: number; size: number };
    void stream(socket, request.events, request.size);
  };
  socket.on('data', onData);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  serveCommands({}, { port }, () => new Promise((resolve) => server.close(resolve)));
});
