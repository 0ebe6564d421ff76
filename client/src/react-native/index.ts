// @taskbridge/client/react-native: the React Native platform adapter. Explicit exports.

export type { ReactNativeClientOptions } from './client';
export { createReactNativeClient } from './client';
export type { ReactNativeEnvironmentOptions } from './environment';
export { createReactNativeEnvironment } from './environment';
export type { AsyncStorageCheckpointStoreOptions } from './async-storage';
export { createAsyncStorageCheckpointStore } from './async-storage';
export { reactNativeEventSource } from './event-source';
export type {
  AppStateLike,
  AppStateStatus,
  AsyncStorageLike,
  NetInfoLike,
  NetInfoStateLike,
  ReactNativeSseConstructor,
  ReactNativeSseEvent,
  ReactNativeSseInstance,
  ReactNativeSseOptions,
} from './native-modules';
