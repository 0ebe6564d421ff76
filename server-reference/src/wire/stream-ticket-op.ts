/**
 * `POST /api/v1/stream-tickets` (protocol/SPEC.md §12) as a transport-neutral operation, shared by
 * the Express route and the MSW kit.
 */
import { type StreamTicketResponse, TaskBridgeError } from '@taskbridge/protocol';
import type { StreamTickets } from '../auth/stream-tickets';
import type { TaskEngine } from '../engine/task-engine';
import type { AuthContext } from '../engine/types';
import type { OpResult } from './operations';

/** Longest `taskId` accepted in the body. */
const MAX_TASK_ID_CHARS = 256;

/**
 * Mints a ticket for `{taskId}` once the caller is known to own the task → 201
 * `{ticket, taskId, expiresAt}`.
 *
 * @throws {TaskBridgeError} `INVALID_REQUEST` (400) for a body that is not `{"taskId": string}`;
 *   `TASK_NOT_FOUND` (404) for an unknown or foreign task; `RATE_LIMITED` (429) when the ticket store
 *   is full.
 */
export async function streamTicketOp(
  engine: TaskEngine,
  tickets: StreamTickets,
  auth: AuthContext,
  body: unknown,
): Promise<OpResult<StreamTicketResponse>> {
  const taskId =
    typeof body === 'object' && body !== null ? (body as { taskId?: unknown }).taskId : undefined;
  if (typeof taskId !== 'string' || taskId === '' || taskId.length > MAX_TASK_ID_CHARS) {
    throw new TaskBridgeError({
      code: 'INVALID_REQUEST',
      message: `body must be {"taskId": string} (1–${MAX_TASK_ID_CHARS} characters)`,
    });
  }
  // Ownership first, with the same 404 as every route (protocol/SPEC.md §9).
  await engine.getTask(auth, taskId);
  return { status: 201, body: await tickets.mint(auth, taskId) };
}
