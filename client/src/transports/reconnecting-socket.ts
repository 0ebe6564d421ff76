/**
 * The only file that knows `reconnecting-websocket`. It wraps one socket (`maxRetries: 0`, no
 * connection timeout: the machine owns retries, backoff and deadlines) and smooths over two of its
 * habits: on a socket `error` it removes its listeners and emits a synthetic close 1000 *before* the
 * error, so the close is reported a microtask later with the error attached; and it constructs the
 * socket after a zero-delay timer, so nothing is reported from inside {@link openSocket}.
 */
import ReconnectingWebSocket, { type CloseEvent, type ErrorEvent } from 'reconnecting-websocket';
import type { WebSocketConstructor } from '../platform';

/** How a socket ended: its close code and reason, and the error seen before it, if any. */
export interface SocketClose {
  code: number;
  reason: string;
  /** What the `error` event carried; `undefined` when the socket closed without one. */
  error: unknown;
}

/** Receives one socket's events, in order; `onClose` is the last call. */
export interface SocketListener {
  onOpen(): void;
  onMessage(data: unknown): void;
  onClose(close: SocketClose): void;
}

/** An open (or opening) socket. */
export interface Socket {
  send(data: string): void;
  /** Closes with 1000; no listener call follows. */
  close(): void;
}

/** Options of {@link openSocket}. */
export interface SocketOptions {
  WebSocket: WebSocketConstructor;
  /**
   * Headers for the Node `ws` constructor's `{ headers }` option (protocol/SPEC.md §9); browsers
   * cannot send them. Default: none.
   */
  headers?: Record<string, string>;
}

// Largest delay a timer accepts; a bigger one (or Infinity) fires at once. Disables the library's
// connection timeout: the machine's open deadline applies instead.
const MAX_TIMER_MS = 2_147_483_647;
type SocketEvent = Event | MessageEvent | ErrorEvent | CloseEvent;

/**
 * Opens one socket to `url`.
 *
 * @throws {Error} what the library or the constructor throws synchronously (e.g. a malformed URL).
 */
export function openSocket(url: string, options: SocketOptions, listener: SocketListener): Socket {
  return new ListenedSocket(url, options, listener);
}

/**
 * The library's socket, told about its events through its `on…` handlers — one function shared by
 * every socket — rather than `addEventListener`: the library keeps an array per event type, and the
 * first listener added makes room for seventeen, four times per socket, with thousands of tasks open.
 */
class ListenedSocket extends ReconnectingWebSocket implements Socket {
  readonly #listener: SocketListener;
  #error: unknown;

  constructor(url: string, options: SocketOptions, listener: SocketListener) {
    const headers = options.headers;
    const useHeaders = headers !== undefined && Object.keys(headers).length > 0;
    // The library's type says `string[]`; it only hands the value to the constructor (see HeaderCarrier).
    const protocols = useHeaders ? (new HeaderCarrier(headers) as unknown as string[]) : undefined;
    super(url, protocols, {
      WebSocket: useHeaders ? headerCapable(options.WebSocket) : options.WebSocket,
      maxRetries: 0,
      connectionTimeout: MAX_TIMER_MS,
    });
    this.#listener = listener;
    this.onopen = this.onmessage = this.onerror = this.onclose = dispatch;
  }

  override close(): void {
    this.onopen = this.onmessage = this.onerror = this.onclose = null;
    super.close(1000);
  }

  handleEvent(event: SocketEvent): void {
    switch (event.type) {
      case 'open': {
        // The library's connect timer is spent once open, and its uptime timer only resets a retry
        // count we never use (`maxRetries: 0`). Cleared and dropped, they no longer pin two Node
        // `Timeout`s (≈ 0.4 KB) for every open socket.
        const timers = this as unknown as { _connectTimeout: unknown; _uptimeTimeout: unknown };
        clearTimeout(timers._uptimeTimeout as Parameters<typeof clearTimeout>[0]);
        timers._connectTimeout = timers._uptimeTimeout = undefined;
        return this.#listener.onOpen();
      }
      case 'message':
        return this.#listener.onMessage((event as MessageEvent).data);
      case 'error': {
        const { error, message } = event as ErrorEvent;
        this.#error = error ?? message;
        return;
      }
      case 'close': {
        const { code, reason } = event as CloseEvent;
        // The library emits its synthetic close before the error event: report once both are in.
        queueMicrotask(() => this.#listener.onClose({ code, reason: reason ?? '', error: this.#error }));
        return;
      }
    }
  }
}

/** Every socket's `on…` handler: the library calls it with the socket as `this`. */
function dispatch(this: ReconnectingWebSocket, event: { readonly type: string }): void {
  (this as ListenedSocket).handleEvent(event as SocketEvent);
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
 * Node `ws` package's `{ headers }` option. One class per platform constructor, not one per
 * connection: a class per connection gives every socket its own chain of hidden classes.
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
