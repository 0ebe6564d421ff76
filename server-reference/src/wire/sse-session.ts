/**
 * One SSE response body (protocol/SPEC.md §5), transport-neutral: the history-trimmed signal when the cursor was
 * trimmed (protocol/SPEC.md §11), replay after the cursor, a heartbeat right
 * after the replay (buffering detection), live events, heartbeats while idle, and the end right after
 * the terminal event (hazard H1). The Express route writes it to a Node response, the MSW handler to a
 * web `ReadableStream`.
 */
import { type HistoryTrimmed, HISTORY_TRIMMED_SSE_EVENT, type TaskEvent } from '@taskbridge/protocol';
import type { Subscription } from '../engine/subscription';
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

// One string per batch: a single write (and chunk) however many events the batch holds.
function framesOf(events: readonly TaskEvent[]): string {
  let text = '';
  for (const event of events) text += sseFrame(event);
  return text;
}

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
  /** Writes a chunk; a returned promise makes the session wait (backpressure). */
  write(chunk: SseChunk): void | Promise<void>;
  /** Ends the response. Called exactly once. */
  end(): void;
}

/** Options of {@link runSseSession}. */
export interface SseSessionOptions {
  taskId: string;
  /** Idle heartbeat interval, ms (a heartbeat goes out when nothing was written for half of it). */
  heartbeatIntervalMs: number;
}

/**
 * Pumps `subscription` into `sink` until the terminal event, a subscriber overflow (H3: the response
 * ends and the client resumes from its checkpoint; likewise when retention overtakes the replay) or `subscription.close()` (client gone). Always
 * ends the sink and closes the subscription. Never rejects.
 */
export async function runSseSession(
  sink: SseSink,
  subscription: Subscription,
  options: SseSessionOptions,
): Promise<void> {
  const heartbeat = sseHeartbeat(options.taskId);
  const interval = options.heartbeatIntervalMs;
  let lastWrite = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - lastWrite >= interval / 2) {
      lastWrite = Date.now();
      void sink.write({ kind: 'heartbeat', text: heartbeat });
    }
  }, interval);
  try {
    if (subscription.historyTrimmed) {
      const pending = sink.write({
        kind: 'history-trimmed',
        text: sseHistoryTrimmed(options.taskId, subscription.historyTrimmed),
      });
      if (pending) await pending;
    }
    for await (const item of subscription) {
      lastWrite = Date.now();
      // Right after replay: lets a client tell "idle" from "a proxy is buffering" (protocol/SPEC.md §5, E).
      const chunk: SseChunk =
        item.kind === 'caught-up'
          ? { kind: 'heartbeat', text: heartbeat }
          : { kind: 'events', events: item.events, text: framesOf(item.events) };
      const pending = sink.write(chunk);
      if (pending) await pending;
    }
  } catch {
    // Subscriber overflow (H3): end the response; the client resumes from its checkpoint.
  } finally {
    clearInterval(timer);
    subscription.close();
    sink.end();
  }
}
