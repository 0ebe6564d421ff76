/**
 * `GET /tasks/{taskId}/events/stream` (SPEC.md §5): SSE with replay after `Last-Event-ID`, live
 * events, heartbeats, and an end right after the terminal event (hazard H1).
 */
import { once } from 'node:events';
import { LAST_EVENT_ID_QUERY_PARAM, type TaskEvent } from '@taskbridge/protocol';
import type { RequestHandler, Response } from 'express';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { authenticate, taskIdOf } from './request-auth';

const frame = (event: TaskEvent) => `id: ${event.eventId}\ndata: ${JSON.stringify(event)}\n\n`;

async function write(res: Response, chunk: string): Promise<void> {
  // Backpressure: wait for the socket to drain instead of buffering without bound.
  if (!res.write(chunk) && !res.writableEnded) {
    await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
}

/** The SSE route handler. Ownership and cursor are checked before any header is sent. */
export function sseRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler {
  const interval = options.heartbeatIntervalMs.sse;
  return async (req, res) => {
    const auth = await authenticate(options.auth, req);
    const taskId = taskIdOf(req);
    const queryCursor = req.query[LAST_EVENT_ID_QUERY_PARAM];
    const cursor = req.get('last-event-id') ?? (typeof queryCursor === 'string' ? queryCursor : undefined);
    // Throws 404/400 here, while the envelope can still be sent (the peer sends 200 then aborts).
    const subscription = engine.subscribe(auth, taskId, cursor);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const heartbeat = `: heartbeat\n\ndata: ${JSON.stringify({ type: 'HEARTBEAT', taskId, live: true })}\n\n`;
    let lastWrite = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - lastWrite >= interval / 2) {
        lastWrite = Date.now();
        res.write(heartbeat);
      }
    }, interval);
    res.on('close', () => subscription.close());
    try {
      for await (const item of subscription) {
        lastWrite = Date.now();
        // Right after replay: lets a client tell "idle" from "a proxy is buffering" (SPEC.md §5, E).
        await write(res, item.kind === 'caught-up' ? heartbeat : item.events.map(frame).join(''));
      }
    } catch {
      // Subscriber overflow (H3): end the response; the client resumes from its checkpoint.
    } finally {
      clearInterval(timer);
      subscription.close();
      res.end();
    }
  };
}
