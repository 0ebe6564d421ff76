/**
 * The auth hook (protocol/SPEC.md §9). The host resolves who is calling from headers, query and path params;
 * tasks are owned by the resolved `subject`.
 */
import { ACCESS_TOKEN_QUERY_PARAM, TaskBridgeError } from '@taskbridge/protocol';
import type { AuthContext } from '../engine/types';

/** A transport-neutral view of a request, so Express, `ws` upgrades and MSW share one hook. */
export interface AuthRequest {
  /** HTTP method (`GET` for a WebSocket upgrade). */
  method: string;
  /** Path and query as requested. */
  url: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** Query parameters (the last value of a repeated one), e.g. `access_token` (protocol/SPEC.md §9, E). */
  query: Readonly<Record<string, string | undefined>>;
  /** Route params other than `taskId`, e.g. `{ projectId }` from a custom template. */
  pathParams: Readonly<Record<string, string>>;
}

/**
 * Resolves the caller. Throw a `TaskBridgeError` (`AUTHENTICATION_ERROR` → 401 / WS 1008,
 * `TASK_OWNERSHIP_ERROR` → 403) to refuse. Called on every request and WebSocket subscribe (protocol/SPEC.md §9).
 */
export type AuthResolver = (request: AuthRequest) => AuthContext | Promise<AuthContext>;

/** Options of {@link createDemoAuthResolver}. */
export interface DemoAuthOptions {
  /** Subject used when no credentials are sent; `null` answers 401 instead. Default `'anonymous'`. */
  anonymousSubject?: string | null;
}

/**
 * A DEMO resolver, not an authentication scheme: the bearer token *is* the subject.
 * Reads `Authorization: Bearer <subject>`, else the `access_token` query parameter (for browser
 * WebSockets, which cannot send headers; note that query strings end up in access logs).
 * Extra path params are passed through as attributes; `scopes` is always `[]`.
 *
 * @throws {TaskBridgeError} `AUTHENTICATION_ERROR` (401) for an `Authorization` header that is not
 *   `Bearer <token>` (token up to 256 characters), or for no credentials when `anonymousSubject` is `null`.
 * @see protocol/SPEC.md §9
 */
export function createDemoAuthResolver(options: DemoAuthOptions = {}): AuthResolver {
  const anonymous = options.anonymousSubject === undefined ? 'anonymous' : options.anonymousSubject;
  return (request) => {
    const header = request.headers.authorization;
    let subject: string | undefined;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S{1,256})$/i.exec(header.trim());
      if (!match) {
        throw new TaskBridgeError({
          code: 'AUTHENTICATION_ERROR',
          message: 'expected Authorization: Bearer <token>',
        });
      }
      subject = match[1];
    } else {
      subject = request.query[ACCESS_TOKEN_QUERY_PARAM] || undefined;
    }
    subject ??= anonymous ?? undefined;
    if (subject === undefined) {
      throw new TaskBridgeError({ code: 'AUTHENTICATION_ERROR', message: 'credentials required' });
    }
    return { subject, scopes: [], attributes: { ...request.pathParams } };
  };
}
