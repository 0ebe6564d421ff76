import { compareEventIds, isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import { createTaskEngine } from './task-engine';
import type { AuthContext, TaskHandler } from './types';

const alice: AuthContext = { subject: 'alice', scopes: [], attributes: {} };
const bob: AuthContext = { subject: 'bob', scopes: [], attributes: {} };

async function collect(
  engine: ReturnType<typeof createTaskEngine>,
  taskId: string,
  cursor: string | null = null,
) {
  const events: TaskEvent[] = [];
  const sub = engine.subscribe(alice, taskId, cursor);
  for await (const item of sub) if (item.kind === 'events') events.push(...item.events);
  return events;
}

describe('TaskEngine', () => {
  it('streams replay then live events and ends after the terminal event', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handler: TaskHandler = async (ctx) => {
      await ctx.message('a');
      await gate;
      await ctx.message('b');
      return { ok: true };
    };
    const engine = createTaskEngine({ handlers: { h: handler } });
    const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'h' });
    const done = collect(engine, response.taskId);
    release();
    const events = await done;
    expect(events.map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_MESSAGE',
      'TASK_MESSAGE',
      'TASK_COMPLETED',
    ]);
    for (let i = 1; i < events.length; i++) {
      expect(compareEventIds(events[i - 1]!.eventId, events[i]!.eventId)).toBe(-1);
    }
    // Resubscribing at the terminal ends at once with nothing (protocol/SPEC.md §6 extension).
    expect(await collect(engine, response.taskId, events.at(-1)!.eventId)).toEqual([]);
  });

  it('masks foreign tasks as not found', async () => {
    const engine = createTaskEngine({ handlers: { h: async () => 1 } });
    const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'h' });
    expect(() => engine.getTask(bob, response.taskId)).toThrowError(
      expect.objectContaining({ code: 'TASK_NOT_FOUND' }),
    );
    expect(() => engine.subscribe(bob, response.taskId, null)).toThrowError(
      expect.objectContaining({ code: 'TASK_NOT_FOUND' }),
    );
  });

  it('rejects malformed cursors', async () => {
    const engine = createTaskEngine({ handlers: { h: async () => 1 } });
    const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'h' });
    expect(() => engine.subscribe(alice, response.taskId, 'hb-1')).toThrowError(
      expect.objectContaining({ code: 'INVALID_REQUEST' }),
    );
  });

  it('suspends, accepts one action, deduplicates its repeat and resumes', async () => {
    const engine = createTaskEngine({
      handlers: {
        ask: async (ctx) => (await ctx.suspend({ reasonCode: 'r', allowedActions: ['ok'] })).payload,
      },
    });
    const { response } = await engine.createTask(alice, { clientRequestId: 'c1', taskType: 'ask' });
    const taskId = response.taskId;
    const events: TaskEvent[] = [];
    const sub = engine.subscribe(alice, taskId, null);
    for await (const item of sub) {
      if (item.kind !== 'events') continue;
      events.push(...item.events);
      const suspended = item.events.find((e) => e.type === 'TASK_SUSPENDED');
      if (suspended?.type === 'TASK_SUSPENDED') {
        const action = {
          clientActionId: 'a1',
          suspendId: suspended.payload.suspendId,
          actionType: 'ok',
          payload: { x: 1 },
        };
        expect((await engine.submitAction(alice, taskId, action)).response.status).toBe('ACCEPTED');
        expect((await engine.submitAction(alice, taskId, action)).response.status).toBe('DEDUPLICATED');
      }
    }
    expect(events.map((e) => e.type)).toEqual([
      'TASK_STARTED',
      'TASK_SUSPENDED',
      'TASK_ACTION_ACCEPTED',
      'TASK_COMPLETED',
    ]);
    const last = events.at(-1)!;
    expect(isTerminalEvent(last) && last.type === 'TASK_COMPLETED' && last.payload.result).toEqual({ x: 1 });
  });
});
