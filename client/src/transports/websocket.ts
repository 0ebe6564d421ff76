/**
 * The WebSocket transport (protocol/SPEC.md §6): one subscribe frame, then the ack, events and heartbeats, one
 * JSON object per text frame; the close code says how it ended.
 *
 * `reconnecting-websocket` only wraps the socket here (`maxRetries: 0`, no connection timeout): the
 * machine owns retries, backoff, deadlines and fallback (LIBRARIES.md). Two of its habits are handled
 * below: on a socket `error` it removes its listeners, emits a synthetic close 1000 and only then the
 * error, so the close is classified a microtask later, once the error (if any) has been seen; and it
 * constructs the socket after a zero-delay timer.
 */
import {
  ACCESS_TOKEN_QUERY_PARAM,
  CloseCode,
  ProtocolValidationError,
  parseJson,
  parseServerFrame,
  TaskBridgeError,
} from '@taskbridge/protocol';
import ReconnectingWebSocket, { type CloseEvent, type ErrorEvent } from 'reconnecting-websocket';
import type { TransportContext, WebSocketConstructor } from '../platform';
import { toWebSocketUrl } from '../routes';
import type { Transport, TransportMessage, TransportRequest, TransportSink } from './transport';

/**
 * Options of the WebSocket transport; none yet. Reserved so the factory signature stays stable.
 * Default `{}`.
 */
export type WebSocketTransportOptions = Record<string, never>;

// Largest delay a timer accepts; a bigger one (or Infinity) fires at once. Disables the library's
// connection timeout: the machine's open deadline applies instead.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Creates the WebSocket transport. Credentials follow `context.webSocketAuthFor()`: an `access_token`
 * query parameter, or `Authorization` and extra headers through the Node `ws` constructor's options.
 *
 * Messages: `open` on the socket's open (the subscribe frame `{action, taskId, lastEventId}` is then
 * sent with `lastEventId = request.getCursor()`), `ack`, `event`, `heartbeat`, `malformed` (unparsable
 * or binary frames; the stream continues), then exactly one of:
 * - close 1000 → `closed`;
 * - close 1008 before the ack → `AUTHENTICATION_ERROR` (not retryable; may also be an unknown task: the
 *   machine refreshes credentials once and/or confirms with a poll), after the ack → `TASK_NOT_FOUND`
 *   (not retryable); both with `details.closeCode` and `details.reason`;
 * - close 1003 → `PROTOCOL_ERROR` (not retryable);
 * - any other close (1001, 1006, 1011, 1013 subscriber overflow…) → `CONNECTION_CLOSED` (retryable);
 * - socket error before open → `NETWORK_ERROR` (retryable, `details.phase = 'open'`), except an upgrade
 *   refused with a status the platform shows (Node `ws`; `details.upgradeStatus`): 401
 *   `AUTHENTICATION_ERROR`, 429 `RATE_LIMITED` and 5xx `SERVER_ERROR` (retryable; `Retry-After` is not
 *   visible here), any other status `NETWORK_ERROR` with that `status` (the route is refused, not the
 *   task; the same classification a browser, which never sees the status, ends up with).
 * Aborting `request.signal` closes the socket with 1000 and reports nothing more.
 * Never throws: every failure is an `error` message.
 *
 * @param context - the client's connection context (base URL, routes, credentials, platform).
 * @see protocol/SPEC.md §6 (WebSocket, close codes), §9 (auth), protocol/SPEC.md §13 (H1)
 */
export function createWebSocketTransport(
  context: TransportContext,
  _options: WebSocketTransportOptions = {},
): Transport {
  return {
    name: 'websocket',
    isSupported: () => context.getWebSocket() !== undefined,
    connect(request, sink) {
      void connect(context, request, sink);
    },
  };
}

function connect(
  context: TransportContext,
  request: TransportRequest,
  deliver: TransportSink,
): Promise<void> {
  return new WebSocketConnection(request, deliver).open(context);
}

type SocketEvent = Event | MessageEvent | ErrorEvent | CloseEvent;

/**
 * One connection attempt. A class that is its own event listener (`handleEvent`) for the abort signal
 * and the socket, rather than a closure per handler: with thousands of tasks open, each connection then
 * costs one object instead of a context and seven closures.
 */
class WebSocketConnection {
  readonly #request: TransportRequest;
  readonly #deliver: TransportSink;
  #finished = false;
  #opened = false;
  #acked = false;
  #sawError: unknown;
  #socket: ReconnectingWebSocket | undefined;

  constructor(request: TransportRequest, deliver: TransportSink) {
    this.#request = request;
    this.#deliver = deliver;
  }

  async open(context: TransportContext): Promise<void> {
    const { signal } = this.#request;
    if (signal.aborted) return;
    signal.addEventListener('abort', this, { once: true });

    const Constructor = context.getWebSocket();
    if (!Constructor) {
      this.#emit({ type: 'error', error: unavailable('no WebSocket constructor on this platform') });
      return;
    }
    let url: string;
    let WebSocketImpl: WebSocketConstructor = Constructor;
    let protocols: HeaderCarrier | undefined;
    try {
      const credentials = await context.getCredentials();
      url = toWebSocketUrl(context.resolveUrl('websocket'));
      const mode = context.webSocketAuthFor(Constructor);
      if (mode === 'query' && credentials.token) {
        const withToken = new URL(url);
        withToken.searchParams.set(ACCESS_TOKEN_QUERY_PARAM, credentials.token);
        url = withToken.toString();
      } else if (mode === 'header' && Object.keys(credentials.headers).length > 0) {
        WebSocketImpl = headerCapable(Constructor);
        protocols = new HeaderCarrier(credentials.headers);
      }
    } catch (error) {
      this.#emit({ type: 'error', error: TaskBridgeError.from(error) });
      return;
    }
    if (this.#finished || signal.aborted) return;

    let socket: ReconnectingWebSocket;
    try {
      // The library's type says `string[]`; it only hands the value to `WebSocketImpl` (see HeaderCarrier).
      socket = new ReconnectingWebSocket(url, protocols as string[] | undefined, {
        WebSocket: WebSocketImpl,
        maxRetries: 0,
        connectionTimeout: MAX_TIMER_MS,
      });
    } catch (error) {
      this.#emit({
        type: 'error',
        error: unavailable(error instanceof Error ? error.message : String(error)),
      });
      return;
    }
    this.#socket = socket;
    for (const type of SOCKET_EVENTS) socket.addEventListener(type, asListener(this));
  }

  /** Every event of the abort signal and the socket. */
  handleEvent(event: SocketEvent): void {
    switch (event.type) {
      case 'abort':
        this.#finished = true;
        this.#stop();
        return;
      case 'open':
        this.#opened = true;
        this.#emit({ type: 'open' });
        if (this.#finished) return;
        this.#socket?.send(
          JSON.stringify({
            action: 'subscribe',
            taskId: this.#request.taskId,
            lastEventId: this.#request.getCursor(),
          }),
        );
        return;
      case 'message': {
        const message = frameMessage((event as MessageEvent).data);
        if (message.type === 'ack') this.#acked = true;
        this.#emit(message);
        return;
      }
      case 'error': {
        const { error, message } = event as ErrorEvent;
        this.#sawError = error ?? message;
        return;
      }
      case 'close': {
        const close = event as CloseEvent;
        // The library emits its synthetic close before the error event; classify once both are in.
        queueMicrotask(() =>
          this.#emit(
            classifyClose(close, { opened: this.#opened, acked: this.#acked, sawError: this.#sawError }),
          ),
        );
        return;
      }
    }
  }

  #emit(message: TransportMessage): void {
    if (this.#finished || this.#request.signal.aborted) return;
    if (message.type === 'error' || message.type === 'closed') {
      this.#finished = true;
      this.#stop();
    }
    this.#deliver(message);
  }

  #stop(): void {
    this.#request.signal.removeEventListener('abort', this);
    const socket = this.#socket;
    if (socket) {
      for (const type of SOCKET_EVENTS) socket.removeEventListener(type, asListener(this));
      socket.close(CloseCode.NORMAL);
    }
  }
}

const SOCKET_EVENTS = ['open', 'message', 'error', 'close'] as const;

/**
 * The library calls `listener.handleEvent(event)` for listener objects, but its declared listener type
 * only admits functions.
 */
function asListener(connection: WebSocketConnection): (event: SocketEvent) => void {
  return connection as unknown as (event: SocketEvent) => void;
}

function frameMessage(data: unknown): TransportMessage {
  if (typeof data !== 'string') {
    const error = new ProtocolValidationError('MALFORMED_JSON', 'ServerFrame', [
      { path: '', message: 'binary frame' },
    ]);
    return { type: 'malformed', error, raw: '' };
  }
  const json = parseJson(data, 'ServerFrame');
  if (!json.ok) return { type: 'malformed', error: json.error, raw: data };
  const frame = parseServerFrame(json.value);
  if (!frame.ok) return { type: 'malformed', error: frame.error, raw: data };
  const value = frame.value;
  switch (value.kind) {
    case 'ack':
      return { type: 'ack', replayStartedAfterEventId: value.frame.replayStartedAfterEventId ?? null };
    case 'heartbeat':
      return { type: 'heartbeat' };
    case 'event':
      return {
        type: 'event',
        event: value.event,
        conformance: value.offSchema ? 'off-schema-payload' : 'valid',
      };
    case 'unknown-event':
      return { type: 'event', event: value.event, conformance: 'unknown-type' };
  }
}

interface CloseContext {
  opened: boolean;
  acked: boolean;
  sawError: unknown;
}

/** Maps how the socket ended to `closed` or a typed error (see {@link createWebSocketTransport}). */
function classifyClose(
  event: CloseEvent,
  { opened, acked, sawError }: CloseContext,
): { type: 'closed' } | { type: 'error'; error: TaskBridgeError } {
  const details = { closeCode: event.code, reason: event.reason ?? '' };
  if (!opened || sawError !== undefined) {
    if (!opened) {
      const message = sawError instanceof Error ? sawError.message : 'WebSocket failed to open';
      const status = refusedUpgradeStatus(message);
      if (status !== undefined) return { type: 'error', error: refusedUpgrade(status, message, sawError) };
      return {
        type: 'error',
        error: new TaskBridgeError({
          code: 'NETWORK_ERROR',
          message,
          retryable: true,
          details: { phase: 'open' },
          cause: sawError,
        }),
      };
    }
    // The real close code is hidden behind the library's synthetic 1000: report an abnormal closure.
    return closedWith(
      'CONNECTION_CLOSED',
      'WebSocket failed',
      true,
      { closeCode: CloseCode.ABNORMAL },
      sawError,
    );
  }
  switch (event.code) {
    case CloseCode.NORMAL:
      return { type: 'closed' };
    case CloseCode.POLICY_VIOLATION:
      return acked
        ? closedWith('TASK_NOT_FOUND', 'WebSocket closed 1008 after the ack', false, details)
        : closedWith('AUTHENTICATION_ERROR', 'WebSocket closed 1008 before the ack', false, details);
    case CloseCode.UNSUPPORTED_DATA:
      return closedWith('PROTOCOL_ERROR', 'WebSocket closed 1003 (unsupported data)', false, details);
    default:
      return closedWith('CONNECTION_CLOSED', `WebSocket closed ${event.code}`, true, details);
  }
}

/**
 * The HTTP status of a refused upgrade, when the platform shows it: the Node `ws` package fails with
 * "Unexpected server response: <status>"; browsers hide the status (a plain `error` event).
 */
function refusedUpgradeStatus(message: string): number | undefined {
  const match = /Unexpected server response: (\d{3})\b/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * A refused upgrade, classified by status (protocol/SPEC.md §8, protocol/SPEC.md §13 (H5)): 401 is an auth failure (the
 * machine refreshes credentials once, then fails); 429 and 5xx are retryable server errors. Any other
 * refusal (403, 404, …) says the WebSocket route is refused here — a proxy that blocks upgrades, or a
 * server without the route (H7) — not that the task is: it stays the retryable `NETWORK_ERROR` a
 * browser reports (browsers never see the status), so the machine falls back the same way in both.
 */
function refusedUpgrade(status: number, message: string, cause: unknown): TaskBridgeError {
  const details = { phase: 'open', upgradeStatus: status };
  if (status === 401) {
    return new TaskBridgeError({
      code: 'AUTHENTICATION_ERROR',
      message,
      status,
      retryable: false,
      details,
      cause,
    });
  }
  if (status === 429) {
    return new TaskBridgeError({ code: 'RATE_LIMITED', message, status, retryable: true, details, cause });
  }
  if (status >= 500) {
    return new TaskBridgeError({ code: 'SERVER_ERROR', message, status, retryable: true, details, cause });
  }
  return new TaskBridgeError({ code: 'NETWORK_ERROR', message, status, retryable: true, details, cause });
}

function closedWith(
  code: 'TASK_NOT_FOUND' | 'AUTHENTICATION_ERROR' | 'PROTOCOL_ERROR' | 'CONNECTION_CLOSED',
  message: string,
  retryable: boolean,
  details: Record<string, unknown>,
  cause?: unknown,
): { type: 'error'; error: TaskBridgeError } {
  return { type: 'error', error: new TaskBridgeError({ code, message, retryable, details, cause }) };
}

function unavailable(message: string): TaskBridgeError {
  return new TaskBridgeError({ code: 'TRANSPORT_UNAVAILABLE', message, retryable: false });
}

/**
 * What stands in for `protocols` when headers must reach the Node `ws` constructor: the library passes
 * its `protocols` argument through untouched, so it carries this connection's headers to
 * {@link headerCapable}'s constructor.
 */
class HeaderCarrier {
  constructor(readonly headers: Record<string, string>) {}
}

const headerCapableByBase = new WeakMap<WebSocketConstructor, WebSocketConstructor>();

/**
 * `Base` extended once (then cached) so that a {@link HeaderCarrier} given as `protocols` becomes the
 * Node `ws` package's `{ headers }` option (protocol/SPEC.md §9). One class per platform constructor, not one per
 * connection: a class per connection gave every socket its own chain of hidden classes (about 30 object
 * shapes per task with 1,000 tasks open).
 */
function headerCapable(Base: WebSocketConstructor): WebSocketConstructor {
  let Derived = headerCapableByBase.get(Base);
  if (Derived === undefined) {
    Derived = class HeaderCapableWebSocket extends Base {
      constructor(url: string, protocols?: string | string[] | HeaderCarrier) {
        if (protocols instanceof HeaderCarrier) super(url, [], { headers: protocols.headers });
        else super(url, protocols ?? []);
      }
    };
    headerCapableByBase.set(Base, Derived);
  }
  return Derived;
}
