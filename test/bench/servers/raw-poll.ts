/**
 * Raw long polling on `node:http`: `GET /poll?after=<eventId>&events&size` answers at once with the
 * next (up to) 500 events as `{ events: [...] }` — every event already exists, so a long poll never has
 * to wait, exactly like our server replaying a finished ticker.
 */
import { createServer } from 'node:http';
import { messageEvent, payloadBytesFor, RAW_TASK_ID, tickerMessage } from '../events';
import { serveCommands } from '../processes';

const PAGE = 500;
// One stream id base per process, so every request numbers events the same way.
const BASE_MS = Date.now();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/poll') {
    res.writeHead(404).end();
    return;
  }
  const q = url.searchParams;
  const events = Number(q.get('events'));
  const payloadBytes = payloadBytesFor(Number(q.get('size') ?? 200));
  const after = q.get('after');
  const from = after === null ? 1 : Number(after.slice(after.indexOf('-') + 1)) + 1;
  const page = [];
  for (let i = from; i < from + PAGE && i <= events; i++) {
    page.push(messageEvent(RAW_TASK_ID, `${BASE_MS}-${i}`, tickerMessage(i, payloadBytes)));
  }
  const body = JSON.stringify({ events: page, hasMore: from + PAGE <= events });
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  serveCommands({}, { port }, () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
});
