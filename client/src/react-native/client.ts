/**
 * `createReactNativeClient`: `createTaskBridgeClient` with React Native's platform plugged into the
 * client's seams — WebSocket with headers, SSE over `react-native-sse`, polling over `fetch`,
 * checkpoints in AsyncStorage, `AppState` and NetInfo as the environment.
 */
import { createTaskBridgeClient, type TaskBridgeClient, type TaskBridgeClientOptions } from '../client';
import { createAsyncStorageCheckpointStore } from './async-storage';
import { createReactNativeEnvironment } from './environment';
import { reactNativeEventSource } from './event-source';
import type {
  AppStateLike,
  AsyncStorageLike,
  NetInfoLike,
  ReactNativeSseConstructor,
} from './native-modules';

/**
 * Options of {@link createReactNativeClient}: every option of `createTaskBridgeClient`, plus the
 * native modules the app has. Each module is optional; without it the matching feature is off.
 */
export interface ReactNativeClientOptions extends TaskBridgeClientOptions {
  /** `AppState` from `react-native`: background/foreground. Without it the app counts as always in the foreground. */
  AppState?: AppStateLike;
  /** The default export of `@react-native-community/netinfo`. Without it the app counts as always online. */
  NetInfo?: NetInfoLike;
  /**
   * The default export of `@react-native-async-storage/async-storage`: checkpoints and pending starts
   * survive the app being killed. Ignored when `checkpointStore` is given. Without both: memory.
   */
  AsyncStorage?: AsyncStorageLike;
  /**
   * The default export of `react-native-sse`: enables the SSE transport. Ignored when
   * `platform.EventSource` is given. Without both, SSE is left out of the ladder (React Native has no
   * `EventSource`, and its `fetch` cannot stream).
   */
  EventSource?: ReactNativeSseConstructor;
}

/**
 * Creates a TaskBridge client for React Native. What it sets, each overridable by the option of the
 * same name:
 * - `webSocketAuth: 'header'`: React Native's `WebSocket` takes `{ headers }` as its third argument, so
 *   the token is sent as `Authorization`, never in the URL, and no stream ticket is needed
 *   (protocol/SPEC.md §9, §12);
 * - `platform.EventSource`: `react-native-sse` wrapped by {@link reactNativeEventSource} (headers,
 *   no reconnects of its own);
 * - `transports`: `['websocket', 'sse', 'polling']`, without `'sse'` when there is no `EventSource`;
 * - `checkpointStore`: {@link createAsyncStorageCheckpointStore} over `AsyncStorage` when given;
 * - `environment`: {@link createReactNativeEnvironment} over `AppState` and `NetInfo`;
 * - `connection.pauseWhenHidden: true`: the stream closes when the app goes to the background (iOS
 *   suspends it anyway) and resumes from the checkpoint on return to the foreground.
 * Polling uses the global `fetch`; `WebSocket` is the global one. `useTask` from `@taskbridge/react`
 * takes the returned client unchanged.
 *
 * @throws {TypeError} when `baseUrl` is not absolute (React Native has no `location` to resolve it).
 * @see protocol/SPEC.md §4 (poll), §5 (SSE), §6 (WebSocket), §10 (client behaviour)
 *
 * @example
 * const client = createReactNativeClient({ baseUrl, getAccessToken, AppState, NetInfo, AsyncStorage, EventSource });
 */
export function createReactNativeClient(options: ReactNativeClientOptions): TaskBridgeClient {
  const { AppState, NetInfo, AsyncStorage, EventSource, ...clientOptions } = options;
  const platformEventSource =
    options.platform?.EventSource ?? (EventSource ? reactNativeEventSource(EventSource) : undefined);
  const platform = {
    ...options.platform,
    ...(platformEventSource ? { EventSource: platformEventSource } : {}),
  };
  const transports =
    options.transports ??
    (platformEventSource ? (['websocket', 'sse', 'polling'] as const) : (['websocket', 'polling'] as const));
  return createTaskBridgeClient({
    ...clientOptions,
    webSocketAuth: options.webSocketAuth ?? 'header',
    platform,
    transports,
    ...(options.checkpointStore || !AsyncStorage
      ? {}
      : { checkpointStore: createAsyncStorageCheckpointStore(AsyncStorage) }),
    environment:
      options.environment !== undefined
        ? options.environment
        : createReactNativeEnvironment({ AppState, NetInfo }),
    connection: { pauseWhenHidden: true, ...options.connection },
  });
}
