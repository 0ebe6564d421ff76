/**
 * The parts of React Native's platform modules the adapter uses, as structural types: the app passes
 * the modules it has (`AppState` from `react-native`, the default exports of
 * `@react-native-community/netinfo`, `@react-native-async-storage/async-storage` and `react-native-sse`),
 * so this package never imports them and each stays an optional peer.
 */

/** An app state as `AppState.currentState` reports it. */
export type AppStateStatus = 'active' | 'background' | 'inactive' | 'unknown' | 'extension';

/** `AppState` from `react-native`. */
export interface AppStateLike {
  /** The state now (`null`/`undefined` before React Native knows it). */
  readonly currentState: AppStateStatus | string | null | undefined;
  /** Subscribes to changes; returns the subscription. */
  addEventListener(type: 'change', listener: (state: AppStateStatus | string) => void): { remove(): void };
}

/** The part of a NetInfo state the adapter reads. `null` means "not known yet". */
export interface NetInfoStateLike {
  isConnected: boolean | null;
  isInternetReachable?: boolean | null;
}

/** The default export of `@react-native-community/netinfo`. */
export interface NetInfoLike {
  /** Calls `listener` with the current state, then on every change; returns the unsubscribe function. */
  addEventListener(listener: (state: NetInfoStateLike) => void): () => void;
}

/**
 * The default export of `@react-native-async-storage/async-storage` (v1–v3 share these methods; v3's
 * `getMany` is used for `list` when present).
 */
export interface AsyncStorageLike {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
  getAllKeys(): Promise<readonly string[]>;
  getMany?(keys: string[]): Promise<Record<string, string | null>>;
}

/** One event of `react-native-sse` (`open`, `message`, named events, `error`, `close`). */
export interface ReactNativeSseEvent {
  type: string;
  data?: string | null;
  /** On an `error` event: the response status (`0` when there was no response). */
  xhrStatus?: number;
}

/** An instance of `react-native-sse`'s `EventSource`. */
export interface ReactNativeSseInstance {
  /** Opens (or, when the library reconnects on its own, re-opens) the XHR request. */
  open(): void;
  close(): void;
  addEventListener(type: string, listener: (event: ReactNativeSseEvent) => void): void;
  dispatch(type: string, event: ReactNativeSseEvent): void;
}

/** The options of `react-native-sse`'s `EventSource` the adapter sets. */
export interface ReactNativeSseOptions {
  headers?: Record<string, string>;
  /** ms before the first request. */
  timeoutBeforeConnection?: number;
  /** ms before the library re-opens an ended stream (0: never). */
  pollingInterval?: number;
}

/** The default export of `react-native-sse`. */
export type ReactNativeSseConstructor = new (
  url: string,
  options?: ReactNativeSseOptions,
) => ReactNativeSseInstance;
