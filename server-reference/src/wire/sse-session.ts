/**
 * One SSE response body (protocol/SPEC.md §5), transport-neutral: the history-trimmed signal when the cursor was
 * trimmed (protocol/SPEC.md §11), replay after the cursor, a heartbeat right
 * after the replay (buffering detection), live events, heartbeats while idle, and the end right after
 * the terminal event (hazard H1). The Express route writes it to a Node response, the MSW handler to a
 * web `ReadableStream`.
 */
import { type HistoryTrimmed, HISTORY_TRIMMED_SSE_EVENT, type TaskEvent } from '@taskbridge/protocol';
import type { Subscription } from '../engine/subscription';
import { createDrainBudget, YIELD_EVERY_CHARS, yieldToEventLoop } from './drain-budget';
import { eventJson } from './event-json';

/** Response headers of an SSE stream (protocol/SPEC.md §5). */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
});

/** One SSE frame: `id: <eventId>\ndata: <json>\n\n` (no `event:` or `retry:` field). */
export const sseFrame = (event: TaskEvent): string => `id: ${event.eventId}\ndata: ${eventJson(event)}\n\n`;

/** A keep-alive: a comment line, then a JSON HEARTBEAT data frame without an `id:` line. */
export const sseHeartbeat = (taskId: string): string =>
  `: heartbeat\n\ndata: ${JSON.stringify({ type: 'HEARTBEAT', taskId, live: true })}\n\n`;

/**
 * The history-trimmed signal (protocol/SPEC.md §5, §11): a named event without an `id:` line, so a v1
 * client's `onmessage` never sees it and no cursor moves.
 */
export const sseHistoryTrimmed = (taskId: string, trimmed: HistoryTrimmed): string =>
  `event: ${HISTORY_TRIMMED_SSE_EVENT}\ndata: ${JSON.stringify({ taskId, ...trimmed })}\n\n`;

/** What the session writes: a batch of events (with their text), a heartbeat or the trimmed signal. */
export type SseChunk =
  | { kind: 'events'; events: TaskEvent[]; text: string }
  | { kind: 'heartbeat'; text: string }
  | { kind: 'history-trimmed'; text: string };

/** Where a session writes. */
export interface SseSink {
  /**
   * Writes a chunk; a returned promise makes the session wait (backpressure) until it resolves:
   * return one when the connection holds more than the subscriber's byte budget.
   */
  write(chunk: SseChunk): void | Promise<void>;
  /**
   * Optional: drops the connection now, unsent bytes included (a reader that did not drain within
   * its budget). {@link SseSink.end} still follows.
   */
  abort?(): void;
  /** Ends the response. Called exactly once. */
  end(): void;
}

/** Options of {@link runSseSession}. */
export interface SseSessionOptions {
  taskId: string;
  /** Idle heartbeat interval, ms (a heartbeat goes out when nothing was written for half of it). */
  heartbeatIntervalMs: number;
  /**
   * Most characters per write: a replay page or a backlog of live events goes out in chunks of at
   * most this size (one event more when a single event is larger), each waiting for the previous
   * one to drain when the sink asks. Default 65,536.
   */
  maxChunkChars?: number;
  /**
   * How long a write may wait for the reader to drain, ms; then the session aborts the sink and ends
   * (hazard H3). Default `Infinity`.
   */
  drainTimeoutMs?: number;
  /**
   * Called when the session gave up on a reader that did not drain within `drainTimeoutMs`, with how
   * long the last write waited, ms.
   */
  onStalled?(waitedMs: number): void;
}

/** Default {@link SseSessionOptions.maxChunkChars}. */
export const SSE_MAX_CHUNK_CHARS = 64 * 1024;

// Bounded writes: never one string for a whole backlog (10,000 queued 8 KiB events made an 80 MB
// string per catching-up reader).
function* chunksOf(events: readonly TaskEvent[], maxChars: number): Generator<SseChunk> {
  let start = 0;
  let text = '';
  for (let i = 0; i < events.length; i += 1) {
    text += sseFrame(events[i] as TaskEvent);
    if (text.length >= maxChars || i === events.length - 1) {
      yield { kind: 'events', events: events.slice(start, i + 1), text };
      start = i + 1;
      text = '';
    }
  }
}

/**
 * Pumps `subscription` into `sink` until the terminal event, a subscriber overflow (H3: the response
 * ends and the client resumes from its checkpoint; likewise when retention overtakes the replay), a
 * reader that does not drain within `drainTimeoutMs` (H3: the sink is aborted) or `subscription.close()`
 * (client gone). Always ends the sink and closes the subscription. Never rejects.
 */
export async function runSseSession(
  sink: SseSink,
  subscription: Subscription,
  options: SseSessionOptions,
): Promise<void> {
  const heartbeat = sseHeartbeat(options.taskId);
  const interval = options.heartbeatIntervalMs;
  const maxChunkChars = options.maxChunkChars ?? SSE_MAX_CHUNK_CHARS;
  const budget = createDrainBudget(options.drainTimeoutMs ?? Number.POSITIVE_INFINITY);
  let lastWrite = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - lastWrite >= interval / 2) {
      lastWrite = Date.now();
      void sink.write({ kind: 'heartbeat', text: heartbeat });
    }
  }, interval);
  let waitedMs = 0;
  let sinceYield = 0;
  // False when the reader did not drain in time. Bytes count toward the yield whether or not the
  // write waited: a drain the kernel grants at once comes back in the same turn of the loop.
  const write = async (chunk: SseChunk): Promise<boolean> => {
    lastWrite = Date.now();
    const pending = sink.write(chunk);
    if (pending && !(await budget.wait(pending))) {
      waitedMs = Date.now() - lastWrite;
      return false;
    }
    sinceYield += chunk.text.length;
    if (sinceYield >= YIELD_EVERY_CHARS) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
    return true;
  };
  let stalled = false;
  try {
    if (subscription.historyTrimmed) {
      stalled = !(await write({
        kind: 'history-trimmed',
        text: sseHistoryTrimmed(options.taskId, subscription.historyTrimmed),
      }));
    }
    if (!stalled)
      for await (const item of subscription) {
        // Right after replay: lets a client tell "idle" from "a proxy is buffering" (protocol/SPEC.md §5, E).
        if (item.kind === 'caught-up') {
          stalled = !(await write({ kind: 'heartbeat', text: heartbeat }));
        } else {
          for (const chunk of chunksOf(item.events, maxChunkChars)) {
            stalled = !(await write(chunk));
            if (stalled) break;
          }
        }
        if (stalled) break;
      }
  } catch {
    // Subscriber overflow (H3): end the response; the client resumes from its checkpoint.
  } finally {
    clearInterval(timer);
    budget.dispose();
    subscription.close();
    if (stalled) {
      options.onStalled?.(waitedMs);
      sink.abort?.();
    }
    sink.end();
  }
}
