/**
 * Bearer JWT authentication on `jose` (protocol/SPEC.md §9): an HS256 shared secret or a remote JWKS
 * (with key rotation), issuer, audience, clock tolerance, the subject claim and scopes.
 */
import { ACCESS_TOKEN_QUERY_PARAM, TaskBridgeError } from '@taskbridge/protocol';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, type JWTVerifyOptions } from 'jose';
import type { AuthContext } from '../engine/types';
import type { AuthRequest, AuthResolver } from './auth';

/** Options of {@link createJwtAuthResolver}. Exactly one of `secret` and `jwksUrl` is required. */
export interface JwtAuthOptions {
  /**
   * HS256 shared secret, at least 32 bytes (a string is taken as UTF-8). Mutually exclusive with
   * `jwksUrl`.
   */
  secret?: string | Uint8Array;
  /**
   * URL of a JSON Web Key Set (e.g. `https://issuer.example/.well-known/jwks.json`). Keys are cached
   * and refetched when a token names an unknown `kid` (rotation). Mutually exclusive with `secret`.
   */
  jwksUrl?: string | URL;
  /** Required `iss` (one value or any of several). Default: not checked. */
  issuer?: string | readonly string[];
  /** Required `aud` (one value or any of several). Default: not checked. */
  audience?: string | readonly string[];
  /**
   * Accepted `alg` values. Default `['HS256']` with `secret`; with `jwksUrl`
   * `['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']`.
   */
  algorithms?: readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`, ms. Default 5,000. */
  clockToleranceMs?: number;
  /** Refuse tokens without `exp`. Default `true`. */
  requireExpiration?: boolean;
  /** Claim holding the subject (the task owner). Default `'sub'`. */
  subjectClaim?: string;
  /**
   * Claim holding the scopes: a space-separated string (RFC 8693 `scope`) or an array of strings
   * (`scp`). Default `'scope'`.
   */
  scopesClaim?: string;
  /** Scopes every request needs; a token missing one gets 403. Default: none. */
  requiredScopes?: readonly string[];
  /** JWKS: max age of the cached key set, ms. Default 600,000 (10 min). */
  jwksCacheMaxAgeMs?: number;
  /** JWKS: min time between two refetches triggered by an unknown `kid`, ms. Default 30,000. */
  jwksCooldownMs?: number;
  /** JWKS: HTTP timeout of a fetch, ms. Default 5,000. */
  jwksTimeoutMs?: number;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const MAX_TOKEN_CHARS = 8192;

const unauthenticated = (message: string) => new TaskBridgeError({ code: 'AUTHENTICATION_ERROR', message });

// The reason only, never a claim value: error bodies go to whoever sent the token.
function toAuthError(error: unknown): TaskBridgeError {
  if (error instanceof errors.JWTExpired) return unauthenticated('token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return unauthenticated(`token "${error.claim}" claim check failed`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) return unauthenticated('token signed with an unknown key');
  if (error instanceof errors.JOSEAlgNotAllowed) return unauthenticated('token algorithm not allowed');
  const keySetFailure =
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError) ||
    error.constructor === errors.JOSEError;
  if (!keySetFailure) return unauthenticated('invalid token');
  // The key set could not be fetched or read: not the caller's fault; retry later.
  return new TaskBridgeError({
    code: 'INTERNAL_ERROR',
    status: 503,
    message: 'signing keys unavailable',
    retryable: true,
    retryAfterMs: 1000,
  });
}

function tokenOf(request: AuthRequest): string {
  const header = request.headers.authorization;
  let token: string | undefined;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw unauthenticated('expected Authorization: Bearer <token>');
    token = match[1];
  } else {
    token = request.query[ACCESS_TOKEN_QUERY_PARAM] || undefined;
  }
  if (token === undefined) throw unauthenticated('credentials required');
  if (token.length > MAX_TOKEN_CHARS) throw unauthenticated('invalid token');
  return token;
}

function scopesOf(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((s) => s !== '');
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string');
  return [];
}

type Verifier = (token: string, options: JWTVerifyOptions) => Promise<{ payload: JWTPayload }>;

function verifierOf(options: JwtAuthOptions): { verifier: Verifier; algorithms: string[] } {
  if ((options.secret === undefined) === (options.jwksUrl === undefined)) {
    throw new TypeError('createJwtAuthResolver: give exactly one of `secret` and `jwksUrl`');
  }
  if (options.secret !== undefined) {
    const secret =
      typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (secret.byteLength < 32) {
      throw new TypeError('createJwtAuthResolver: an HS256 `secret` needs at least 32 bytes');
    }
    return {
      verifier: (token, verify) => jwtVerify(token, secret, verify),
      algorithms: [...(options.algorithms ?? ['HS256'])],
    };
  }
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl as string | URL), {
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
  });
  return {
    verifier: (token, verify) => jwtVerify(token, jwks, verify),
    algorithms: [...(options.algorithms ?? ASYMMETRIC)],
  };
}

/**
 * A resolver for `Authorization: Bearer <JWT>` (or the `access_token` query parameter where the
 * server accepts it), verified with `jose`. The subject is `subjectClaim`, the scopes come from
 * `scopesClaim`; `attributes` holds the route's extra path params and the verified `claims`.
 *
 * Refusals (never echoing a claim value): 401 `AUTHENTICATION_ERROR` for no, malformed, expired,
 * not-yet-valid, wrongly signed tokens and wrong `iss`/`aud`; 403 `TASK_OWNERSHIP_ERROR` (details
 * `{ reason: 'insufficient_scope' }`) when a `requiredScopes` entry is missing; 503 `INTERNAL_ERROR`
 * (retryable) when the JWKS cannot be fetched.
 *
 * @throws {TypeError} at creation: neither or both of `secret`/`jwksUrl`, or a secret under 32 bytes.
 * @see protocol/SPEC.md §9
 * @example
 * createReferenceServer({
 *   auth: createJwtAuthResolver({ jwksUrl: 'https://id.example/jwks.json', issuer: 'https://id.example', audience: 'tasks' }),
 * });
 */
export function createJwtAuthResolver(options: JwtAuthOptions): AuthResolver {
  const { verifier, algorithms } = verifierOf(options);
  const subjectClaim = options.subjectClaim ?? 'sub';
  const scopesClaim = options.scopesClaim ?? 'scope';
  const required = options.requiredScopes ?? [];
  const verify: JWTVerifyOptions = {
    algorithms,
    clockTolerance: Math.ceil((options.clockToleranceMs ?? 5_000) / 1000),
    ...(options.issuer === undefined ? {} : { issuer: [options.issuer].flat() }),
    ...(options.audience === undefined ? {} : { audience: [options.audience].flat() }),
    ...(options.requireExpiration === false ? {} : { requiredClaims: ['exp'] }),
  };
  return async (request): Promise<AuthContext> => {
    const token = tokenOf(request);
    let payload: JWTPayload;
    try {
      ({ payload } = await verifier(token, verify));
    } catch (error) {
      throw toAuthError(error);
    }
    const subject = payload[subjectClaim];
    if (typeof subject !== 'string' || subject === '') {
      throw unauthenticated(`token has no "${subjectClaim}" claim`);
    }
    const scopes = scopesOf(payload[scopesClaim]);
    const missing = required.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      throw new TaskBridgeError({
        code: 'TASK_OWNERSHIP_ERROR',
        message: 'token lacks a required scope',
        details: { reason: 'insufficient_scope', requiredScopes: [...required] },
      });
    }
    return { subject, scopes, attributes: { ...request.pathParams, claims: payload } };
  };
}
