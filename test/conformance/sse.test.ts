/**
 * protocol/SPEC.md §5 — `GET /api/v1/tasks/{taskId}/events/stream`: exact framing, headers, resume by
 * `Last-Event-ID` (header) and `?lastEventId=` (E, header wins), the end of the response after the
 * terminal event (E, hazard H1), the immediate heartbeat after replay (E), and 404/400 envelopes
 * before any header is sent (E).
 */
import { isTerminalEvent, parseTaskEvent, type TaskEvent } from '@taskbridge/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  collectUntilTerminal,
  expectErrorEnvelope,
  postJson,
  taskPaths,
  waitForEvent,
} from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';
import { dataOf, eventFramesOf, openSse, type SseFrame, type SseStream } from '../support/sse-reader';

const paths = taskPaths();
let ts: TestServer;
const streams: SseStream[] = [];

beforeAll(async () => {
  // A long interval: any heartbeat seen within a test is the one sent right after replay.
  ts = await startTestServer({ heartbeatIntervalMs: { sse: 60_000 } });
});
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
});
afterAll(() => ts.close());

async function open(
  taskId: string,
  options: { lastEventId?: string; query?: string; subject?: string } = {},
) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.subject ?? 'alice'}` };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const stream = await openSse(`${ts.url}${paths.stream(taskId)}${options.query ?? ''}`, { headers });
  streams.push(stream);
  return stream;
}

const eventsOf = (frames: readonly SseFrame[]) => eventFramesOf(frames).map((f) => dataOf(f) as TaskEvent);

async function waitForEnd(stream: SseStream): Promise<void> {
  await vi.waitFor(() => expect(stream.ended).toBe(true), { timeout: 5000, interval: 20 });
  expect(stream.endedByServer).toBe(true);
}

describe('framing and headers', () => {
  it('frames each event as exactly `id: <eventId>\\ndata: <json>\\n\\n` and ends after the terminal event', async () => {
    const taskId = await ts.createTask('greet', { name: 'SSE' });
    const expected = await collectUntilTerminal(ts, taskId);
    const stream = await open(taskId);
    await waitForEnd(stream);

    const frames = eventFramesOf(stream.frames);
    expect(frames).toHaveLength(expected.length);
    frames.forEach((frame, i) => {
      const event = expected[i] as TaskEvent;
      expect(frame.raw).toBe(`id: ${event.eventId}\ndata: ${JSON.stringify(event)}`);
      const parsed = parseTaskEvent(dataOf(frame));
      expect(parsed.ok && parsed.conformance).toBe('valid');
    });
    // Whole body: event frames only, each terminated by a blank line; no event:/retry: fields.
    expect(stream.text()).toBe(
      expected.map((e) => `id: ${e.eventId}\ndata: ${JSON.stringify(e)}\n\n`).join(''),
    );
    for (const frame of stream.frames)
      expect(frame.fields.filter((f) => f !== 'id' && f !== 'data')).toEqual([]);
  });

  it('sends the SSE headers', async () => {
    const taskId = await ts.createTask('greet');
    const stream = await open(taskId);
    const { headers } = stream.response;
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(headers.get('x-accel-buffering')).toBe('no');
    expect(headers.get('connection')).toBe('keep-alive');
    await waitForEnd(stream);
  });

  it('sends a comment and a JSON HEARTBEAT data frame without id: right after the replay (E)', async () => {
    const taskId = await ts.createTask('approval', {});
    const { events: replayed } = await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED');
    const stream = await open(taskId);
    // The configured interval is 60 s: a heartbeat within 3 s can only be the post-replay one.
    await vi.waitFor(() => expect(stream.frames.some((f) => f.data?.includes('HEARTBEAT'))).toBe(true), {
      timeout: 3000,
      interval: 20,
    });
    const beat = stream.frames.findIndex((f) => f.data?.includes('HEARTBEAT'));
    const heartbeat = stream.frames[beat] as SseFrame;
    expect(heartbeat.id).toBeUndefined();
    expect(heartbeat.fields).toEqual(['data']);
    expect(dataOf(heartbeat)).toEqual({ type: 'HEARTBEAT', taskId, live: true });
    expect(stream.frames[beat - 1]?.comments).toEqual(['heartbeat']);
    // Every replayed event came before it.
    expect(eventsOf(stream.frames.slice(0, beat))).toEqual(replayed);
    expect(stream.ended).toBe(false);
    await postJson(ts, paths.cancel(taskId), {});
  });
});

describe('resume', () => {
  let taskId: string;
  let all: TaskEvent[];
  beforeAll(async () => {
    taskId = await ts.createTask('ticker', { count: 6 });
    all = await collectUntilTerminal(ts, taskId);
  });

  it('replays strictly after the Last-Event-ID header', async () => {
    const stream = await open(taskId, { lastEventId: all[2]?.eventId as string });
    await waitForEnd(stream);
    expect(eventsOf(stream.frames)).toEqual(all.slice(3));
  });

  it('replays strictly after ?lastEventId= when no header is sent (E)', async () => {
    const stream = await open(taskId, { query: `?lastEventId=${all[4]?.eventId}` });
    await waitForEnd(stream);
    expect(eventsOf(stream.frames)).toEqual(all.slice(5));
  });

  it('lets the header win over the query parameter', async () => {
    const stream = await open(taskId, {
      lastEventId: all[3]?.eventId as string,
      query: `?lastEventId=${all[0]?.eventId}`,
    });
    await waitForEnd(stream);
    expect(eventsOf(stream.frames)).toEqual(all.slice(4));
  });

  it('replays everything for an empty Last-Event-ID', async () => {
    const stream = await open(taskId, { lastEventId: '' });
    await waitForEnd(stream);
    expect(eventsOf(stream.frames)).toEqual(all);
  });

  it('ends at once, with no event frame, when the cursor is at the terminal event (E)', async () => {
    const t0 = Date.now();
    const stream = await open(taskId, { lastEventId: all.at(-1)?.eventId as string });
    await waitForEnd(stream);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(eventFramesOf(stream.frames)).toEqual([]);
  });
});

describe('live', () => {
  it('delivers replay then live events without gaps or duplicates and ends after the terminal event (H1)', async () => {
    const taskId = await ts.createTask('ticker', { count: 8, intervalMs: 40 });
    await waitForEvent(ts, taskId, (e) => e.type === 'TASK_MESSAGE');
    const stream = await open(taskId);
    await waitForEnd(stream);
    const streamed = eventsOf(stream.frames);
    expect(streamed).toEqual(await collectUntilTerminal(ts, taskId));
    expect(streamed.filter(isTerminalEvent)).toHaveLength(1);
    // The post-replay heartbeat came before the live ticks, hence before the terminal frame.
    const beat = stream.frames.findIndex((f) => f.data?.includes('"HEARTBEAT"'));
    expect(beat).toBeGreaterThan(0);
    expect(beat).toBeLessThan(stream.frames.findIndex((f) => f.data?.includes('"TASK_COMPLETED"')));
  });

  it('ends with TASK_CANCELLED when the task is cancelled while streaming', async () => {
    const taskId = await ts.createTask('approval', {});
    await waitForEvent(ts, taskId, (e) => e.type === 'TASK_SUSPENDED');
    const stream = await open(taskId);
    await vi.waitFor(() => expect(stream.frames.some((f) => f.data?.includes('HEARTBEAT'))).toBe(true));
    await postJson(ts, paths.cancel(taskId), { reason: 'stop' });
    await waitForEnd(stream);
    expect(eventsOf(stream.frames).at(-1)).toMatchObject({
      type: 'TASK_CANCELLED',
      payload: { reason: 'stop' },
    });
  });
});

describe('errors before headers (E)', () => {
  const get = (taskId: string, headers: Record<string, string> = {}, query = '') =>
    ts.request(`${paths.stream(taskId)}${query}`, { subject: 'alice', headers });

  it('answers 404 TASK_NOT_FOUND for an unknown task', async () => {
    await expectErrorEnvelope(await get('no-such-task'), 404, 'TASK_NOT_FOUND');
  });

  it("answers 404 TASK_NOT_FOUND for another owner's task", async () => {
    const taskId = await ts.createTask('greet', {}, 'bob');
    await expectErrorEnvelope(await get(taskId), 404, 'TASK_NOT_FOUND');
  });

  it.each([['abc'], ['hb-1795292690194'], ['1-2-3']])(
    'answers 400 INVALID_REQUEST for Last-Event-ID %s',
    async (id) => {
      const taskId = await ts.createTask('greet');
      await expectErrorEnvelope(await get(taskId, { 'last-event-id': id }), 400, 'INVALID_REQUEST');
    },
  );

  it('answers 400 INVALID_REQUEST for a bad ?lastEventId=', async () => {
    const taskId = await ts.createTask('greet');
    await expectErrorEnvelope(await get(taskId, {}, '?lastEventId=abc'), 400, 'INVALID_REQUEST');
  });
});
