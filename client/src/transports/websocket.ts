/**
 * The WebSocket transport (protocol/SPEC.md §6): one subscribe frame, then the ack, events and
 * heartbeats, one JSON object per text frame; the close code says how it ended. The socket itself
 * comes from `reconnecting-socket.ts`.
 */
import { CloseCode, TaskBridgeError } from '@taskbridge/protocol';
import { networkError, protocolError, toTaskBridgeError, transportUnavailable } from '../errors';
import { type TransportContext, withUrlCredentials } from '../platform';
import { toWebSocketUrl } from '../routes';
import { frameMessage, TransportLink } from './frames';
import { openSocket, type Socket, type SocketClose, type SocketListener } from './reconnecting-socket';
import type { Transport, TransportMessage, TransportRequest, TransportSink } from './transport';

/**
 * Creates the WebSocket transport. Credentials follow `context.webSocketAuthFor()`: in the URL (a
 * single-use `ticket` when the server offers stream tickets, protocol/SPEC.md §12, else the
 * `access_token`), or `Authorization` and extra headers through the Node `ws` constructor's options.
 *
 * Messages: `open` on the socket's open (the subscribe frame `{action, taskId, lastEventId}` is then
 * sent with `lastEventId = request.getCursor()`), `history-trimmed` when the ack says so (protocol/SPEC.md
 * §11), `ack`, then `event`, `heartbeat`, `malformed`
 * (unparsable or binary frames; the stream continues), then exactly one of:
 * - any frame before the ack → `PROTOCOL_ERROR` (retryable, `details.notProtocol`: the machine falls
 *   back), and the socket is closed;
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
 * @see protocol/SPEC.md §6 (WebSocket, close codes), §9 (auth), hazard H1
 */
export function createWebSocketTransport(context: TransportContext): Transport {
  return {
    name: 'websocket',
    isSupported: () => context.getWebSocket() !== undefined,
    connect(request, sink) {
      void new WebSocketConnection(request, sink).open(context);
    },
  };
}

/** One connection attempt: the protocol on top of one socket. */
class WebSocketConnection implements SocketListener {
  readonly #request: TransportRequest;
  readonly #link: TransportLink;
  #opened = false;
  #acked = false;
  #socket: Socket | undefined;

  constructor(request: TransportRequest, sink: TransportSink) {
    this.#request = request;
    this.#link = new TransportLink(request, sink);
  }

  async open(context: TransportContext): Promise<void> {
    const link = this.#link;
    const WebSocketImpl = context.getWebSocket();
    if (!WebSocketImpl)
      return this.#emit(error(transportUnavailable('no WebSocket constructor on this platform')));
    let url: string;
    let headers: Record<string, string> | undefined;
    try {
      const credentials = await context.getCredentials();
      url = toWebSocketUrl(context.resolveUrl('websocket'));
      const mode = context.webSocketAuthFor(WebSocketImpl);
      if (mode === 'query' && credentials.token) {
        // A single-use ticket instead of the token when the server offers them (protocol/SPEC.md §12).
        const ticket = await context.getStreamTicket(this.#request.taskId);
        url = withUrlCredentials(url, { token: credentials.token, ticket });
      } else if (mode === 'header') {
        headers = credentials.headers;
      }
    } catch (cause) {
      return this.#emit(error(toTaskBridgeError(cause)));
    }
    if (link.ended) return;
    try {
      this.#socket = openSocket(url, { WebSocket: WebSocketImpl, headers }, this);
    } catch (cause) {
      return this.#emit(error(transportUnavailable(cause instanceof Error ? cause.message : String(cause))));
    }
    link.onRelease(() => this.#socket?.close());
  }

  onOpen(): void {
    this.#opened = true;
    this.#emit({ type: 'open' });
    if (this.#link.ended) return;
    const { taskId, getCursor } = this.#request;
    this.#socket?.send(JSON.stringify({ action: 'subscribe', taskId, lastEventId: getCursor() }));
  }

  onMessage(data: unknown): void {
    const message = frameMessage(data);
    if (this.#acked) return this.#emit(message);
    if (message.type === 'ack') {
      this.#acked = true;
      // The replay that follows starts at the first retained event (protocol/SPEC.md §11).
      if ('historyTrimmed' in message && message.historyTrimmed) {
        this.#emit({ type: 'history-trimmed', info: message.historyTrimmed });
      }
      return this.#emit({ type: 'ack' });
    }
    // The ack comes first (protocol/SPEC.md §6): anything else is not the protocol, and never live.
    const frame = message.type === 'event' ? message.event.type : message.type;
    this.#emit(
      error(
        protocolError(`WebSocket: expected SUBSCRIPTION_CONFIRMED first, got ${frame}`, {
          details: { phase: 'ack', frame },
          notProtocol: true,
        }),
      ),
    );
  }

  onClose(close: SocketClose): void {
    this.#emit(classifyClose(close, this.#opened, this.#acked));
  }

  #emit(message: TransportMessage): void {
    this.#link.emit(message);
  }
}

function error(cause: TaskBridgeError): TransportMessage {
  return { type: 'error', error: cause };
}

/** Maps how the socket ended to `closed` or a typed error (see {@link createWebSocketTransport}). */
function classifyClose(close: SocketClose, opened: boolean, acked: boolean): TransportMessage {
  const details = { closeCode: close.code, reason: close.reason };
  if (!opened) {
    const message = close.error instanceof Error ? close.error.message : 'WebSocket failed to open';
    const status = refusedUpgradeStatus(message);
    if (status !== undefined) return error(refusedUpgrade(status, message, close.error));
    return error(networkError(message, close.error, { phase: 'open' }));
  }
  if (close.error !== undefined) {
    // The real close code is hidden behind the library's synthetic 1000: report an abnormal closure.
    const details = { closeCode: CloseCode.ABNORMAL };
    return error(
      new TaskBridgeError({
        code: 'CONNECTION_CLOSED',
        message: 'WebSocket failed',
        details,
        cause: close.error,
      }),
    );
  }
  switch (close.code) {
    case CloseCode.NORMAL:
      return { type: 'closed' };
    case CloseCode.POLICY_VIOLATION:
      return acked
        ? closedWith('TASK_NOT_FOUND', 'WebSocket closed 1008 after the ack', details)
        : closedWith('AUTHENTICATION_ERROR', 'WebSocket closed 1008 before the ack', details);
    case CloseCode.UNSUPPORTED_DATA:
      return closedWith('PROTOCOL_ERROR', 'WebSocket closed 1003 (unsupported data)', details);
    default:
      return closedWith('CONNECTION_CLOSED', `WebSocket closed ${close.code}`, details);
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
 * A refused upgrade, classified by status (protocol/SPEC.md §8, hazard H5): 401 is an auth failure
 * (the machine refreshes credentials once, then fails); 429 and 5xx are retryable server errors. Any
 * other refusal (403, 404, …) says the WebSocket route is refused here — a proxy that blocks upgrades,
 * or a server without the route (hazard H7) — not that the task is: it stays the retryable
 * `NETWORK_ERROR` a browser reports (browsers never see the status), so the machine falls back the same
 * way in both.
 */
function refusedUpgrade(status: number, message: string, cause: unknown): TaskBridgeError {
  const details = { phase: 'open', upgradeStatus: status };
  if (status < 400) {
    const notProtocol = { ...details, notProtocol: true };
    return new TaskBridgeError({ code: 'UNEXPECTED_RESPONSE', message, status, details: notProtocol, cause });
  }
  const code =
    status === 401
      ? 'AUTHENTICATION_ERROR'
      : status === 429
        ? 'RATE_LIMITED'
        : status >= 500
          ? 'SERVER_ERROR'
          : 'NETWORK_ERROR';
  return new TaskBridgeError({ code, message, status, retryable: status !== 401, details, cause });
}

/** A close as an error; only `CONNECTION_CLOSED` is retryable (1008 and 1003 are not). */
function closedWith(
  code: 'TASK_NOT_FOUND' | 'AUTHENTICATION_ERROR' | 'PROTOCOL_ERROR' | 'CONNECTION_CLOSED',
  message: string,
  details: Record<string, unknown>,
): TransportMessage {
  return error(new TaskBridgeError({ code, message, retryable: code === 'CONNECTION_CLOSED', details }));
}
