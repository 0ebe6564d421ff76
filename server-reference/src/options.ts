/**
 * Options of the reference server, resolved once into a {@link ResolvedServerOptions}.
 */
import { createRouteTemplates, type RouteTemplates } from '@taskbridge/protocol';
import type { CorsOptions } from 'cors';
import type { TaskBridgeBackend } from './engine/state/backend';
import type { RedisConnectionSpec } from './engine/state/redis/redis-connection';
import type { TaskHandler } from './engine/types';
import { type AuthResolver, createDemoAuthResolver } from './auth/auth';
import { type Logger, silentLogger } from './logger';

/** Which transports the server offers; a disabled one has no route and is absent from capabilities (H7). */
export interface TransportSwitches {
  /** Default true. */
  websocket?: boolean;
  /** Default true. */
  sse?: boolean;
  /** Default true. */
  polling?: boolean;
}

/** Upload limits for multipart creates (SPEC.md §2). */
export interface UploadOptions {
  /** Max bytes per file; larger → 413 `PAYLOAD_TOO_LARGE`. Default 10 MiB (10,485,760 bytes). */
  maxFileBytes?: number;
  /** Max files per request; more → 400 `UPLOAD_VALIDATION_ERROR`. Default 5. */
  maxFiles?: number;
  /**
   * Accepted MIME types; `type/*` wildcards allowed; others → 400 `UPLOAD_VALIDATION_ERROR`.
   * Default `['text/*', 'application/json', 'application/pdf', 'application/octet-stream', 'image/*']`.
   */
  allowedTypes?: readonly string[];
}

/** Options of `createReferenceServer` and `createTaskBridgeApp`. */
export interface ReferenceServerOptions {
  /** Handlers by `taskType`. Default: the demo handlers (`greet`, `summarize`, `approval`, `fail`, `ticker`). */
  handlers?: Record<string, TaskHandler>;
  /**
   * Where tasks, events, idempotency keys and suspensions live; its retention is what capabilities
   * advertise (hazard H7). Default: a new `createMemoryBackend()` (bounded retention: see its options),
   * closed with the server; a backend passed in is left open for its creator to close.
   */
  backend?: TaskBridgeBackend;
  /**
   * Shorthand for a Redis backend (`createRedisBackend({ redis })` with its defaults), created and
   * closed by the server, so several server processes can share tasks: a URL (`redis://host:6379`,
   * a unix socket path), ioredis options or an ioredis client. Ignored when `backend` is given.
   * Default: none (the memory backend).
   */
  redis?: RedisConnectionSpec;
  /**
   * Route templates: a base path such as `/api/v1/projects/{projectId}` (every route under it), or
   * individual templates. Default: SPEC.md §1.
   */
  routes?: string | Partial<RouteTemplates>;
  /** Auth hook (SPEC.md §9). Default: {@link createDemoAuthResolver} — a demo, not security. */
  auth?: AuthResolver;
  /**
   * Transports to offer; capabilities report exactly these (SPEC.md §1 E2, hazard H7). Default: all
   * three.
   */
  transports?: TransportSwitches;
  /**
   * Heartbeat intervals while idle, ms (SPEC.md §5, §6), advertised by capabilities so clients set their
   * liveness deadlines from them. Defaults: WebSocket 25,000 (as the peer), SSE 15,000.
   */
  heartbeatIntervalMs?: { websocket?: number; sse?: number };
  /** Multipart upload limits (SPEC.md §2). Default: see {@link UploadOptions}. */
  uploads?: UploadOptions;
  /**
   * Max JSON body, bytes; larger → 413 `PAYLOAD_TOO_LARGE` (SPEC.md §2). Default 1 MiB (1,048,576
   * bytes).
   */
  maxJsonBodyBytes?: number;
  /** Max live events queued per subscriber before it is disconnected to resume later (H3). Default 10,000. */
  maxQueuedEventsPerSubscriber?: number;
  /**
   * How long a WebSocket may stay open without its subscribe frame, ms; then it is closed 1008
   * (SPEC.md §6). Default 10,000.
   */
  subscribeTimeoutMs?: number;
  /**
   * CORS: `true` allows any origin and exposes `Retry-After`; an object is passed to the `cors` package
   * as is. Default off.
   */
  cors?: boolean | CorsOptions;
  /** Structured log hook. Default: silent. */
  logger?: Logger;
  /** Directory served as static files at `/` (the demo app). Default: none. */
  staticDir?: string;
}

/** Options with every default applied. */
export interface ResolvedServerOptions {
  routes: RouteTemplates;
  auth: AuthResolver;
  transports: Required<TransportSwitches>;
  heartbeatIntervalMs: { websocket: number; sse: number };
  uploads: Required<UploadOptions>;
  maxJsonBodyBytes: number;
  maxQueuedEventsPerSubscriber: number;
  subscribeTimeoutMs: number;
  cors: false | CorsOptions;
  logger: Logger;
  staticDir: string | undefined;
}

/** Applies defaults. */
export function resolveServerOptions(options: ReferenceServerOptions): ResolvedServerOptions {
  const routes =
    typeof options.routes === 'string'
      ? createRouteTemplates(options.routes)
      : { ...createRouteTemplates(), ...options.routes };
  return {
    routes,
    auth: options.auth ?? createDemoAuthResolver(),
    transports: { websocket: true, sse: true, polling: true, ...options.transports },
    heartbeatIntervalMs: { websocket: 25_000, sse: 15_000, ...options.heartbeatIntervalMs },
    uploads: {
      maxFileBytes: 10 * 1024 * 1024,
      maxFiles: 5,
      allowedTypes: ['text/*', 'application/json', 'application/pdf', 'application/octet-stream', 'image/*'],
      ...options.uploads,
    },
    maxJsonBodyBytes: options.maxJsonBodyBytes ?? 1024 * 1024,
    maxQueuedEventsPerSubscriber: options.maxQueuedEventsPerSubscriber ?? 10_000,
    subscribeTimeoutMs: options.subscribeTimeoutMs ?? 10_000,
    cors: options.cors === true ? { exposedHeaders: ['Retry-After'] } : options.cors || false,
    logger: options.logger ?? silentLogger,
    staticDir: options.staticDir,
  };
}
