/**
 * `GET /tasks/{taskId}/events/stream` (SPEC.md §5) on Express: the shared {@link runSseSession}
 * written to the Node response, with backpressure.
 */
import { once } from 'node:events';
import type { RequestHandler, Response } from 'express';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { type QueryValues, sseCursorOf } from './operations';
import { authenticate, taskIdOf } from './request-auth';
import { runSseSession, SSE_HEADERS } from './sse-session';

async function write(res: Response, chunk: string): Promise<void> {
  // Backpressure: wait for the socket to drain instead of buffering without bound.
  if (!res.write(chunk) && !res.writableEnded) {
    await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
}

/** The SSE route handler. Ownership and cursor are checked before any header is sent. */
export function sseRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options.auth, req);
    const taskId = taskIdOf(req);
    const cursor = sseCursorOf(req.get('last-event-id'), req.query as QueryValues);
    // Throws 404/400 here, while the envelope can still be sent (the peer sends 200 then aborts).
    const subscription = engine.subscribe(auth, taskId, cursor);
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    res.on('close', () => subscription.close());
    await runSseSession(
      {
        // Heartbeats from the timer are not awaited: they are tiny and the timer must not pile up.
        write: (chunk) => (chunk.kind === 'heartbeat' ? void res.write(chunk.text) : write(res, chunk.text)),
        end: () => res.end(),
      },
      subscription,
      { taskId, heartbeatIntervalMs: options.heartbeatIntervalMs.sse },
    );
  };
}
