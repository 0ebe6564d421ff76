/**
 * The SSE transport (protocol/SPEC.md §5) over the `eventsource` package (v4), whose `fetch` option is
 * how `Authorization`, the extra headers and `Last-Event-ID` reach the server and how the status and
 * content type are checked before the body is read (hazard H5).
 *
 * The package's own reconnect (fixed delay) is never used: on the first `error` the source is closed
 * and the machine decides what comes next.
 */
import {
  HISTORY_TRIMMED_SSE_EVENT,
  isTerminalEvent,
  LAST_EVENT_ID_QUERY_PARAM,
  parseHistoryTrimmedSseData,
  parseJson,
} from '@taskbridge/protocol';
import { EventSource as PackageEventSource } from 'eventsource';
import {
  connectionClosed,
  errorFromResponse,
  networkError,
  toTaskBridgeError,
  unexpectedResponse,
} from '../errors';
import {
  type Credentials,
  EVENT_SOURCE_SENDS_HEADERS,
  type EventSourceLike,
  type FetchFunction,
  type TransportContext,
  withUrlCredentials,
} from '../platform';
import { frameMessage, TransportLink } from './frames';
import type { Transport, TransportRequest } from './transport';

// The `eventsource` package marks constructors that honour `{ fetch }`; a native EventSource does not.
const SUPPORTS_FETCH = Symbol.for('eventsource.supports-fetch-override');

/**
 * Creates the SSE transport. The `EventSource` constructor is `context.getEventSource()` when injected,
 * else the `eventsource` package's (not the global one: a native `EventSource` can neither send headers
 * nor show a status code). With a constructor that ignores `{ fetch }`, the cursor and credentials go in
 * the `lastEventId` query parameter and a single-use `ticket` when the server offers stream tickets
 * (protocol/SPEC.md §12), else the `access_token` one (our server's extensions).
 *
 * Messages:
 * - `open` once the response passed the checks; before that a non-2xx response is reported as the
 *   error of `errorFromResponse` (e.g. 401 `AUTHENTICATION_ERROR`, 404 `TASK_NOT_FOUND`, 429
 *   `RATE_LIMITED` with `retryAfterMs`, 5xx retryable), a 2xx that is not a 200 `text/event-stream` as
 *   `UNEXPECTED_RESPONSE` (retryable, `details.notProtocol`), and a rejected `fetch` as `NETWORK_ERROR`
 *   (retryable, `details.phase = 'open'`);
 * - `heartbeat` for each JSON `data:` frame with `type: "HEARTBEAT"` (comment keep-alives are invisible);
 * - `history-trimmed` for the named `history-trimmed` event (protocol/SPEC.md §11), before the replay;
 * - `event` for each other frame that is a task event, `malformed` for the rest (the stream continues);
 * - when the stream ends or breaks: `closed` if a terminal event was delivered, else
 *   `CONNECTION_CLOSED` (retryable).
 * A peer never ends the stream after the terminal event: the caller aborts `request.signal` then.
 * Aborting closes the source and reports nothing more.
 * Never throws: every failure is an `error` message.
 *
 * @param context - the client's connection context (base URL, routes, credentials, platform).
 * @see protocol/SPEC.md §5 (SSE), §9 (auth), hazards H1 (close after the terminal event), H5 (status first)
 */
export function createSseTransport(context: TransportContext): Transport {
  return {
    name: 'sse',
    // The package's EventSource is always there; what it needs from the platform is `fetch`.
    isSupported: () => context.getFetch() !== undefined,
    connect(request, sink) {
      void connect(context, request, new TransportLink(request, sink));
    },
  };
}

async function connect(context: TransportContext, request: TransportRequest, link: TransportLink) {
  const Constructor = context.getEventSource() ?? PackageEventSource;
  const supportsFetch = SUPPORTS_FETCH in Constructor;
  const sendsHeaders = !supportsFetch && EVENT_SOURCE_SENDS_HEADERS in Constructor;
  let credentials: Credentials;
  let url: string;
  try {
    credentials = await context.getCredentials();
    url = context.resolveUrl('stream', { taskId: request.taskId });
  } catch (cause) {
    return link.emit({ type: 'error', error: toTaskBridgeError(cause) });
  }
  if (link.ended) return;
  if (!supportsFetch && !sendsHeaders) {
    // A native EventSource sends no headers: the cursor and credentials go in the URL, a single-use
    // ticket rather than the token when the server offers them (protocol/SPEC.md §12).
    try {
      const ticket = credentials.token ? await context.getStreamTicket(request.taskId) : undefined;
      url = withUrlCredentials(withCursor(url, request.getCursor()), { token: credentials.token, ticket });
    } catch (cause) {
      return link.emit({ type: 'error', error: toTaskBridgeError(cause) });
    }
    if (link.ended) return;
  }

  let source: EventSourceLike;
  try {
    if (supportsFetch) {
      source = new Constructor(url, { fetch: checkedFetch({ context, request, link, credentials }) });
    } else if (sendsHeaders) {
      source = new Constructor(url, { headers: withCursorHeader(credentials.headers, request.getCursor()) });
    } else {
      source = new Constructor(url);
    }
  } catch (cause) {
    return link.emit({ type: 'error', error: toTaskBridgeError(cause) });
  }
  link.onRelease(() => source.close());
  let opened = false;
  let terminalSeen = false;
  source.addEventListener('open', () => {
    opened = true;
    link.emit({ type: 'open' });
  });
  source.addEventListener('message', (event) => {
    const message = frameMessage((event as MessageEvent).data, true);
    if (message.type === 'event' && isTerminalEvent(message.event)) terminalSeen = true;
    link.emit(message);
  });
  // A named event, so a v1 client's `onmessage` never sees it (protocol/SPEC.md §5, §11).
  source.addEventListener(HISTORY_TRIMMED_SSE_EVENT, (event) => {
    const text = (event as MessageEvent).data;
    const json = parseJson(typeof text === 'string' ? text : '', 'HistoryTrimmedSseData');
    const parsed = json.ok ? parseHistoryTrimmedSseData(json.value) : json;
    if (!parsed.ok) return link.emit({ type: 'malformed', error: parsed.error, raw: String(text) });
    const { requestedAfterEventId, firstRetainedEventId } = parsed.value;
    link.emit({ type: 'history-trimmed', info: { requestedAfterEventId, firstRetainedEventId } });
  });
  source.addEventListener('error', () => {
    if (!opened)
      link.emit({
        type: 'error',
        error: networkError('SSE connection failed', undefined, { phase: 'open' }),
      });
    else if (terminalSeen) link.emit({ type: 'closed' });
    else link.emit({ type: 'error', error: connectionClosed('sse', { phase: 'stream' }) });
  });
}

/** One SSE connection attempt. */
interface Connection {
  context: TransportContext;
  request: TransportRequest;
  link: TransportLink;
  credentials: Credentials;
}

/**
 * The `fetch` the package's EventSource uses: credentials and `Last-Event-ID` on the way out, status
 * and content type checked on the way in. Runs once per connection: the source is closed before it
 * could reconnect.
 */
function checkedFetch({ context, request, link, credentials }: Connection): FetchFunction {
  return async (input, init) => {
    const fetchImpl = context.getFetch();
    if (link.ended || !fetchImpl) throw abortError();
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(credentials.headers)) headers.set(name, value);
    const cursor = request.getCursor();
    if (cursor !== null) headers.set('Last-Event-ID', cursor);
    else headers.delete('Last-Event-ID');
    let response: Response;
    try {
      response = await fetchImpl(input, { ...init, headers });
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : 'SSE connection failed';
      link.emit({ type: 'error', error: networkError(message, cause, { phase: 'open' }) });
      throw abortError();
    }
    if (!response.ok) {
      link.emit({ type: 'error', error: await errorFromResponse(response, context.clock.now()) });
      throw abortError();
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !/^text\/event-stream\s*(;|$)/i.test(contentType)) {
      void response.body?.cancel().catch(() => undefined);
      link.emit({ type: 'error', error: unexpectedResponse(response, 'text/event-stream') });
      throw abortError();
    }
    return response;
  };
}

/** Credentials and extra headers plus `Last-Event-ID` when there is a cursor (protocol/SPEC.md §5). */
function withCursorHeader(headers: Record<string, string>, cursor: string | null): Record<string, string> {
  return cursor === null ? { ...headers } : { ...headers, 'Last-Event-ID': cursor };
}

function withCursor(url: string, cursor: string | null): string {
  if (cursor === null) return url;
  const parsed = new URL(url);
  parsed.searchParams.set(LAST_EVENT_ID_QUERY_PARAM, cursor);
  return parsed.toString();
}

// An AbortError is the one rejection the package swallows without scheduling a reconnect.
function abortError(): Error {
  return new DOMException('SSE connection closed by the transport', 'AbortError');
}
