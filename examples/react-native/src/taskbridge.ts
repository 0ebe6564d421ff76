import AsyncStorage from '@react-native-async-storage/async-storage';
import NetInfo from '@react-native-community/netinfo';
import type { TaskBridgeClient } from '@taskbridge/client';
import { createReactNativeClient, type ReactNativeClientOptions } from '@taskbridge/client/react-native';
import { AppState } from 'react-native';
import EventSource from 'react-native-sse';

/**
 * The app's TaskBridge client: WebSocket with an `Authorization` header, SSE over react-native-sse,
 * polling over fetch, checkpoints in AsyncStorage, AppState and NetInfo for the app's lifecycle.
 */
export function createClient(
  baseUrl: string,
  getAccessToken: () => string | undefined,
  options: Partial<ReactNativeClientOptions> = {},
): TaskBridgeClient {
  return createReactNativeClient({
    baseUrl,
    getAccessToken,
    AppState,
    NetInfo,
    AsyncStorage,
    EventSource,
    ...options,
  });
}
