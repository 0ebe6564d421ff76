/**
 * One scenario table, two servers: the MSW kit (setupServer, in-process) and the real Express
 * reference server, each driven by the client over each forced transport. Both must show the same
 * observable results — event type sequences, terminal state, errors — because both run the same engine.
 */
import { restoreMswNodeGlobals } from './msw-node-globals';
import type { TaskBridgeClient } from '@taskbridge/client';
import { TaskBridgeError } from '@taskbridge/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startExpressTarget, startMswTarget, type Target } from './targets';

type Transport = 'websocket' | 'sse' | 'polling';

/** What a scenario observes; compared across targets. */
type Observation = Record<string, unknown>;

interface Scenario {
  name: string;
  /** Runs against a client forced onto one transport. */
  run(client: TaskBridgeClient): Promise<Observation>;
  expected: Observation;
  /** False when no stream ever goes live (so no transport is selected). Default true. */
  streams?: false;
}

const TRANSPORTS: readonly Transport[] = ['websocket', 'sse', 'polling'];

/** Starts a task and records every event type until the stream settles. */
async function observeTask(client: TaskBridgeClient, taskType: string, input: Record<string, unknown>) {
  const { stream } = await client.startTask({ taskType, input });
  const types: string[] = [];
  const sub = stream.events$.subscribe((event) => types.push(event.type));
  const final = await stream.settled();
  sub.unsubscribe();
  return { types, final };
}

async function errorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return TaskBridgeError.from(error).code;
  }
  return 'no error';
}

const ticks = (n: number) => Array.from({ length: n }, () => 'TASK_MESSAGE');

const scenarios: readonly Scenario[] = [
  {
    name: 'greet completes',
    async run(client) {
      const { types, final } = await observeTask(client, 'greet', { name: 'Ada' });
      return { types, status: final.status, result: final.result, text: final.text };
    },
    expected: {
      types: ['TASK_STARTED', 'TASK_PROGRESS', 'TASK_MESSAGE', 'TASK_COMPLETED'],
      status: 'completed',
      result: { greeting: 'Hello, Ada!' },
      text: 'Hello, Ada!',
    },
  },
  {
    name: 'ticker streams 100 events in order',
    async run(client) {
      const { types, final } = await observeTask(client, 'ticker', { count: 100 });
      return {
        types,
        status: final.status,
        lastMessage: final.messages.at(-1)?.message,
        result: final.result,
      };
    },
    expected: {
      types: ['TASK_STARTED', ...ticks(100), 'TASK_COMPLETED'],
      status: 'completed',
      lastMessage: 'tick 100',
      result: { count: 100 },
    },
  },
  {
    name: 'approval → approve → completed',
    async run(client) {
      const { stream } = await client.startTask({ taskType: 'approval', input: { question: 'Ship it?' } });
      const types: string[] = [];
      const sub = stream.events$.subscribe((event) => types.push(event.type));
      await new Promise<void>((resolve) => {
        const stop = stream.subscribe(() => {
          if (stream.getSnapshot().suspension) {
            stop();
            resolve();
          }
        });
      });
      const suspension = stream.getSnapshot().suspension;
      const answer = await stream.submitAction('approve', { comment: 'lgtm' });
      const final = await stream.settled();
      sub.unsubscribe();
      return {
        types,
        allowedActions: suspension?.allowedActions,
        answer: answer.status,
        status: final.status,
        result: final.result,
      };
    },
    expected: {
      types: [
        'TASK_STARTED',
        'TASK_PROGRESS',
        'TASK_SUSPENDED',
        'TASK_ACTION_ACCEPTED',
        'TASK_MESSAGE',
        'TASK_COMPLETED',
      ],
      allowedActions: ['approve', 'reject'],
      answer: 'ACCEPTED',
      status: 'completed',
      result: { approved: true, by: 'alice', comment: 'lgtm' },
    },
  },
  {
    name: 'fail → TASK_FAILED',
    async run(client) {
      const { types, final } = await observeTask(client, 'fail', { message: 'boom' });
      return { types, status: final.status, error: final.error };
    },
    expected: {
      types: ['TASK_STARTED', 'TASK_PROGRESS', 'TASK_FAILED'],
      status: 'failed',
      error: { code: 'TASK_EXECUTION_FAILED', message: 'boom', retryable: false },
    },
  },
  {
    name: 'cancel mid-stream → TASK_CANCELLED',
    async run(client) {
      const { stream } = await client.startTask({
        taskType: 'ticker',
        input: { count: 1000, intervalMs: 5 },
      });
      const types: string[] = [];
      let cancelled: Promise<unknown> | undefined;
      const sub = stream.events$.subscribe((event) => {
        types.push(event.type);
        if (event.type === 'TASK_MESSAGE') cancelled ??= stream.cancel('user_stopped');
      });
      const final = await stream.settled();
      sub.unsubscribe();
      const response = (await cancelled) as { status: string };
      const terminal = final.terminalEvent as { payload: { reason: string } } | null;
      return {
        first: types.slice(0, 2),
        last: types.at(-1),
        terminals: types.filter((t) => t.startsWith('TASK_C') || t === 'TASK_FAILED').length,
        cancelResponse: response.status,
        status: final.status,
        reason: terminal?.payload.reason,
      };
    },
    expected: {
      first: ['TASK_STARTED', 'TASK_MESSAGE'],
      last: 'TASK_CANCELLED',
      terminals: 1,
      cancelResponse: 'CANCELLATION_REQUESTED',
      status: 'cancelled',
      reason: 'user_stopped',
    },
  },
  {
    name: 'unknown task → TASK_NOT_FOUND',
    async run(client) {
      return { code: await errorCodeOf(client.task('no-such-task').settled()) };
    },
    expected: { code: 'TASK_NOT_FOUND' },
    streams: false,
  },
  {
    name: 'idempotent start twice → same taskId',
    async run(client) {
      const params = { taskType: 'greet', input: { name: 'Bo' }, clientRequestId: `idem-${Date.now()}` };
      const first = await client.startTask(params);
      const second = await client.startTask(params);
      await first.stream.settled();
      return {
        same: first.taskId === second.taskId,
        deduplicated: [first.response.deduplicated, second.response.deduplicated],
        conflict: await errorCodeOf(client.startTask({ ...params, input: { name: 'Other' } })),
      };
    },
    expected: { same: true, deduplicated: [false, true], conflict: 'IDEMPOTENCY_CONFLICT' },
  },
];

const observed = new Map<string, Observation>();

function describeTarget(name: Target['name'], start: () => Promise<Target> | Target) {
  describe(`${name} target`, () => {
    let target: Target;
    let client: TaskBridgeClient | undefined;
    beforeAll(async () => {
      target = await start();
    });
    afterEach(() => client?.close());
    afterAll(() => target.close());

    for (const transport of TRANSPORTS) {
      for (const scenario of scenarios) {
        it(`${scenario.name} over ${transport}`, async () => {
          client = target.client({ forceTransport: transport });
          const selected: string[] = [];
          client.diagnostics$.subscribe((d) => {
            if (d.type === 'transport-selected') selected.push(d.transport);
          });
          const observation = await scenario.run(client);
          observed.set(`${name}|${transport}|${scenario.name}`, observation);
          expect(observation).toEqual(scenario.expected);
          // The stream really went over the forced transport (none for the unknown task).
          expect(new Set(selected)).toEqual(new Set(scenario.streams === false ? [] : [transport]));
        });
      }
    }
  });
}

describeTarget('msw', () => startMswTarget());
describeTarget('express', () => startExpressTarget());

describe('MSW and Express agree', () => {
  afterAll(() => restoreMswNodeGlobals());

  it('observed the same results for every scenario and transport', () => {
    const keys = TRANSPORTS.flatMap((t) => scenarios.map((s) => `${t}|${s.name}`));
    expect(observed.size).toBe(keys.length * 2);
    for (const key of keys) expect(observed.get(`msw|${key}`)).toEqual(observed.get(`express|${key}`));
  });
});
