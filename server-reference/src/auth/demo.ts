/**
 * The demo resolver: the bearer string *is* the user id. For demos and tests only; a server started
 * with it warns at startup.
 */
import { ACCESS_TOKEN_QUERY_PARAM, TaskBridgeError } from '@taskbridge/protocol';
import type { AuthResolver } from './auth';

/** Options of {@link createDemoAuthResolver}. */
export interface DemoAuthOptions {
  /**
   * Subject used when a request carries no credentials at all; `null` answers 401 instead.
   * Default `null`: no anonymous fallback unless configured.
   */
  anonymousSubject?: string | null;
}

const demoResolvers = new WeakSet<AuthResolver>();

/** True for a resolver made by {@link createDemoAuthResolver} (the server warns about it at startup). */
export function isDemoAuthResolver(resolver: AuthResolver): boolean {
  return demoResolvers.has(resolver);
}

/**
 * A DEMO resolver, not an authentication scheme: anyone who sends `Bearer alice` *is* alice.
 * Reads `Authorization: Bearer <subject>`, else the `access_token` query parameter (only present when
 * the server accepts it: `allowAccessTokenQuery`). Extra path params are passed through as
 * attributes; `scopes` is always `[]`. Ask for it by name (`auth: createDemoAuthResolver()`, CLI
 * `--auth demo`); a server started with it logs a warning. Use {@link createJwtAuthResolver} for
 * anything reachable by others.
 *
 * @throws {TaskBridgeError} `AUTHENTICATION_ERROR` (401) for an `Authorization` header that is not
 *   `Bearer <token>` (token up to 256 characters), or for no credentials unless `anonymousSubject` is set.
 * @see protocol/SPEC.md §9
 */
export function createDemoAuthResolver(options: DemoAuthOptions = {}): AuthResolver {
  const anonymous = options.anonymousSubject ?? null;
  const resolver: AuthResolver = (request) => {
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
  demoResolvers.add(resolver);
  return resolver;
}
