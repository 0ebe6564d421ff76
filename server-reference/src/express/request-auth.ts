/**
 * Bridges Express requests to the transport-neutral {@link AuthRequest}.
 */
import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import type { AuthContext } from '../engine/types';
import type { AuthRequest, AuthResolver } from '../auth/auth';

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

/** Resolves the caller of an Express request (throws the resolver's TaskBridgeError). */
export async function authenticate(resolver: AuthResolver, req: Request): Promise<AuthContext> {
  const url = new URL(req.originalUrl, 'http://localhost');
  return resolver(toAuthRequest(req, url, req.params as Record<string, string>));
}

/** The route's `taskId` param. */
export function taskIdOf(req: Request): string {
  return (req.params as Record<string, string>).taskId ?? '';
}
