/**
 * `react-native-sse` as the SSE transport's `EventSource` (protocol/SPEC.md §5). React Native has no
 * `EventSource` and its `fetch` has no streaming body; `react-native-sse` reads the stream over XHR and
 * sends headers, so `Authorization` and `Last-Event-ID` go in headers, never in the URL.
 */
import { EVENT_SOURCE_SENDS_HEADERS, type EventSourceConstructor, type EventSourceLike } from '../platform';
import type {
  ReactNativeSseConstructor,
  ReactNativeSseEvent,
  ReactNativeSseInstance,
} from './native-modules';

/**
 * Wraps `react-native-sse`'s `EventSource` class into the constructor the client's SSE transport takes
 * (`platform.EventSource`). The wrapper:
 * - sends the transport's headers (credentials, `Last-Event-ID`) and opens at once (the library waits
 *   `timeoutBeforeConnection`, 500 ms by default);
 * - leaves reconnecting to the client's machine: when the response ends, the library would re-open after
 *   `pollingInterval` (or a server `retry:`); the wrapper reports an `error` instead (the transport turns
 *   it into `closed` after a terminal event, else a retryable `CONNECTION_CLOSED`) and closes, so the
 *   machine's backoff, fallback and resume from the checkpoint apply as on every other platform;
 * - hands `message` and named events (`history-trimmed`, protocol/SPEC.md §11) over with their `data`.
 *
 * A response with a non-2xx status is reported by the library as an `error` event before `open`: the
 * transport reports a retryable `NETWORK_ERROR`, and the machine's reachability poll tells an auth
 * failure or an unknown task from a network problem (protocol/SPEC.md §5, §8).
 *
 * @param ReactNativeEventSource - the default export of `react-native-sse` (1.2.x).
 */
export function reactNativeEventSource(
  ReactNativeEventSource: ReactNativeSseConstructor,
): EventSourceConstructor {
  class TaskBridgeReactNativeEventSource implements EventSourceLike {
    static readonly [EVENT_SOURCE_SENDS_HEADERS] = true;
    readonly #source: ReactNativeSseInstance;
    #closed = false;

    constructor(url: string, init?: { headers?: Record<string, string> }) {
      const source = new ReactNativeEventSource(url, {
        headers: init?.headers ?? {},
        timeoutBeforeConnection: 0,
        // The library re-opens an ended stream after this delay: intercepted below (see `open`).
        pollingInterval: 1,
      });
      // The library calls `open()` once to connect and again to reconnect; the second call means the
      // response ended: report it as the end of this connection instead of reconnecting.
      let opens = 0;
      const open = source.open.bind(source);
      source.open = () => {
        opens += 1;
        if (opens === 1) return open();
        if (this.#closed) return;
        source.dispatch('error', { type: 'error', xhrStatus: 0 });
        this.close();
      };
      this.#source = source;
    }

    addEventListener(type: string, listener: (event: Event) => void): void {
      this.#source.addEventListener(type, (event: ReactNativeSseEvent) => {
        if (!this.#closed || type === 'close') listener(event as unknown as Event);
      });
    }

    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      this.#source.close();
    }
  }
  return TaskBridgeReactNativeEventSource;
}
