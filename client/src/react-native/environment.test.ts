import { describe, expect, it, vi } from 'vitest';
import { createReactNativeEnvironment } from './environment';
import type { AppStateLike, NetInfoLike, NetInfoStateLike } from './native-modules';

function fakeAppState(initial: string) {
  const listeners = new Set<(state: string) => void>();
  const appState = {
    currentState: initial,
    addEventListener(_type: 'change', listener: (state: string) => void) {
      listeners.add(listener);
      return { remove: () => listeners.delete(listener) };
    },
    set(state: string) {
      this.currentState = state;
      for (const listener of listeners) listener(state);
    },
    get listeners() {
      return listeners.size;
    },
  };
  return appState satisfies AppStateLike;
}

function fakeNetInfo(initial: NetInfoStateLike) {
  const listeners = new Set<(state: NetInfoStateLike) => void>();
  const netInfo: NetInfoLike & { set(state: NetInfoStateLike): void; listeners: number } = {
    addEventListener(listener) {
      listeners.add(listener);
      listener(initial); // NetInfo reports the current state on subscription
      return () => listeners.delete(listener);
    },
    set(state) {
      for (const listener of listeners) listener(state);
    },
    get listeners() {
      return listeners.size;
    },
  };
  return netInfo;
}

describe('createReactNativeEnvironment', () => {
  it('maps AppState: background flushes and hides, active again restores; inactive changes nothing', () => {
    const AppState = fakeAppState('active');
    const environment = createReactNativeEnvironment({ AppState });
    expect(environment.isHidden()).toBe(false);
    const handler = vi.fn();
    environment.listen(handler);

    AppState.set('inactive');
    expect(handler).not.toHaveBeenCalled();
    AppState.set('background');
    expect(environment.isHidden()).toBe(true);
    AppState.set('background');
    AppState.set('inactive');
    AppState.set('active');
    AppState.set('active');
    expect(handler.mock.calls.map(([event]) => event.type)).toEqual([
      'PAGE_HIDE',
      'VISIBILITY_HIDDEN',
      'PAGE_RESTORED',
    ]);
  });

  it('starts hidden when the app is in the background, and restores on the first return to active', () => {
    const AppState = fakeAppState('background');
    const environment = createReactNativeEnvironment({ AppState });
    expect(environment.isHidden()).toBe(true);
    const handler = vi.fn();
    environment.listen(handler);
    AppState.set('active');
    expect(handler.mock.calls.map(([event]) => event.type)).toEqual(['PAGE_RESTORED']);
  });

  it('maps NetInfo: offline when not connected or the internet is unreachable; unknown counts as online', () => {
    const NetInfo = fakeNetInfo({ isConnected: null, isInternetReachable: null });
    const environment = createReactNativeEnvironment({ NetInfo });
    const handler = vi.fn();
    environment.listen(handler);
    expect(environment.isOnline()).toBe(true);

    NetInfo.set({ isConnected: true, isInternetReachable: false });
    expect(environment.isOnline()).toBe(false);
    NetInfo.set({ isConnected: false, isInternetReachable: null });
    NetInfo.set({ isConnected: true, isInternetReachable: true });
    expect(environment.isOnline()).toBe(true);
    expect(handler.mock.calls.map(([event]) => event.type)).toEqual(['OFFLINE', 'ONLINE']);
  });

  it('reports an offline device at subscription (NetInfo calls back with the current state)', () => {
    const NetInfo = fakeNetInfo({ isConnected: false });
    const environment = createReactNativeEnvironment({ NetInfo });
    const handler = vi.fn();
    environment.listen(handler);
    expect(handler.mock.calls.map(([event]) => event.type)).toEqual(['OFFLINE']);
    expect(environment.isOnline()).toBe(false);
  });

  it('unsubscribes from both on stop', () => {
    const AppState = fakeAppState('active');
    const NetInfo = fakeNetInfo({ isConnected: true });
    const stop = createReactNativeEnvironment({ AppState, NetInfo }).listen(() => undefined);
    expect([AppState.listeners, NetInfo.listeners]).toEqual([1, 1]);
    stop();
    expect([AppState.listeners, NetInfo.listeners]).toEqual([0, 0]);
  });

  it('without modules: always online and in the foreground', () => {
    const environment = createReactNativeEnvironment({});
    expect([environment.isOnline(), environment.isHidden()]).toEqual([true, false]);
    environment.listen(() => undefined)();
  });
});
