/**
 * `POST /api/v1/stream-tickets` (protocol/SPEC.md §12) on Express, through {@link streamTicketOp}.
 */
import type { RequestHandler } from 'express';
import type { StreamTickets } from '../auth/stream-tickets';
import type { TaskEngine } from '../engine/task-engine';
import type { ResolvedServerOptions } from '../options';
import { streamTicketOp } from '../wire/stream-ticket-op';
import { authenticate } from './request-auth';

/** The stream-ticket route handler (mounted only when tickets are enabled). */
export function streamTicketRoute(
  engine: TaskEngine,
  tickets: StreamTickets,
  options: ResolvedServerOptions,
): RequestHandler {
  return async (req, res) => {
    const auth = await authenticate(options, req, 'streamTickets');
    const { status, body } = await streamTicketOp(engine, tickets, auth, req.body);
    res.status(status).json(body);
  };
}
