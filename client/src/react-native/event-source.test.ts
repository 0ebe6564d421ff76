import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_SOURCE_SENDS_HEADERS } from '../platform';
import { reactNativeEventSource } from './event-source';
import type { ReactNativeSseEvent, ReactNativeSseOptions } from './native-modules';

/**
 * What react-native-sse 1.2 does around `open()`: the constructor schedules it after
 * `timeoutBeforeConnection`; when a response ends the library schedules it again after
 * `pollingInterval` (a reconnect); `close()` cancels what is scheduled.
 */
class FakeLibrarySource {
  static instances: FakeLibrarySource[] = [];
  readonly handlers = new Map<string, Array<(event: ReactNativeSseEvent) => void>>();
  opened = 0;
  closed = false;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly url: string,
    readonly options: ReactNativeSseOptions = {},
  ) {
    FakeLibrarySource.instances.push(this);
    this.timer = setTimeout(() => this.open(), options.timeoutBeforeConnection ?? 500);
  }
  open(): void {
    this.opened += 1;
    this.dispatch('open', { type: 'open' });
  }
  /** The response ended: the library's reconnect. */
  endResponse(): void {
    this.timer = setTimeout(() => this.open(), this.options.pollingInterval ?? 5000);
  }
  addEventListener(type: string, listener: (event: ReactNativeSseEvent) => void): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }
  dispatch(type: string, event: ReactNativeSseEvent): void {
    for (const handler of this.handlers.get(type) ?? []) handler(event);
  }
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeLibrarySource.instances = [];
});
afterEach(() => vi.useRealTimers());

describe('reactNativeEventSource', () => {
  it('is marked as sending headers, passes them, and opens without the library delay', async () => {
    const EventSource = reactNativeEventSource(FakeLibrarySource);
    expect(EVENT_SOURCE_SENDS_HEADERS in EventSource).toBe(true);
    const source = new EventSource('http://x/stream', { headers: { Authorization: 'Bearer t' } });
    const opened = vi.fn();
    source.addEventListener('open', opened);
    const [library] = FakeLibrarySource.instances;
    expect(library?.options).toMatchObject({
      headers: { Authorization: 'Bearer t' },
      timeoutBeforeConnection: 0,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(opened).toHaveBeenCalledTimes(1);
  });

  it('reports the end of the response as an error and closes, instead of letting the library reconnect', async () => {
    const source = new (reactNativeEventSource(FakeLibrarySource))('http://x/stream');
    const errors = vi.fn();
    const messages = vi.fn();
    source.addEventListener('error', errors);
    source.addEventListener('message', messages);
    const library = FakeLibrarySource.instances[0] as FakeLibrarySource;
    await vi.advanceTimersByTimeAsync(0);
    library.dispatch('message', { type: 'message', data: '{}' });

    library.endResponse();
    await vi.advanceTimersByTimeAsync(10);
    expect(library.opened).toBe(1);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(library.closed).toBe(true);
    // Nothing reaches the transport once closed.
    library.dispatch('message', { type: 'message', data: '{}' });
    expect(messages).toHaveBeenCalledTimes(1);
  });

  it('delivers named events and nothing after close()', async () => {
    const source = new (reactNativeEventSource(FakeLibrarySource))('http://x/stream');
    const trimmed = vi.fn();
    source.addEventListener('history-trimmed', trimmed);
    const library = FakeLibrarySource.instances[0] as FakeLibrarySource;
    library.dispatch('history-trimmed', { type: 'history-trimmed', data: '{"taskId":"t"}' });
    expect(trimmed).toHaveBeenCalledWith(expect.objectContaining({ data: '{"taskId":"t"}' }));
    source.close();
    source.close();
    library.dispatch('history-trimmed', { type: 'history-trimmed', data: '{}' });
    expect(trimmed).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(library.opened).toBe(0);
  });
});
