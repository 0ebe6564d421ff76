/**
 * `GET /tasks/{taskId}/events/stream` (protocol/SPEC.md §5) on Express: the shared
 * {@link runSseSession} written to the Node response, within the subscriber budget (hazard H3).
 */
import type { RequestHandler, Response } from 'express';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { type QueryValues, sseCursorOf } from '../wire/operations';
import { authenticate, taskIdOf } from './request-auth';
import { tickCorker } from './tick-cork';
import { runSseSession, SSE_HEADERS } from '../wire/sse-session';

// Backpressure: when the socket is full, wait for it to drain (or close) instead of buffering without
// bound. Both listeners go when either fires: one response waits many times over its life.
function drained(res: Response): Promise<void> {
  if (res.writableEnded || res.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

// The response is ended, but a reader that stopped reading would keep the connection (and its unsent
// bytes) forever: drop it if the bytes are not gone within the budget.
function endWithin(res: Response, drainTimeoutMs: number): void {
  if (res.writableEnded) return;
  res.end();
  if (res.writableFinished || res.destroyed) return;
  const timer = setTimeout(() => res.destroy(), drainTimeoutMs);
  timer.unref();
  const clear = () => clearTimeout(timer);
  res.once('finish', clear);
  res.once('close', clear);
}

/** The SSE route handler. Ownership and cursor are checked before any header is sent. */
export function sseRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler {
  const { maxBufferedBytes, drainTimeoutMs } = options.subscriberBudget;
  return async (req, res) => {
    const auth = await authenticate(options, req, 'stream');
    const taskId = taskIdOf(req);
    const cursor = sseCursorOf(req.get('last-event-id'), req.query as QueryValues);
    // A client that leaves while the subscription opens must not leave it behind.
    let gone = false;
    const onGone = () => {
      gone = true;
    };
    res.on('close', onGone);
    // Throws 404/400 here, while the envelope can still be sent (the peer sends 200 then aborts).
    const subscription = await engine.subscribe(auth, taskId, cursor).finally(() => res.off('close', onGone));
    if (gone) return subscription.close();
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    res.on('close', () => subscription.close());
    const holdUntilTickEnds = tickCorker(res);
    await runSseSession(
      {
        // A chunk is one string, so one `res.write`; the chunks of one tick leave in one write.
        write: (chunk) => {
          holdUntilTickEnds();
          res.write(chunk.text);
          // Heartbeats from the timer are not awaited: they are tiny and the timer must not pile up.
          return chunk.kind === 'events' && res.writableLength > maxBufferedBytes ? drained(res) : undefined;
        },
        abort: () => res.destroy(),
        end: () => endWithin(res, drainTimeoutMs),
      },
      subscription,
      {
        taskId,
        heartbeatIntervalMs: options.heartbeatIntervalMs.sse,
        drainTimeoutMs,
        onStalled: (waitedMs) =>
          options.logger({
            level: 'warn',
            msg: 'subscriber did not drain within its budget: disconnected',
            transport: 'sse',
            taskId,
            drainTimeoutMs,
            waitedMs,
          }),
      },
    );
  };
}
