/**
 * Who is calling, for every route and transport: a stream ticket where one is allowed (SSE and the
 * WebSocket upgrade, protocol/SPEC.md §12), else the host's {@link AuthResolver} — which sees the
 * `access_token` query parameter only when the server accepts it (protocol/SPEC.md §9).
 */
import {
  ACCESS_TOKEN_QUERY_PARAM,
  type RouteName,
  STREAM_TICKET_QUERY_PARAM,
  TaskBridgeError,
} from '@taskbridge/protocol';
import type { AuthContext } from '../engine/types';
import type { AuthRequest, AuthResolver } from './auth';
import type { StreamTickets } from './stream-tickets';

/** How a server authenticates. */
export interface CallerPolicy {
  auth: AuthResolver;
  /** Pass the `access_token` query parameter to the resolver (else it is refused). */
  allowAccessTokenQuery: boolean;
  /** Stream tickets, when enabled. */
  tickets: StreamTickets | undefined;
}

/** A resolved caller. */
export interface Caller {
  auth: AuthContext;
  /** Set when a stream ticket authenticated the request: the only task it may stream. */
  ticketTaskId?: string;
}

const refused = (message: string) => new TaskBridgeError({ code: 'AUTHENTICATION_ERROR', message });

/**
 * Resolves the caller of `request` on `route`. For the SSE route pass the URL's `taskId`: a ticket
 * for another task is refused.
 *
 * @throws {TaskBridgeError} `AUTHENTICATION_ERROR` (401) for a used, expired, foreign or unknown
 *   ticket, a ticket while tickets are off, an `access_token` query parameter the server does not
 *   accept (with no `Authorization` header); whatever the resolver throws.
 */
export async function resolveCaller(
  policy: CallerPolicy,
  request: AuthRequest,
  route: RouteName,
  taskId?: string,
): Promise<Caller> {
  const { [STREAM_TICKET_QUERY_PARAM]: ticket, ...rest } = request.query;
  const query: Record<string, string | undefined> = rest;
  if (ticket !== undefined && (route === 'stream' || route === 'websocket')) {
    if (!policy.tickets) throw refused('stream tickets are not enabled on this server');
    const grant = await policy.tickets.redeem(ticket);
    if (!grant) throw refused('stream ticket unknown, already used or expired');
    if (route === 'stream' && grant.taskId !== taskId) throw refused('stream ticket not valid for this task');
    return { auth: grant.auth, ticketTaskId: grant.taskId };
  }
  if (query[ACCESS_TOKEN_QUERY_PARAM] !== undefined && !policy.allowAccessTokenQuery) {
    if (request.headers.authorization === undefined) {
      throw refused(
        'the access_token query parameter is not accepted: use the Authorization header or a stream ticket',
      );
    }
    delete query[ACCESS_TOKEN_QUERY_PARAM];
  }
  return { auth: await policy.auth({ ...request, query }) };
}
