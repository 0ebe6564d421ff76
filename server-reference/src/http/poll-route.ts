/**
 * `GET /tasks/{taskId}/events` (SPEC.md §4): poll and long-poll.
 */
import { PollLimits, TaskBridgeError } from '@taskbridge/protocol';
import type { Request, RequestHandler } from 'express';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { authenticate, taskIdOf } from './request-auth';

function intParam(req: Request, name: string, min: number, max: number, fallback: number): number {
  const raw = req.query[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new TaskBridgeError({
      code: 'INVALID_REQUEST',
      message: `${name} must be an integer from ${min} to ${max}`,
      details: { parameter: name },
    });
  }
  return Number(raw);
}

/** The poll route handler. `shutdown` ends pending long polls at once. */
export function pollRoute(
  engine: TaskEngine,
  options: ResolvedServerOptions,
  shutdown: AbortSignal,
): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options.auth, req);
    const after = req.query.afterEventId;
    if (after !== undefined && typeof after !== 'string') {
      throw new TaskBridgeError({ code: 'INVALID_REQUEST', message: 'afterEventId must be given once' });
    }
    // SPEC.md §4: the peer's default is a short poll (0), whatever the OpenAPI file says.
    const waitTimeoutMs = intParam(req, 'waitTimeoutMs', 0, PollLimits.MAX_WAIT_TIMEOUT_MS, 0);
    const maxEvents = intParam(req, 'maxEvents', 1, PollLimits.MAX_EVENTS, PollLimits.DEFAULT_MAX_EVENTS);
    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.on('close', onClose);
    shutdown.addEventListener('abort', onClose);
    try {
      const body = await engine.poll(auth, taskIdOf(req), {
        afterEventId: after ?? null,
        waitTimeoutMs,
        maxEvents,
        signal: gone.signal,
      });
      if (!res.writableEnded) res.status(200).json(body);
    } finally {
      shutdown.removeEventListener('abort', onClose);
    }
  };
}
