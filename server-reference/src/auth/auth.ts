/**
 * The auth hook (protocol/SPEC.md §9). The host resolves who is calling from headers, query and path
 * params; tasks are owned by the resolved `subject`. Resolvers: {@link createJwtAuthResolver} for
 * production, {@link createDemoAuthResolver} for demos and tests only.
 */
import type { AuthContext } from '../engine/types';

/** A transport-neutral view of a request, so Express, `ws` upgrades and MSW share one hook. */
export interface AuthRequest {
  /** HTTP method (`GET` for a WebSocket upgrade). */
  method: string;
  /** Path and query as requested. May carry credentials: never log it as is. */
  url: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  /**
   * Query parameters (the last value of a repeated one). `access_token` is only present when the
   * server accepts it (`allowAccessTokenQuery`, protocol/SPEC.md §9); `ticket` never is (the server
   * redeems stream tickets itself, protocol/SPEC.md §12).
   */
  query: Readonly<Record<string, string | undefined>>;
  /** Route params other than `taskId`, e.g. `{ projectId }` from a custom template. */
  pathParams: Readonly<Record<string, string>>;
}

/**
 * Resolves the caller. Throw a `TaskBridgeError` (`AUTHENTICATION_ERROR` → 401 / WS 1008,
 * `TASK_OWNERSHIP_ERROR` → 403) to refuse. Called on every request and WebSocket upgrade
 * (protocol/SPEC.md §9). `attributes` must be JSON-serialisable when stream tickets live in a shared
 * store (they carry the caller's context).
 */
export type AuthResolver = (request: AuthRequest) => AuthContext | Promise<AuthContext>;
