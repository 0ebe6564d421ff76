/**
 * `GET /tasks/{taskId}/events` (SPEC.md §4) on Express: poll and long-poll through {@link pollOp}.
 */
import type { RequestHandler } from 'express';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { pollOp, type QueryValues } from './operations';
import { authenticate, taskIdOf } from './request-auth';

/** The poll route handler. `shutdown` ends pending long polls at once. */
export function pollRoute(
  engine: TaskEngine,
  options: ResolvedServerOptions,
  shutdown: AbortSignal,
): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options.auth, req);
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
      if (!res.writableEnded) res.status(status).json(body);
    } finally {
      shutdown.removeEventListener('abort', onClose);
    }
  };
}
