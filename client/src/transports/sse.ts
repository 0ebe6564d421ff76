/**
 * The SSE transport (protocol/SPEC.md §5) over the `eventsource` package (v4), whose `fetch` option is how
 * `Authorization`, the extra headers and `Last-Event-ID` reach the server and how the status and content
 * type are checked before the body is read (protocol/SPEC.md §13 (H5)).
 *
 * The package's own reconnect (fixed delay, LIBRARIES.md) is never used: on the first `error` the
 * source is closed and the machine decides what comes next.
 */
import {
  ACCESS_TOKEN_QUERY_PARAM,
  HEARTBEAT_TYPE,
  isTerminalEvent,
  LAST_EVENT_ID_QUERY_PARAM,
  parseJson,
  parseServerFrame,
  TaskBridgeError,
} from '@taskbridge/protocol';
import { EventSource as PackageEventSource } from 'eventsource';
import { errorFromResponse, unexpectedResponse } from '../http-errors';
import type {
  Credentials,
  EventSourceConstructor,
  EventSourceLike,
  FetchFunction,
  TransportContext,
} from '../platform';
import type { Transport, TransportMessage, TransportRequest, TransportSink } from './transport';

/** Options of the SSE transport; none yet. Reserved so the factory signature stays stable. Default `{}`. */
export type SseTransportOptions = Record<string, never>;

// The `eventsource` package marks constructors that honour `{ fetch }`; a native EventSource does not.
const SUPPORTS_FETCH = Symbol.for('eventsource.supports-fetch-override');

/**
 * Creates the SSE transport. The `EventSource` constructor is `context.getEventSource()` when injected,
 * else the `eventsource` package's (not the global one: a native `EventSource` can neither send headers
 * nor show a status code). With a constructor that ignores `{ fetch }`, the cursor and token go in the
 * `lastEventId` and `access_token` query parameters (our server's extensions) instead.
 *
 * Messages:
 * - `open` once the response passed the checks; before that a non-2xx response is reported as the
 *   error of {@link errorFromResponse} (e.g. 401 `AUTHENTICATION_ERROR`, 404 `TASK_NOT_FOUND`, 429
 *   `RATE_LIMITED` with `retryAfterMs`, 5xx retryable), a 2xx that is not a 200 `text/event-stream` as
 *   `UNEXPECTED_RESPONSE` (retryable), and a rejected `fetch` as `NETWORK_ERROR` (retryable,
 *   `details.phase = 'open'`);
 * - `heartbeat` for each JSON `data:` frame with `type: "HEARTBEAT"` (comment keep-alives are invisible);
 * - `event` for each other frame that is a task event, `malformed` for the rest (the stream continues);
 * - when the stream ends or breaks: `closed` if a terminal event was delivered, else
 *   `CONNECTION_CLOSED` (retryable).
 * A peer never ends the stream after the terminal event: the caller aborts `request.signal` then.
 * Aborting closes the source and reports nothing more.
 * Never throws: every failure is an `error` message.
 *
 * @param context - the client's connection context (base URL, routes, credentials, platform).
 * @see protocol/SPEC.md §5 (SSE), §9 (auth), protocol/SPEC.md §13 (H1) (close after the terminal event), H5 (status first)
 */
export function createSseTransport(context: TransportContext, _options: SseTransportOptions = {}): Transport {
  return {
    name: 'sse',
    // The package's EventSource is always there; what it needs from the platform is `fetch`.
    isSupported: () => context.getFetch() !== undefined,
    connect(request, sink) {
      void connect(context, request, sink);
    },
  };
}

async function connect(context: TransportContext, request: TransportRequest, deliver: TransportSink) {
  const { signal } = request;
  let finished = false;
  let opened = false;
  let terminalSeen = false;
  let source: EventSourceLike | undefined;

  const stop = () => {
    signal.removeEventListener('abort', onAbort);
    source?.close();
  };
  const emit = (message: TransportMessage) => {
    if (finished || signal.aborted) return;
    if (message.type === 'error' || message.type === 'closed') {
      finished = true;
      stop();
    }
    deliver(message);
  };
  const onAbort = () => {
    finished = true;
    stop();
  };
  if (signal.aborted) return;
  signal.addEventListener('abort', onAbort, { once: true });

  const Constructor: EventSourceConstructor = context.getEventSource() ?? PackageEventSource;
  const fetchImpl = context.getFetch();
  let credentials: Credentials;
  let url: string;
  try {
    credentials = await context.getCredentials();
    url = context.resolveUrl('stream', { taskId: request.taskId });
  } catch (error) {
    emit({ type: 'error', error: TaskBridgeError.from(error) });
    return;
  }
  if (finished || signal.aborted) return;

  const supportsFetch = SUPPORTS_FETCH in Constructor;
  if (!supportsFetch) url = withQueryCredentials(url, request.getCursor(), credentials.token);

  // Runs once per connection: the source is closed before it could reconnect.
  const checkedFetch: FetchFunction = async (input, init) => {
    if (finished || !fetchImpl) throw abortError();
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(credentials.headers)) headers.set(name, value);
    const cursor = request.getCursor();
    if (cursor !== null) headers.set('Last-Event-ID', cursor);
    else headers.delete('Last-Event-ID');
    let response: Response;
    try {
      response = await fetchImpl(input, { ...init, headers });
    } catch (cause) {
      emit({ type: 'error', error: networkError(cause) });
      throw abortError();
    }
    if (!response.ok) {
      const error = await errorFromResponse(response);
      emit({ type: 'error', error });
      throw abortError();
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !/^text\/event-stream\s*(;|$)/i.test(contentType)) {
      void response.body?.cancel().catch(() => undefined);
      emit({ type: 'error', error: unexpectedResponse(response, 'text/event-stream') });
      // An AbortError is the one rejection the package swallows without scheduling a reconnect.
      throw abortError();
    }
    return response;
  };

  try {
    source = new Constructor(url, supportsFetch ? { fetch: checkedFetch } : undefined);
  } catch (error) {
    emit({ type: 'error', error: TaskBridgeError.from(error) });
    return;
  }
  source.addEventListener('open', () => {
    opened = true;
    emit({ type: 'open' });
  });
  source.addEventListener('message', (event) => {
    const data = 'data' in event && typeof event.data === 'string' ? event.data : '';
    const message = dataMessage(data);
    if (message.type === 'event' && isTerminalEvent(message.event)) terminalSeen = true;
    emit(message);
  });
  source.addEventListener('error', () => {
    if (!opened) {
      emit({ type: 'error', error: networkError(undefined) });
    } else if (terminalSeen) {
      emit({ type: 'closed' });
    } else {
      emit({
        type: 'error',
        error: new TaskBridgeError({
          code: 'CONNECTION_CLOSED',
          message: 'SSE stream ended before the terminal event',
          retryable: true,
          details: { phase: 'stream' },
        }),
      });
    }
  });
}

function dataMessage(data: string): TransportMessage {
  const json = parseJson(data, 'ServerFrame');
  if (!json.ok) return { type: 'malformed', error: json.error, raw: data };
  const value = json.value;
  // Filtered before any validation (protocol/SPEC.md §3): a heartbeat is never an event and never a cursor.
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === HEARTBEAT_TYPE) {
    return { type: 'heartbeat' };
  }
  const frame = parseServerFrame(value);
  if (!frame.ok) return { type: 'malformed', error: frame.error, raw: data };
  switch (frame.value.kind) {
    case 'event':
      return {
        type: 'event',
        event: frame.value.event,
        conformance: frame.value.offSchema ? 'off-schema-payload' : 'valid',
      };
    case 'unknown-event':
      return { type: 'event', event: frame.value.event, conformance: 'unknown-type' };
    case 'ack':
    case 'heartbeat':
      // An ack has no meaning on SSE; it still proves the stream is alive.
      return { type: 'heartbeat' };
  }
}

function withQueryCredentials(url: string, cursor: string | null, token: string | undefined): string {
  const parsed = new URL(url);
  if (cursor !== null) parsed.searchParams.set(LAST_EVENT_ID_QUERY_PARAM, cursor);
  if (token) parsed.searchParams.set(ACCESS_TOKEN_QUERY_PARAM, token);
  return parsed.toString();
}

function networkError(cause: unknown): TaskBridgeError {
  const message = cause instanceof Error ? cause.message : 'SSE connection failed';
  return new TaskBridgeError({
    code: 'NETWORK_ERROR',
    message,
    retryable: true,
    details: { phase: 'open' },
    cause,
  });
}

function abortError(): Error {
  return new DOMException('SSE connection closed by the transport', 'AbortError');
}
