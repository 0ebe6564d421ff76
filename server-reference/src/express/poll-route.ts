/**
 * `GET /tasks/{taskId}/events` (protocol/SPEC.md §4) on Express: poll and long-poll through {@link pollOp}.
 */
import type { RequestHandler } from 'express';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { pollResponseJson } from '../wire/event-json';
import { pollOp, type QueryValues } from '../wire/operations';
import { authenticate, taskIdOf } from './request-auth';

/** The poll route handler. `shutdown` ends pending long polls at once. */
export function pollRoute(
  engine: TaskEngine,
  options: ResolvedServerOptions,
  shutdown: AbortSignal,
): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options, req, 'events');
    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.on('close', onClose);
    shutdown.addEventListener('abort', onClose);
    try {
      const { status, body } = await pollOp(
        engine,
        auth,
        taskIdOf(req),
        req.query as QueryValues,
        gone.signal,
      );
      if (res.writableEnded) return;
      // Not `res.json`: it would serialise every event again, and hash the body for an ETag that
      // nothing revalidates a poll with. Same status, Content-Type and Content-Length.
      const text = pollResponseJson(body);
      res.status(status);
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
    } finally {
      // Answered: a later close must not abort (an abort builds a DOMException with a stack).
      res.off('close', onClose);
      shutdown.removeEventListener('abort', onClose);
    }
  };
}
