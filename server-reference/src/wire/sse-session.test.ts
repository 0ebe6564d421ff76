/**
 * The SSE session within the subscriber budget (hazard H3): a backlog goes out in bounded chunks,
 * each waiting for the sink when it asks, and a sink that never drains is aborted after
 * `drainTimeoutMs` (fake timers) — while the write is still pending.
 */
import type { TaskEvent } from '@taskbridge/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Subscription, SubscriptionItem } from '../engine/subscription';
import { runSseSession, SSE_MAX_CHUNK_CHARS, type SseChunk, type SseSink } from './sse-session';

const PAYLOAD = 'x'.repeat(8 * 1024);

function events(count: number): TaskEvent[] {
  return Array.from(
    { length: count },
    (_, i) =>
      Object.freeze({
        eventId: `${i + 1}`,
        taskId: 't',
        type: 'TASK_MESSAGE',
        createdAt: '2025-01-01T00:00:00.000Z',
        payload: Object.freeze({ message: PAYLOAD }),
      }) as TaskEvent,
  );
}

/** A subscription that hands out `batches`, then waits until closed. */
function scripted(batches: TaskEvent[][]): Subscription & { wasClosed: () => boolean } {
  const items: SubscriptionItem[] = batches.map((batch) => ({ kind: 'events', events: batch }));
  let closed = false;
  let wake: (() => void) | undefined;
  const next = async (): Promise<IteratorResult<SubscriptionItem, undefined>> => {
    const item = items.shift();
    if (item && !closed) return { done: false, value: item };
    if (!closed) await new Promise<void>((resolve) => (wake = resolve));
    return { done: true, value: undefined };
  };
  const close = () => {
    closed = true;
    wake?.();
  };
  return {
    next,
    close,
    get closed() {
      return closed;
    },
    endedAtTerminal: false,
    historyTrimmed: null,
    wasClosed: () => closed,
    return: async () => {
      close();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SSE session: bounded writes (H3)', () => {
  it('sends a 10,000-event backlog in chunks of at most 64 KiB (plus one event), in order', async () => {
    const backlog = events(10_000);
    const sizes: number[] = [];
    const ids: string[] = [];
    let waits = 0;
    const sink: SseSink = {
      write(chunk: SseChunk) {
        if (chunk.kind !== 'events') return undefined;
        sizes.push(chunk.text.length);
        for (const match of chunk.text.matchAll(/^id: (\S+)$/gm)) ids.push(match[1] as string);
        // The sink asks the session to wait after every chunk, as a full socket would.
        waits += 1;
        return Promise.resolve();
      },
      end: () => undefined,
    };
    const subscription = scripted([backlog]);
    const session = runSseSession(sink, subscription, { taskId: 't', heartbeatIntervalMs: 60_000 });
    await vi.waitFor(() => expect(ids).toHaveLength(10_000), { timeout: 20_000 });
    subscription.close();
    await session;
    const frame = `id: 1\ndata: ${JSON.stringify(backlog[0])}\n\n`.length;
    expect(Math.max(...sizes)).toBeLessThan(SSE_MAX_CHUNK_CHARS + frame + 10);
    expect(sizes.length).toBeGreaterThanOrEqual(Math.floor((10_000 * frame) / (SSE_MAX_CHUNK_CHARS + frame)));
    expect(waits).toBe(sizes.length);
    expect(ids).toEqual(backlog.map((e) => e.eventId));
  });

  it('aborts a reader that does not drain within drainTimeoutMs, while the write is pending', async () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    const sink: SseSink = {
      write(chunk) {
        if (chunk.kind !== 'events') return undefined;
        calls.push('write');
        return new Promise<void>(() => undefined); // never drains
      },
      abort: () => calls.push('abort'),
      end: () => calls.push('end'),
    };
    const subscription = scripted([events(100)]);
    let stalled = 0;
    const session = runSseSession(sink, subscription, {
      taskId: 't',
      heartbeatIntervalMs: 60_000,
      drainTimeoutMs: 5_000,
      onStalled: () => (stalled += 1),
    });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(calls).toEqual(['write']);
    await vi.advanceTimersByTimeAsync(1);
    await session;
    expect(calls).toEqual(['write', 'abort', 'end']);
    expect(stalled).toBe(1);
    expect(subscription.wasClosed()).toBe(true);
  });

  it('waits as long as it takes without a drain budget (the MSW kit, in-process)', async () => {
    vi.useFakeTimers();
    let release: () => void = () => undefined;
    const calls: string[] = [];
    const sink: SseSink = {
      write(chunk) {
        if (chunk.kind !== 'events') return undefined;
        calls.push('write');
        return calls.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : undefined;
      },
      abort: () => calls.push('abort'),
      end: () => calls.push('end'),
    };
    const subscription = scripted([events(1), events(1)]);
    const session = runSseSession(sink, subscription, { taskId: 't', heartbeatIntervalMs: 600_000 });
    await vi.advanceTimersByTimeAsync(300_000);
    expect(calls).toEqual(['write']);
    release();
    await vi.waitFor(() => expect(calls).toEqual(['write', 'write']));
    subscription.close();
    await session;
    expect(calls).toEqual(['write', 'write', 'end']);
  });
});
