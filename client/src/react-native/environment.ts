/**
 * Connectivity and app lifecycle on React Native: NetInfo stands in for the browser's `online`/`offline`
 * events and `AppState` for page visibility (protocol/SPEC.md §10).
 */
import type { EnvironmentSource } from '../environment';
import type { AppStateLike, NetInfoLike, NetInfoStateLike } from './native-modules';

/** Options of {@link createReactNativeEnvironment}. */
export interface ReactNativeEnvironmentOptions {
  /** `AppState` from `react-native`. Without it the app counts as always in the foreground. */
  AppState?: AppStateLike;
  /** The default export of `@react-native-community/netinfo`. Without it the app counts as always online. */
  NetInfo?: NetInfoLike;
}

/** Offline only when NetInfo says so; `null` (not known yet) counts as online. */
const isOffline = (state: NetInfoStateLike): boolean =>
  state.isConnected === false || state.isInternetReachable === false;

/**
 * An {@link EnvironmentSource} over `AppState` and NetInfo, for `createTaskBridgeClient`'s `environment`
 * option (`createReactNativeClient` passes it for you):
 * - NetInfo offline → `OFFLINE` (the stream parks, no retries), back online → `ONLINE` (retry at once);
 * - `AppState` `background` → checkpoints are flushed (the OS may end the app there) and `VISIBILITY_HIDDEN`
 *   (the stream closes when `connection.pauseWhenHidden` is set);
 * - back to `active` from `background` → `PAGE_RESTORED`: the stream reconnects at once from its
 *   checkpoint, since a socket the OS froze in the background may be dead without a close.
 * `inactive` (iOS app switcher, a system dialog) changes nothing.
 *
 * NetInfo's state is read from its listener, so until the client attaches a stream (and subscribes) the
 * app counts as online; the listener reports the current state at once on subscription.
 *
 * @see protocol/SPEC.md §10 (connectivity, visibility)
 */
export function createReactNativeEnvironment(options: ReactNativeEnvironmentOptions): EnvironmentSource {
  const { AppState, NetInfo } = options;
  let online = true;
  return {
    isOnline: () => online,
    isHidden: () => AppState?.currentState === 'background',
    listen(handler) {
      let background = AppState?.currentState === 'background';
      const subscription = AppState?.addEventListener('change', (state) => {
        if (state === 'background' && !background) {
          background = true;
          handler({ type: 'PAGE_HIDE' });
          handler({ type: 'VISIBILITY_HIDDEN' });
        } else if (state === 'active' && background) {
          background = false;
          handler({ type: 'PAGE_RESTORED' });
        }
      });
      const unsubscribeNetInfo = NetInfo?.addEventListener((state) => {
        const next = !isOffline(state);
        if (next === online) return;
        online = next;
        handler({ type: next ? 'ONLINE' : 'OFFLINE' });
      });
      return () => {
        subscription?.remove();
        unsubscribeNetInfo?.();
      };
    },
  };
}
