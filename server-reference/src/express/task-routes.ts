/**
 * Cancel, actions (protocol/SPEC.md §7) and task status (E1) on Express, through the shared operations.
 */
import type { RequestHandler } from 'express';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { actionOp, cancelOp, statusOp } from '../wire/operations';
import { authenticate, taskIdOf } from './request-auth';

/** `POST /tasks/{taskId}/cancel`: optional `{reason}` → 202. */
export function cancelRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options, req, 'cancel');
    const { status, body } = await cancelOp(engine, auth, taskIdOf(req), req.body);
    res.status(status).json(body);
  };
}

/** `POST /tasks/{taskId}/actions` → 202 / 200 / 409 / 404. */
export function actionsRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options, req, 'actions');
    const { status, body } = await actionOp(engine, auth, taskIdOf(req), req.body);
    res.status(status).json(body);
  };
}

/** E1 `GET /tasks/{taskId}`. */
export function statusRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options, req, 'status');
    const { status, body } = await statusOp(engine, auth, taskIdOf(req));
    res.status(status).json(body);
  };
}
