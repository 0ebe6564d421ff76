/**
 * The history-trimmed signal (protocol/SPEC.md §11) on all three transports, as one set of checks run
 * against the reference server (real retention) and the MSW kit (its `trimmed` fault): both must
 * produce exactly the same signal — the poll field, the WebSocket ack field, the SSE named event.
 */
import {
  CloseCode,
  HISTORY_TRIMMED_SSE_EVENT,
  parseHistoryTrimmedSseData,
  parsePollEventsResponse,
  parseServerFrame,
  type PollEventsResponse,
  type TaskEvent,
} from '@taskbridge/protocol';
import { expect, it } from 'vitest';
import { settleWithin } from './hazard-deferred';
import { dataOf, eventFramesOf, openSse } from './sse-reader';

/** The minimal WebSocket API both targets offer (`ws` in Node, MSW's patched global). */
export interface WebSocketLike {
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number }) => void): void;
}

/** A finished task whose history, as the target serves it, is trimmed. */
export interface TrimmedTask {
  taskId: string;
  /** The events the target still serves, oldest first; the last one is terminal. */
  retained: TaskEvent[];
  /** The newest event no longer served (`trimmedThrough`). */
  trimmedThrough: string;
}

/** A server under test. */
export interface TrimmedTarget {
  /** Absolute URL of an API path, e.g. `/api/v1/tasks/…/events`. */
  url(path: string): string;
  /** Headers carrying the caller's credentials. */
  headers: Record<string, string>;
  /** An authenticated WebSocket to the task route. */
  webSocket(): WebSocketLike;
  /** Creates a task and finishes it with its history trimmed as the target serves it. */
  trimmedTask(): Promise<TrimmedTask>;
}

/** A cursor older than any event the servers under test ever stored. */
const ANCIENT_CURSOR = '1-0';
const PROMPT_MS = 5_000;

const ids = (events: readonly TaskEvent[]) => events.map((e) => e.eventId);

async function poll(
  target: TrimmedTarget,
  taskId: string,
  cursor: string | null,
): Promise<PollEventsResponse> {
  const query = cursor === null ? '' : `?afterEventId=${encodeURIComponent(cursor)}`;
  const res = await fetch(target.url(`/api/v1/tasks/${taskId}/events${query}`), { headers: target.headers });
  expect(res.status).toBe(200);
  const body: unknown = await res.json();
  const parsed = parsePollEventsResponse(body);
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

/** The eventIds of the event frames among WebSocket frames (not the ack, not heartbeats). */
const eventIdsIn = (frames: readonly Record<string, unknown>[]) =>
  frames.filter((f) => f.type !== 'SUBSCRIPTION_CONFIRMED' && f.type !== 'HEARTBEAT').map((f) => f.eventId);

/** Subscribes over the WebSocket and collects every frame until the server closes. */
function subscribeWs(
  target: TrimmedTarget,
  taskId: string,
  lastEventId: string | null,
): Promise<{ frames: Record<string, unknown>[]; code: number }> {
  return new Promise((resolve) => {
    const socket = target.webSocket();
    const frames: Record<string, unknown>[] = [];
    socket.addEventListener('open', () =>
      socket.send(JSON.stringify({ action: 'subscribe', taskId, lastEventId })),
    );
    socket.addEventListener('message', (event) => {
      const value = JSON.parse(String(event.data)) as Record<string, unknown>;
      const parsed = parseServerFrame(value);
      if (!parsed.ok) throw parsed.error;
      frames.push(value);
    });
    socket.addEventListener('close', (event) => resolve({ frames, code: event.code }));
  });
}

async function readSse(target: TrimmedTarget, taskId: string, lastEventId: string | null) {
  const headers = { ...target.headers, ...(lastEventId === null ? {} : { 'last-event-id': lastEventId }) };
  const stream = await openSse(target.url(`/api/v1/tasks/${taskId}/events/stream`), { headers });
  await settleWithin(stream.done, PROMPT_MS, 'SSE end after the terminal event');
  return stream.frames;
}

/**
 * Registers the history-trimmed checks. Call inside a `describe`; `target()` is read when each test
 * runs (after `beforeAll`).
 */
export function historyTrimmedChecks(target: () => TrimmedTarget): void {
  it('poll: historyTrimmed with the requested cursor and the first retained id, then the retained tail', async () => {
    const t = target();
    const { taskId, retained } = await t.trimmedTask();
    for (const cursor of [null, ANCIENT_CURSOR]) {
      const page = await poll(t, taskId, cursor);
      expect(page.historyTrimmed).toEqual({
        requestedAfterEventId: cursor,
        firstRetainedEventId: retained[0]?.eventId,
      });
      expect(ids(page.events)).toEqual(ids(retained));
      expect(page.nextAfterEventId).toBe(retained.at(-1)?.eventId);
      expect(page.taskStatus).toBe('COMPLETED');
    }
  });

  it('poll: no historyTrimmed for a cursor at or after the newest trimmed event', async () => {
    const t = target();
    const { taskId, retained, trimmedThrough } = await t.trimmedTask();
    const atBoundary = await poll(t, taskId, trimmedThrough);
    expect(atBoundary).not.toHaveProperty('historyTrimmed');
    expect(ids(atBoundary.events)).toEqual(ids(retained));
    const inside = await poll(t, taskId, retained[1]?.eventId ?? null);
    expect(inside).not.toHaveProperty('historyTrimmed');
    expect(ids(inside.events)).toEqual(ids(retained.slice(2)));
  });

  it('WebSocket: the SUBSCRIPTION_CONFIRMED ack carries historyTrimmed, then the retained tail and 1000', async () => {
    const t = target();
    const { taskId, retained } = await t.trimmedTask();
    const { frames, code } = await settleWithin(subscribeWs(t, taskId, null), PROMPT_MS, 'WebSocket close');
    expect(code).toBe(CloseCode.NORMAL);
    expect(frames[0]).toEqual({
      type: 'SUBSCRIPTION_CONFIRMED',
      taskId,
      replayStartedAfterEventId: null,
      live: true,
      historyTrimmed: { requestedAfterEventId: null, firstRetainedEventId: retained[0]?.eventId },
    });
    expect(eventIdsIn(frames)).toEqual(ids(retained));
  });

  it('WebSocket: no historyTrimmed in the ack for a retained cursor', async () => {
    const t = target();
    const { taskId, retained, trimmedThrough } = await t.trimmedTask();
    const { frames, code } = await settleWithin(
      subscribeWs(t, taskId, trimmedThrough),
      PROMPT_MS,
      'WebSocket close',
    );
    expect(code).toBe(CloseCode.NORMAL);
    expect(frames[0]).toEqual({
      type: 'SUBSCRIPTION_CONFIRMED',
      taskId,
      replayStartedAfterEventId: trimmedThrough,
      live: true,
    });
    expect(eventIdsIn(frames)).toEqual(ids(retained));
  });

  it('SSE: one named history-trimmed event without id: before the replay, then the retained tail', async () => {
    const t = target();
    const { taskId, retained } = await t.trimmedTask();
    const frames = await readSse(t, taskId, ANCIENT_CURSOR);
    const [signal] = frames;
    expect(signal?.fields).toEqual(['event', 'data']);
    expect(signal?.id).toBeUndefined();
    expect(signal?.raw.split('\n')[0]).toBe(`event: ${HISTORY_TRIMMED_SSE_EVENT}`);
    const data = parseHistoryTrimmedSseData(dataOf(signal as NonNullable<typeof signal>));
    if (!data.ok) throw data.error;
    expect(data.value).toEqual({
      taskId,
      requestedAfterEventId: ANCIENT_CURSOR,
      firstRetainedEventId: retained[0]?.eventId,
    });
    expect(frames.filter((f) => f.fields.includes('event'))).toHaveLength(1);
    expect(eventFramesOf(frames).map((f) => f.id)).toEqual(ids(retained));
  });

  it('SSE: no history-trimmed event for a retained cursor', async () => {
    const t = target();
    const { taskId, retained, trimmedThrough } = await t.trimmedTask();
    const frames = await readSse(t, taskId, trimmedThrough);
    expect(frames.filter((f) => f.fields.includes('event'))).toEqual([]);
    expect(eventFramesOf(frames).map((f) => f.id)).toEqual(ids(retained));
  });
}
