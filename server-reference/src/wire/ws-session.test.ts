import type { TaskEvent } from '@taskbridge/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTaskEngine, type TaskEngine } from '../engine/task-engine';
import type { AuthContext, TaskHandler } from '../engine/types';
import { createDemoAuthResolver } from '../auth/demo';
import { resolveServerOptions } from '../options';
import { type AuthOutcome, startWsSession, type WsFrame, type WsPeer, type WsSession } from './ws-session';

const alice: AuthContext = { subject: 'alice', scopes: [], attributes: {} };
const authOk: Promise<AuthOutcome> = Promise.resolve({ ok: true, value: alice });
const options = resolveServerOptions({
  auth: createDemoAuthResolver(),
  heartbeatIntervalMs: { websocket: 60_000, sse: 60_000 },
});

/** A peer that logs what the session does, in order; `slow` makes the send of those eventIds wait. */
function recordingPeer(slow = new Set<string>()) {
  const log: string[] = [];
  const release: (() => void)[] = [];
  let open = true;
  let closedWith: number | undefined;
  const peer: Required<WsPeer> = {
    send(_text: string, frame: WsFrame) {
      if (frame.kind !== 'event') return undefined;
      const event: TaskEvent = frame.event;
      log.push(`send ${event.type}`);
      if (!slow.has(event.eventId)) return undefined;
      return new Promise<void>((resolve) => release.push(resolve));
    },
    cork: () => log.push('cork'),
    uncork: () => log.push('uncork'),
    close(code) {
      log.push(`close ${code}`);
      open = false;
      closedWith = code;
    },
    abort(code) {
      log.push(`abort ${code}`);
      open = false;
      closedWith = code;
    },
    isOpen: () => open,
  };
  return { peer, log, release, closed: () => closedWith };
}

let session: WsSession | undefined;
afterEach(() => session?.closed());

async function finishedTask(engine: TaskEngine, messages: number): Promise<TaskEvent[]> {
  const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'ticker' });
  return vi.waitFor(async () => {
    const page = await engine.backend.events.read(response.taskId, null, 100);
    expect(page.events).toHaveLength(messages + 2);
    return page.events;
  });
}

const ticker: TaskHandler = async (ctx) => {
  for (let i = 0; i < 3; i++) await ctx.message(`m${i}`);
  return null;
};

describe('WebSocket session: batches leave corked', () => {
  it('corks once around a replayed batch and closes 1000 after the terminal event', async () => {
    const engine = createTaskEngine({ handlers: { ticker } });
    const events = await finishedTask(engine, 3);
    const { peer, log, closed } = recordingPeer();
    session = startWsSession(peer, engine, options, authOk);
    session.receive(JSON.stringify({ action: 'subscribe', taskId: events[0]?.taskId, lastEventId: null }));
    await vi.waitFor(() => expect(closed()).toBe(1000));
    expect(log).toEqual([
      'cork',
      'send TASK_STARTED',
      'send TASK_MESSAGE',
      'send TASK_MESSAGE',
      'send TASK_MESSAGE',
      'send TASK_COMPLETED',
      'uncork',
      'close 1000',
    ]);
  });

  it('does not cork a lone event (nothing to batch, nothing delayed)', async () => {
    const engine = createTaskEngine({ handlers: { ticker } });
    const events = await finishedTask(engine, 3);
    const { peer, log, closed } = recordingPeer();
    session = startWsSession(peer, engine, options, authOk);
    const cursor = events.at(-2)?.eventId;
    session.receive(JSON.stringify({ action: 'subscribe', taskId: events[0]?.taskId, lastEventId: cursor }));
    await vi.waitFor(() => expect(closed()).toBe(1000));
    expect(log).toEqual(['send TASK_COMPLETED', 'close 1000']);
  });

  it('uncorks before waiting on backpressure, so the frame waited for can leave', async () => {
    const engine = createTaskEngine({ handlers: { ticker } });
    const events = await finishedTask(engine, 3);
    const { peer, log, release, closed } = recordingPeer(new Set([events[1]?.eventId ?? '']));
    session = startWsSession(peer, engine, options, authOk);
    session.receive(JSON.stringify({ action: 'subscribe', taskId: events[0]?.taskId, lastEventId: null }));
    await vi.waitFor(() => expect(release).toHaveLength(1));
    expect(log).toEqual(['cork', 'send TASK_STARTED', 'send TASK_MESSAGE', 'uncork']);
    release[0]?.();
    await vi.waitFor(() => expect(closed()).toBe(1000));
    expect(log.slice(4)).toEqual([
      'send TASK_MESSAGE',
      'send TASK_MESSAGE',
      'send TASK_COMPLETED',
      'close 1000',
    ]);
  });
});

describe('WebSocket session: the drain budget (H3)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts with 1013 a reader that does not drain within drainTimeoutMs, while the send is pending', async () => {
    const engine = createTaskEngine({ handlers: { ticker } });
    const events = await finishedTask(engine, 3);
    const budgeted = resolveServerOptions({
      auth: createDemoAuthResolver(),
      heartbeatIntervalMs: { websocket: 60_000 },
      subscriberBudget: { drainTimeoutMs: 5_000 },
    });
    // The reader never drains the second frame.
    const { peer, log, closed } = recordingPeer(new Set([events[1]?.eventId ?? '']));
    vi.useFakeTimers();
    session = startWsSession(peer, engine, budgeted, authOk);
    session.receive(JSON.stringify({ action: 'subscribe', taskId: events[0]?.taskId, lastEventId: null }));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(closed()).toBeUndefined();
    expect(log.at(-1)).toBe('uncork');
    await vi.advanceTimersByTimeAsync(1);
    expect(closed()).toBe(1013);
    expect(log.at(-1)).toBe('abort 1013');
  });
});
