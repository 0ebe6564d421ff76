/**
 * Cancel, actions (SPEC.md §7), task status (E1) and capabilities (E2).
 */
import {
  type CapabilitiesResponse,
  PollLimits,
  PROTOCOL_VERSION,
  parseCancelTaskRequest,
  parseClientActionRequest,
  TaskBridgeError,
  type TransportName,
} from '@taskbridge/protocol';
import type { RequestHandler } from 'express';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { authenticate, taskIdOf } from './request-auth';

const invalid = (message: string, issues: readonly unknown[]) =>
  new TaskBridgeError({ code: 'INVALID_REQUEST', message, details: { issues: [...issues] } });

/** `POST /tasks/{taskId}/cancel`: optional `{reason}` → 202. */
export function cancelRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options.auth, req);
    const body = req.body === undefined || req.body === null || req.body === '' ? {} : req.body;
    const parsed = parseCancelTaskRequest(body);
    if (!parsed.ok) throw invalid(parsed.error.message, parsed.error.issues);
    res.status(202).json(await engine.cancel(auth, taskIdOf(req), parsed.value.reason));
  };
}

/** `POST /tasks/{taskId}/actions` → 202 / 200 / 409 / 404. */
export function actionsRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options.auth, req);
    const taskId = taskIdOf(req);
    // Ownership first, so a foreign task is a 404 whatever the body.
    engine.getTask(auth, taskId);
    const parsed = parseClientActionRequest(req.body);
    if (!parsed.ok) throw invalid(parsed.error.message, parsed.error.issues);
    const { httpStatus, response } = await engine.submitAction(auth, taskId, parsed.value);
    res.status(httpStatus).json(response);
  };
}

/** E1 `GET /tasks/{taskId}`. */
export function statusRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options.auth, req);
    res.json(engine.getStatus(auth, taskIdOf(req)));
  };
}

/** E2 capabilities, derived from the actual configuration (hazard H7). */
export function capabilitiesOf(engine: TaskEngine, options: ResolvedServerOptions): CapabilitiesResponse {
  const transports = (['websocket', 'sse', 'polling'] as const).filter(
    (name): name is TransportName => options.transports[name],
  );
  const { routes } = options;
  return {
    protocolVersion: PROTOCOL_VERSION,
    transports,
    heartbeatIntervalMs: { ...options.heartbeatIntervalMs },
    retention: { maxEventsPerTask: engine.store.retention().maxEventsPerTask },
    limits: {
      maxEventsPerPoll: PollLimits.MAX_EVENTS,
      maxWaitTimeoutMs: PollLimits.MAX_WAIT_TIMEOUT_MS,
      maxUploadBytes: options.uploads.maxFileBytes,
    },
    routes: {
      create: routes.create,
      cancel: routes.cancel,
      actions: routes.actions,
      status: routes.status,
      ...(options.transports.polling ? { events: routes.events } : {}),
      ...(options.transports.sse ? { stream: routes.stream } : {}),
      ...(options.transports.websocket ? { websocket: routes.websocket } : {}),
    },
  };
}
