/**
 * Options of the reference server, resolved once into a {@link ResolvedServerOptions}.
 */
import { createRouteTemplates, type RouteTemplates } from '@taskbridge/protocol';
import type { CorsOptions } from 'cors';
import type { EngineLimitOptions } from './engine/limits';
import type { TaskBridgeBackend } from './engine/state/backend';
import type { RedisConnectionSpec } from './engine/state/redis/redis-connection';
import type { TaskRuntimeFactory } from './runtime/runtime';
import type { TaskHandler } from './engine/types';
import type { AuthResolver } from './auth/auth';
import type { CallerPolicy } from './auth/caller';
import { createStreamTickets, type StreamTicketOptions } from './auth/stream-tickets';
import type { ServerExtension } from './extensions';
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

/** Upload limits for multipart creates (protocol/SPEC.md §2). */
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

/**
 * What one subscriber (an SSE response or a WebSocket) may hold in the server before it must drain
 * (hazard H3, protocol/SPEC.md §13). A reader that does not drain within the budget is disconnected
 * (WebSocket 1013, SSE response ended) and resumes from its checkpoint; the task and the other
 * subscribers never wait for it.
 */
export interface SubscriberBudget {
  /**
   * Bytes queued on the connection (written but not yet taken by the network) above which the
   * session stops writing and waits for a drain. Default 1 MiB (1,048,576 bytes).
   */
  maxBufferedBytes?: number;
  /**
   * How long a waiting session gives the reader to drain, ms; also how long a finished stream waits
   * for its last bytes (and the WebSocket close handshake) before the connection is dropped.
   * Default 10,000.
   */
  drainTimeoutMs?: number;
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
   * What runs the task handlers. `'in-process'` (the default): this process. `'bullmq'` ("queue
   * mode", needs `redis`): created tasks are queued for worker processes (`createTaskWorker` /
   * `taskbridge-worker` from `@taskbridge/server-reference/worker`, same Redis, default queue name)
   * and no handler runs here; `handlers` still declare the task types and their `validateInput`. A
   * factory (e.g. `createBullmqRuntime({ redis, queueName })`) chooses the queue's options.
   *
   * @throws {TypeError} from `createReferenceServer` for `'bullmq'` without `redis`.
   */
  runtime?: 'in-process' | 'bullmq' | TaskRuntimeFactory;
  /**
   * Route templates: a base path such as `/api/v1/projects/{projectId}` (every route under it), or
   * individual templates. Default: protocol/SPEC.md §1.
   */
  routes?: string | Partial<RouteTemplates>;
  /**
   * Auth hook (protocol/SPEC.md §9), **required** by `createReferenceServer`: there is no default, so
   * a server never takes "anyone is anyone" by accident. Production: `createJwtAuthResolver(…)`.
   * Demos and tests: `createDemoAuthResolver()` by name (the server warns at startup). The MSW kit
   * defaults to the demo resolver with the `anonymous` subject (a mock serves only its own page).
   */
  auth?: AuthResolver;
  /**
   * Accept a bearer token in the `access_token` query parameter (protocol/SPEC.md §9): tokens in URLs
   * end up in access logs, proxies and history, so browsers should use stream tickets instead. A
   * request carrying it anyway (without an `Authorization` header) gets 401. Default `false`
   * (`true` in the MSW kit, which cannot see WebSocket headers).
   */
  allowAccessTokenQuery?: boolean;
  /**
   * Single-use stream tickets for browser `WebSocket`/`EventSource` (protocol/SPEC.md §12): `false`
   * turns them off (no route, not advertised), an object tunes them. Default on: memory store,
   * 30,000 ms TTL.
   */
  streamTickets?: boolean | StreamTicketOptions;
  /**
   * Origins besides the server's own (exact `scheme://host[:port]`) allowed to send state-changing
   * requests a browser sends without a CORS preflight (multipart or form creates, bodyless cancels).
   * Others get 403. Origins listed as a string or array in `cors.origin` are allowed too.
   * Default: none.
   */
  allowedOrigins?: readonly string[];
  /** Per-subscriber output budget (hazard H3). Default: see {@link SubscriberBudget}. */
  subscriberBudget?: SubscriberBudget;
  /**
   * Deadline of `close()`, ms: after it every connection still open (a WebSocket whose reader never
   * answers the close, an SSE reader that stopped reading) is destroyed. Default 1,000.
   */
  shutdownTimeoutMs?: number;
  /**
   * Log one `info` entry per HTTP request and per WebSocket (`msg: 'access'`: method, path with
   * `access_token` and `ticket` redacted, status or close code, duration) through `logger`. Headers
   * are never logged. Default `true` (the default logger is silent).
   */
  accessLog?: boolean;
  /**
   * Transports to offer; capabilities report exactly these (protocol/SPEC.md §1 E2, hazard H7). Default: all
   * three.
   */
  transports?: TransportSwitches;
  /**
   * Heartbeat intervals while idle, ms (protocol/SPEC.md §5, §6), advertised by capabilities so clients set their
   * liveness deadlines from them. Defaults: WebSocket 25,000 (as the peer), SSE 15,000.
   */
  heartbeatIntervalMs?: { websocket?: number; sse?: number };
  /** Multipart upload limits (protocol/SPEC.md §2). Default: see {@link UploadOptions}. */
  uploads?: UploadOptions;
  /**
   * Max JSON body, bytes; larger → 413 `PAYLOAD_TOO_LARGE` (protocol/SPEC.md §2). Default 1 MiB (1,048,576
   * bytes).
   */
  maxJsonBodyBytes?: number;
  /** Max live events queued per subscriber before it is disconnected to resume later (H3). Default 10,000. */
  maxQueuedEventsPerSubscriber?: number;
  /**
   * The engine's resource limits (`createTaskEngine`'s `limits`): events and bytes per task,
   * unfinished tasks per subject (429), concurrent WebSocket/SSE streams per subject and per process
   * (429), the task deadline. Each defaults as documented on `EngineLimits`; `null` lifts one.
   */
  limits?: EngineLimitOptions;
  /**
   * How long a WebSocket may stay open without its subscribe frame, ms; then it is closed 1008
   * (protocol/SPEC.md §6). Default 10,000.
   */
  subscribeTimeoutMs?: number;
  /**
   * CORS: `true` allows any origin and exposes `Retry-After`; an object is passed to the `cors` package
   * as is. Default off.
   */
  cors?: boolean | CorsOptions;
  /** Structured log hook (errors, warnings, access log). Default: silent. */
  logger?: Logger;
  /** Directory served as static files at `/` (the demo app). Default: none. */
  staticDir?: string;
  /**
   * Extensions mounted on the Express app before the static files and the fallback 404, in order,
   * e.g. the A2A bridge of `@taskbridge/server-reference/a2a`. Default: none.
   */
  extensions?: readonly ServerExtension[];
}

/** Options with every default applied. */
export interface ResolvedServerOptions extends CallerPolicy {
  routes: RouteTemplates;
  allowedOrigins: ReadonlySet<string>;
  subscriberBudget: Required<SubscriberBudget>;
  shutdownTimeoutMs: number;
  accessLog: boolean;
  transports: Required<TransportSwitches>;
  heartbeatIntervalMs: { websocket: number; sse: number };
  uploads: Required<UploadOptions>;
  maxJsonBodyBytes: number;
  maxQueuedEventsPerSubscriber: number;
  subscribeTimeoutMs: number;
  cors: false | CorsOptions;
  logger: Logger;
  staticDir: string | undefined;
  extensions: readonly ServerExtension[];
}

/** Defaults a host applies before {@link resolveServerOptions} (the MSW kit's differ from the server's). */
export interface ServerDefaults {
  auth?: AuthResolver;
  allowAccessTokenQuery?: boolean;
}

function allowedOriginsOf(options: ReferenceServerOptions): Set<string> {
  const origins = new Set(options.allowedOrigins ?? []);
  const corsOrigin = typeof options.cors === 'object' ? options.cors.origin : undefined;
  if (typeof corsOrigin === 'string' && corsOrigin !== '*') origins.add(corsOrigin);
  if (Array.isArray(corsOrigin)) {
    for (const origin of corsOrigin) if (typeof origin === 'string') origins.add(origin);
  }
  return origins;
}

/**
 * Applies defaults.
 *
 * @throws {TypeError} when no `auth` is given (and `defaults` has none).
 */
export function resolveServerOptions(
  options: ReferenceServerOptions,
  defaults: ServerDefaults = {},
): ResolvedServerOptions {
  const routes =
    typeof options.routes === 'string'
      ? createRouteTemplates(options.routes)
      : { ...createRouteTemplates(), ...options.routes };
  const auth = options.auth ?? defaults.auth;
  if (auth === undefined) {
    throw new TypeError(
      'TaskBridge server: no `auth` configured. Pass `auth: createJwtAuthResolver({ secret | jwksUrl, issuer, ' +
        'audience })` (CLI: --auth jwt), or for demos and tests only `auth: createDemoAuthResolver()` ' +
        '(CLI: --auth demo).',
    );
  }
  const tickets = options.streamTickets ?? true;
  return {
    routes,
    auth,
    allowAccessTokenQuery: options.allowAccessTokenQuery ?? defaults.allowAccessTokenQuery ?? false,
    tickets: tickets === false ? undefined : createStreamTickets(tickets === true ? {} : tickets),
    allowedOrigins: allowedOriginsOf(options),
    subscriberBudget: { maxBufferedBytes: 1024 * 1024, drainTimeoutMs: 10_000, ...options.subscriberBudget },
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 1000,
    accessLog: options.accessLog ?? true,
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
    extensions: options.extensions ?? [],
  };
}
