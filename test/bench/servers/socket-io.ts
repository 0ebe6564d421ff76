/**
 * socket.io 4 with `transports: ['websocket']`: one `emit('event', object)` per event, as an app would
 * write it, pausing for engine.io's `drain` once about 1 MiB of packets is queued (socket.io has no
 * other backpressure signal). The handshake query carries `events` and `size`.
 */
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { messageEvent, payloadBytesFor, RAW_TASK_ID, tickerMessage } from '../events';
import { serveCommands } from '../processes';
import { firstOf, HIGH_WATER_MARK } from './drain';

// engine.io's queue of packets not yet handed to the socket; typed private, but it is the only measure.
function queued(socket: Socket): number {
  return (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
}

async function stream(socket: Socket, events: number, size: number): Promise<void> {
  const payloadBytes = payloadBytesFor(size);
  const window = Math.max(1, Math.floor(HIGH_WATER_MARK / size));
  const ms = Date.now();
  for (let i = 1; i <= events && socket.connected; i++) {
    socket.emit('event', messageEvent(RAW_TASK_ID, `${ms}-${i}`, tickerMessage(i, payloadBytes)));
    if (queued(socket) >= window) {
      await firstOf(socket.conn, ['drain', 'close']);
    }
  }
}

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  const query = socket.handshake.query;
  void stream(socket, Number(query.events), Number(query.size ?? 200));
});
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  serveCommands({}, { port }, () => new Promise((resolve) => io.close(() => resolve(undefined))));
});
