/**
 * Bridges Express requests to the transport-neutral {@link AuthRequest}.
 */
import type { IncomingMessage } from 'node:http';
import type { RouteName } from '@taskbridge/protocol';
import type { Request } from 'express';
import type { AuthContext } from '../engine/types';
import type { AuthRequest } from '../auth/auth';
import { type CallerPolicy, resolveCaller } from '../auth/caller';

function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Builds an {@link AuthRequest} from a Node request, its URL and the route params other than `taskId`. */
export function toAuthRequest(req: IncomingMessage, url: URL, params: Record<string, string>): AuthRequest {
  const { taskId: _taskId, ...pathParams } = params;
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: flatHeaders(req),
    query: Object.fromEntries(url.searchParams),
    pathParams,
  };
}

/**
 * Resolves the caller of an Express request on `route` (a stream ticket on the SSE route, else the
 * auth hook); throws the resolver's TaskBridgeError.
 */
export async function authenticate(
  policy: CallerPolicy,
  req: Request,
  route: RouteName,
): Promise<AuthContext> {
  const url = new URL(req.originalUrl, 'http://localhost');
  const params = req.params as Record<string, string>;
  return (await resolveCaller(policy, toAuthRequest(req, url, params), route, params.taskId)).auth;
}

/** The route's `taskId` param. */
export function taskIdOf(req: Request): string {
  return (req.params as Record<string, string>).taskId ?? '';
}
