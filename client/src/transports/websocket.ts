/**
 * The WebSocket transport (SPEC.md §6): one subscribe frame, then the ack, events and heartbeats, one
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
import ReconnectingWebSocket, { type CloseEvent } from 'reconnecting-websocket';
import type { TransportContext, WebSocketConstructor } from '../platform';
import { toWebSocketUrl } from '../routes';
import type { Transport, TransportMessage, TransportRequest, TransportSink } from './transport';

/** Options of the WebSocket transport; none yet. Reserved so the factory signature stays stable. */
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

async function connect(context: TransportContext, request: TransportRequest, deliver: TransportSink) {
  const { signal, taskId } = request;
  let finished = false;
  let opened = false;
  let acked = false;
  let sawError: unknown;
  let socket: ReconnectingWebSocket | undefined;

  const stop = () => {
    signal.removeEventListener('abort', onAbort);
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(CloseCode.NORMAL);
    }
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

  const Constructor = context.getWebSocket();
  if (!Constructor) {
    emit({ type: 'error', error: unavailable('no WebSocket constructor on this platform') });
    return;
  }
  let url: string;
  let WebSocketImpl: WebSocketConstructor = Constructor;
  try {
    const credentials = await context.getCredentials();
    url = toWebSocketUrl(context.resolveUrl('websocket'));
    const mode = context.webSocketAuthFor(Constructor);
    if (mode === 'query' && credentials.token) {
      const withToken = new URL(url);
      withToken.searchParams.set(ACCESS_TOKEN_QUERY_PARAM, credentials.token);
      url = withToken.toString();
    } else if (mode === 'header' && Object.keys(credentials.headers).length > 0) {
      WebSocketImpl = withHeaders(Constructor, credentials.headers);
    }
  } catch (error) {
    emit({ type: 'error', error: TaskBridgeError.from(error) });
    return;
  }
  if (finished || signal.aborted) return;

  try {
    socket = new ReconnectingWebSocket(url, undefined, {
      WebSocket: WebSocketImpl,
      maxRetries: 0,
      connectionTimeout: MAX_TIMER_MS,
    });
  } catch (error) {
    emit({ type: 'error', error: unavailable(error instanceof Error ? error.message : String(error)) });
    return;
  }
  const ws = socket;
  ws.onopen = () => {
    opened = true;
    emit({ type: 'open' });
    if (finished) return;
    ws.send(JSON.stringify({ action: 'subscribe', taskId, lastEventId: request.getCursor() }));
  };
  ws.onmessage = (event: MessageEvent) => {
    const message = frameMessage(event.data);
    if (message.type === 'ack') acked = true;
    emit(message);
  };
  ws.onerror = (event) => {
    sawError = event.error ?? event.message;
  };
  ws.onclose = (event) => {
    // The library emits its synthetic close before the error event; classify once both are in.
    queueMicrotask(() => emit(classifyClose(event, { opened, acked, sawError })));
  };
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
 * A refused upgrade, classified by status (SPEC.md §8, HAZARDS.md H5): 401 is an auth failure (the
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

/** A constructor that passes `headers` to the Node `ws` package's options (SPEC.md §9). */
function withHeaders(Base: WebSocketConstructor, headers: Record<string, string>): WebSocketConstructor {
  return class extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols ?? [], { headers });
    }
  };
}
