/**
 * The platform a client runs on (`fetch`, `WebSocket`, `EventSource`) and the connection context shared
 * by the HTTP API and every transport: base URL, routes, credentials and extra headers.
 *
 * Platform constructors are injectable and otherwise read from `globalThis` at the moment of use, never
 * captured at import time, so tests can stub globals and polyfills loaded later still apply.
 */
import { ACCESS_TOKEN_QUERY_PARAM, STREAM_TICKET_QUERY_PARAM } from '@taskbridge/protocol';
import { type Clock, systemClock } from './clock';
import { asAuthentication } from './errors';
import { createRouteResolver, type RouteOptions, type RouteResolver } from './routes';

/** The part of a `WebSocket` instance the client uses (browser `WebSocket` and Node `ws` both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * A `WebSocket` constructor. The third argument is the Node `ws` package's options; browsers ignore it.
 * `CLOSING` is required because `reconnecting-websocket` recognises a constructor by `CLOSING === 2`.
 */
export interface WebSocketConstructor {
  new (
    url: string,
    protocols?: string | string[],
    options?: { headers?: Record<string, string> },
  ): WebSocketLike;
  readonly CLOSING: number;
}

/** The part of an `EventSource` instance the client uses. */
export interface EventSourceLike {
  close(): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
}

/**
 * Marks an {@link EventSourceConstructor} that sends the `headers` of its init (as React Native's
 * `react-native-sse` does over XHR): the SSE transport then passes `Authorization`, the extra headers and
 * `Last-Event-ID` there instead of putting the cursor and credentials in the URL (protocol/SPEC.md §5, §9).
 * Set it as a static property with the value `true`.
 */
export const EVENT_SOURCE_SENDS_HEADERS: unique symbol = Symbol.for('taskbridge.event-source.sends-headers');

/**
 * An `EventSource` constructor. The `eventsource` package (v4) accepts `{ fetch }`, which is how the
 * client sets headers and checks status codes (protocol/SPEC.md §5, §9); one marked with
 * {@link EVENT_SOURCE_SENDS_HEADERS} gets `{ headers }`; a native `EventSource` ignores both.
 */
export type EventSourceConstructor = new (
  url: string,
  init?: { fetch?: FetchFunction; withCredentials?: boolean; headers?: Record<string, string> },
) => EventSourceLike;

/** A `fetch` function (the global one by default). */
export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * Platform constructors, each defaulting to the global of the same name, read lazily. Node 20 has a
 * global `fetch` but no `WebSocket` or `EventSource`: inject `WebSocket` from `ws` there. SSE defaults to
 * the `eventsource` package's constructor rather than a global (see `transports/sse.ts`).
 */
export interface ClientPlatform {
  /** HTTP calls, polling and (through the `eventsource` package) SSE. Default: `globalThis.fetch`. */
  fetch?: FetchFunction;
  /** The WebSocket transport's constructor. Default: `globalThis.WebSocket` (none in Node 20: pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /** The SSE transport's constructor. Default: the `eventsource` package's (not a global one). */
  EventSource?: EventSourceConstructor;
}

/**
 * How the WebSocket transport sends credentials (protocol/SPEC.md §9):
 * - `'query'`: an `access_token` query parameter (browsers cannot set headers on a WebSocket; the token
 *   may appear in proxy and server logs, as with SignalR).
 * - `'header'`: an `Authorization` header plus {@link ConnectionOptions.headers}; needs a constructor
 *   that accepts `{ headers }` (the Node `ws` package).
 * - `'none'`: nothing (cookies only).
 */
export type WebSocketAuthMode = 'query' | 'header' | 'none';

/** Options shared by the HTTP API and every transport. */
export interface ConnectionOptions extends RouteOptions {
  /**
   * Returns the current access token, sent as `Authorization: Bearer <token>` (or as the `access_token`
   * query parameter on a browser WebSocket). Called on every request and every (re)connect, so a
   * refreshed token is picked up at once (protocol/SPEC.md §9). `undefined` sends no credentials. Default: none.
   * What it throws surfaces as a `TaskBridgeError` `AUTHENTICATION_ERROR` (not retryable).
   */
  getAccessToken?: () => string | undefined | Promise<string | undefined>;
  /**
   * Refreshes the credentials that {@link getAccessToken} returns. The HTTP API calls it once on a 401
   * and retries once; for streams the caller (the machine) calls it on a 401 or a WebSocket 1008 before
   * the ack (protocol/SPEC.md §6, §8: refresh once, then fatal). Errors it throws are reported as
   * `AUTHENTICATION_ERROR`. Default: none (a 401 is final).
   */
  refreshAccessToken?: () => Promise<void>;
  /**
   * Extra headers for every HTTP request and SSE connection (and Node WebSockets in `'header'` mode), or
   * a function read on every request and (re)connect. Default: none.
   */
  headers?: Record<string, string> | (() => Record<string, string>);
  /**
   * How WebSocket credentials are sent (protocol/SPEC.md §9). Default: `'header'` in Node when the `WebSocket`
   * constructor is not the platform's global one (i.e. the injected `ws` package), `'query'` otherwise.
   */
  webSocketAuth?: WebSocketAuthMode;
  /** Platform constructors; default: globals, read lazily at each use (see {@link ClientPlatform}). */
  platform?: ClientPlatform;
  /**
   * Time and timers for everything the client schedules or stamps: deadlines, backoff, the detach
   * grace, checkpoint batching, request retries, `nextRetryAt`, `updatedAt`. Default: the platform's
   * (`Date.now`, `setTimeout`), read at each use so fake timers apply.
   */
  clock?: Clock;
}

/**
 * The resolved context every transport and the HTTP API work from. Build it once per client with
 * {@link createTransportContext}.
 */
export interface TransportContext {
  /** Builds the absolute URL of a route (protocol/SPEC.md §1). @throws {RangeError} on a missing path parameter. */
  resolveUrl: RouteResolver;
  /** The `fetch` to use now, or `undefined` when the platform has none. */
  getFetch(): FetchFunction | undefined;
  /** The `WebSocket` constructor to use now, or `undefined`. */
  getWebSocket(): WebSocketConstructor | undefined;
  /** An injected `EventSource` constructor, or `undefined` (the SSE transport then uses its default). */
  getEventSource(): EventSourceConstructor | undefined;
  /**
   * Reads the access token and extra headers now. @throws {TaskBridgeError} `AUTHENTICATION_ERROR` when
   * `getAccessToken` throws.
   */
  getCredentials(): Promise<Credentials>;
  /** The hook of {@link ConnectionOptions.refreshAccessToken}, if any. */
  refreshAccessToken: (() => Promise<void>) | undefined;
  /** The WebSocket auth mode to use with the given constructor. */
  webSocketAuthFor(webSocket: WebSocketConstructor): WebSocketAuthMode;
  /** The client's clock (see {@link ConnectionOptions.clock}). */
  clock: Clock;
  /**
   * A single-use stream ticket for `taskId`, to put in a URL instead of the access token
   * (protocol/SPEC.md §12), or `undefined` when the server does not offer tickets (the token goes in
   * the URL then).
   *
   * @throws {TaskBridgeError} what minting failed with (e.g. `TASK_NOT_FOUND`, `AUTHENTICATION_ERROR`).
   */
  getStreamTicket(taskId: string): Promise<string | undefined>;
}

/** What the client adds to a {@link TransportContext}. */
export interface TransportContextHooks {
  /** See {@link TransportContext.getStreamTicket}. Default: no tickets. */
  getStreamTicket?: (taskId: string) => Promise<string | undefined>;
}

/** Credentials read for one request or connection. */
export interface Credentials {
  token: string | undefined;
  /** Extra headers plus `Authorization` when there is a token. */
  headers: Record<string, string>;
}

/**
 * Builds the {@link TransportContext} from {@link ConnectionOptions}; `hooks` are what a client adds
 * (stream tickets once it knows the server's capabilities).
 */
export function createTransportContext(
  options: ConnectionOptions,
  hooks: TransportContextHooks = {},
): TransportContext {
  const platform = options.platform ?? {};
  return {
    resolveUrl: createRouteResolver(options),
    getFetch: () => platform.fetch ?? readGlobal<FetchFunction>('fetch'),
    getWebSocket: () => platform.WebSocket ?? readGlobal<WebSocketConstructor>('WebSocket'),
    getEventSource: () => platform.EventSource,
    getCredentials: () => readCredentials(options),
    refreshAccessToken: options.refreshAccessToken,
    webSocketAuthFor: (webSocket) =>
      options.webSocketAuth ??
      (isNodeRuntime() && webSocket !== readGlobal('WebSocket') ? 'header' : 'query'),
    clock: options.clock ?? systemClock,
    getStreamTicket: hooks.getStreamTicket ?? noTicket,
  };
}

const noTicket = async (): Promise<undefined> => undefined;

/**
 * `url` carrying credentials where a browser API cannot send headers (a `WebSocket`, a native
 * `EventSource`): the single-use `ticket` when there is one (protocol/SPEC.md §12), else the
 * `access_token` (protocol/SPEC.md §9). `token` absent: nothing is added.
 */
export function withUrlCredentials(
  url: string,
  { token, ticket }: { token?: string | undefined; ticket?: string | undefined },
): string {
  if (!token) return url;
  const parsed = new URL(url);
  if (ticket === undefined) parsed.searchParams.set(ACCESS_TOKEN_QUERY_PARAM, token);
  else parsed.searchParams.set(STREAM_TICKET_QUERY_PARAM, ticket);
  return parsed.toString();
}

async function readCredentials(options: ConnectionOptions): Promise<Credentials> {
  const token = await asAuthentication('getAccessToken', () => options.getAccessToken?.());
  const extra = typeof options.headers === 'function' ? options.headers() : (options.headers ?? {});
  const headers: Record<string, string> = { ...extra };
  if (token) headers.Authorization = `Bearer ${token}`;
  return { token, headers };
}

function readGlobal<T>(name: string): T | undefined {
  const value = (globalThis as Record<string, unknown>)[name];
  // Bound so a browser `fetch` is not called with the wrong `this` ("Illegal invocation").
  if (name === 'fetch' && typeof value === 'function') return value.bind(globalThis) as T;
  return (value ?? undefined) as T | undefined;
}

/** True in Node (and runtimes that present themselves as Node): no page, no tabs. */
export function isNodeRuntime(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}
