/**
 * Property: whatever a task handler does — throw or reject anything, hang past the deadline, return
 * or emit values that are not JSON, pass bad `suspend()` options, write past the limits, catch its own
 * errors and go on — the engine ends every task with exactly one terminal event, the one an oracle
 * predicts from the plan, and nothing becomes an unhandled rejection. Fake timers: the deadline and
 * sleeps cost no wall-clock time.
 */
import { isTerminalEvent, type TaskEvent } from '@taskbridge/protocol';
import {
  type AuthContext,
  createTaskEngine,
  type TaskContext,
  type TaskHandler,
  type TaskYield,
} from '@taskbridge/server-reference';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertProperty } from '../support/fuzz-property';

const CASES = 600;
const DEADLINE_MS = 5000;
const MAX_EVENTS = 40;
const MAX_PAYLOAD_BYTES = 4096;
const alice: AuthContext = { subject: 'alice', scopes: [], attributes: {} };

// ---- what a hostile handler may hand over -------------------------------------------------------

const cycle: Record<string, unknown> = {};
cycle.self = cycle;
const trap = () => {
  throw new Error('trap');
};
const hostileProxy = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap });
const NON_JSON: Record<string, () => unknown> = {
  function: () => () => 1,
  nestedFunction: () => ({ a: [1, { f: () => 2 }] }),
  bigint: () => ({ n: 1n }),
  symbol: () => Symbol('s'),
  cycle: () => cycle,
  nan: () => ({ x: Number.NaN }),
  infinity: () => Number.POSITIVE_INFINITY,
  throwingGetter: () => ({
    get x() {
      throw new Error('getter');
    },
  }),
  throwingToJson: () => ({ toJSON: trap }),
  proxy: () => hostileProxy,
  tooLarge: () => ({ blob: 'z'.repeat(MAX_PAYLOAD_BYTES + 1) }),
  tooDeep: () => {
    let v: unknown = 1;
    for (let i = 0; i < 100; i++) v = { v };
    return v;
  },
};
const THROWN: Record<string, () => unknown> = {
  error: () => new Error('boom'),
  string: () => 'just a string',
  nothing: () => undefined,
  null: () => null,
  proxy: () => hostileProxy,
  codeNotString: () => ({ code: 42, message: { not: 'a string' } }),
  hugeCode: () => ({ code: 'C'.repeat(10_000), message: 'm'.repeat(100_000) }),
  taskBridgeLike: () => ({ code: 'MY_FAILURE', message: 'mine', retryable: true }),
};
const BAD_EMITS: Record<string, (ctx: TaskContext) => Promise<unknown>> = {
  messageNumber: (ctx) => ctx.message(42 as never),
  messageObject: (ctx) => ctx.message({ a: 1 } as never),
  progressNaN: (ctx) => ctx.progress(Number.NaN),
  progressString: (ctx) => ctx.progress('50' as never),
  levelUnknown: (ctx) => ctx.message('x', 'loud' as never),
  stageFunction: (ctx) => ctx.progress(5, { stage: (() => 1) as never }),
  messageTooLarge: (ctx) => ctx.message('q'.repeat(MAX_PAYLOAD_BYTES + 1)),
};
const BAD_YIELDS: Record<string, () => unknown> = {
  null: () => null,
  string: () => 'tick',
  unknownType: () => ({ type: 'shout', message: 'x' }),
  messageMissing: () => ({ type: 'message' }),
  progressInfinity: () => ({ type: 'progress', progress: Number.POSITIVE_INFINITY }),
};
const BAD_SUSPENDS: Record<string, unknown> = {
  null: null,
  noActions: { reasonCode: 'r', allowedActions: [] },
  actionsNotArray: { reasonCode: 'r', allowedActions: 'approve' },
  reasonMissing: { allowedActions: ['ok'] },
  kindUnknown: { reasonCode: 'r', allowedActions: ['ok'], kind: 'NOW' },
  expiryUnrepresentable: { reasonCode: 'r', allowedActions: ['ok'], expiresInMs: 1e16 },
  expiryNegative: { reasonCode: 'r', allowedActions: ['ok'], expiresInMs: -5 },
  expiryNaN: { reasonCode: 'r', allowedActions: ['ok'], expiresInMs: Number.NaN },
  schemaVersionZero: { reasonCode: 'r', allowedActions: ['ok'], schemaVersion: 0 },
  interactionFunction: { reasonCode: 'r', allowedActions: ['ok'], interaction: { f: () => 1 } },
  uiHintsBigint: { reasonCode: 'r', allowedActions: ['ok'], uiHints: { n: 2n } },
  interactionArray: { reasonCode: 'r', allowedActions: ['ok'], interaction: [1, 2] },
};

// ---- plans ------------------------------------------------------------------------------------------

type Step =
  | { kind: 'message'; text: string }
  | { kind: 'badEmit'; which: string }
  | { kind: 'badYield'; which: string }
  | { kind: 'badSuspend'; which: string }
  | { kind: 'sleep'; ms: number }
  | { kind: 'throw'; which: string };
type End =
  | { kind: 'return'; value: unknown }
  | { kind: 'returnNonJson'; which: string }
  | { kind: 'throw'; which: string }
  | { kind: 'reject'; which: string }
  | { kind: 'hang' }
  | { kind: 'suspendForever'; expiresInMs: number | undefined };
interface Plan {
  generator: boolean;
  /** Each step's error is caught by the handler, which goes on. */
  catches: boolean;
  steps: Step[];
  end: End;
}

const keyOf = (record: Record<string, unknown>) => fc.constantFrom(...Object.keys(record));
// Sleeps whose sums never land within 700 ms of the deadline (5000): the oracle is never borderline.
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('message' as const), text: fc.string({ maxLength: 40 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('badEmit' as const), which: keyOf(BAD_EMITS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('badYield' as const), which: keyOf(BAD_YIELDS) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('badSuspend' as const), which: keyOf(BAD_SUSPENDS) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('sleep' as const), ms: fc.constantFrom(0, 7, 1300, 2900) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('throw' as const), which: keyOf(THROWN) }) },
);
const endArb: fc.Arbitrary<End> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('return' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('returnNonJson' as const), which: keyOf(NON_JSON) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('throw' as const), which: keyOf(THROWN) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reject' as const), which: keyOf(THROWN) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hang' as const }) },
  {
    weight: 1,
    // 3e9 ms is past the 32-bit timer range: it must not expire early.
    arbitrary: fc.record({
      kind: fc.constant('suspendForever' as const),
      expiresInMs: fc.constantFrom(undefined, 3e9, 60_000),
    }),
  },
);
const planArb: fc.Arbitrary<Plan> = fc.record({
  generator: fc.boolean(),
  catches: fc.boolean(),
  steps: fc.array(stepArb, { maxLength: 45 }),
  end: endArb,
});

/** The handler a plan describes. */
function handlerOf(plan: Plan): TaskHandler {
  const attempt = async (ctx: TaskContext, step: Step, emit: (item: unknown) => Promise<unknown>) => {
    switch (step.kind) {
      case 'message':
        return emit({ type: 'message', message: step.text });
      case 'badEmit':
        return BAD_EMITS[step.which]?.(ctx);
      case 'badYield':
        return emit(BAD_YIELDS[step.which]?.());
      case 'badSuspend':
        return ctx.suspend(BAD_SUSPENDS[step.which] as never);
      case 'sleep':
        return ctx.sleep(step.ms);
      case 'throw':
        throw THROWN[step.which]?.();
    }
  };
  const finish = (ctx: TaskContext): unknown => {
    const { end } = plan;
    switch (end.kind) {
      case 'return':
        return end.value;
      case 'returnNonJson':
        return NON_JSON[end.which]?.();
      case 'throw':
        throw THROWN[end.which]?.();
      case 'reject':
        return Promise.reject(THROWN[end.which]?.());
      case 'hang':
        return new Promise(() => undefined);
      case 'suspendForever':
        return ctx.suspend({
          reasonCode: 'wait',
          allowedActions: ['ok'],
          ...(end.expiresInMs === undefined ? {} : { expiresInMs: end.expiresInMs }),
        });
    }
  };
  if (!plan.generator) {
    return async (ctx) => {
      const emit = (item: unknown) => {
        const y = item as TaskYield;
        return y?.type === 'message'
          ? ctx.message(y.message)
          : ctx.progress((y as { progress: number })?.progress);
      };
      for (const step of plan.steps) {
        if (plan.catches) await attempt(ctx, step, emit).catch(() => undefined);
        else await attempt(ctx, step, emit);
      }
      return finish(ctx);
    };
  }
  return async function* (ctx): AsyncGenerator<TaskYield, unknown, undefined> {
    for (const step of plan.steps) {
      if (step.kind === 'message' || step.kind === 'badYield') {
        // A yield's fault is the runner's to catch, never the generator's.
        yield (
          step.kind === 'message' ? { type: 'message', message: step.text } : BAD_YIELDS[step.which]?.()
        ) as TaskYield;
        continue;
      }
      if (plan.catches) await attempt(ctx, step, () => Promise.resolve()).catch(() => undefined);
      else await attempt(ctx, step, () => Promise.resolve());
    }
    return await finish(ctx);
  };
}

/** What the task must end with: terminal type and, for failures the engine decides, the code. */
function expected(plan: Plan): { type: TaskEvent['type']; code?: string; result?: unknown } {
  let elapsed = 0;
  let written = 1; // TASK_STARTED
  for (const step of plan.steps) {
    const yielded = plan.generator && (step.kind === 'message' || step.kind === 'badYield');
    if (step.kind === 'message') {
      if (written >= MAX_EVENTS) return { type: 'TASK_FAILED', code: 'TASK_LIMIT_EXCEEDED' };
      written += 1;
      continue;
    }
    if (step.kind === 'sleep') {
      elapsed += step.ms;
      if (elapsed >= DEADLINE_MS) return { type: 'TASK_FAILED', code: 'TASK_DEADLINE_EXCEEDED' };
      continue;
    }
    if (step.kind === 'badEmit' && step.which === 'messageTooLarge') {
      return { type: 'TASK_FAILED', code: 'TASK_LIMIT_EXCEEDED' };
    }
    if (yielded || !plan.catches) {
      return step.kind === 'throw'
        ? { type: 'TASK_FAILED' }
        : { type: 'TASK_FAILED', code: 'INVALID_HANDLER_OUTPUT' };
    }
  }
  switch (plan.end.kind) {
    case 'return':
      return { type: 'TASK_COMPLETED', result: plan.end.value === undefined ? null : plan.end.value };
    case 'returnNonJson':
      // Resolving a promise with the proxy reads its `then`, which throws: that is a rejection.
      if (plan.end.which === 'proxy') return { type: 'TASK_FAILED' };
      return plan.end.which === 'tooLarge'
        ? { type: 'TASK_FAILED', code: 'TASK_LIMIT_EXCEEDED' }
        : { type: 'TASK_FAILED', code: 'INVALID_HANDLER_OUTPUT' };
    case 'throw':
    case 'reject':
      return { type: 'TASK_FAILED' };
    case 'hang':
      return { type: 'TASK_FAILED', code: 'TASK_DEADLINE_EXCEEDED' };
    case 'suspendForever':
      return plan.end.expiresInMs === undefined || plan.end.expiresInMs > DEADLINE_MS
        ? { type: 'TASK_FAILED', code: 'TASK_DEADLINE_EXCEEDED' }
        : { type: 'TASK_FAILED', code: 'SUSPENSION_EXPIRED' };
  }
}

// ---- the property -------------------------------------------------------------------------------

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  vi.useFakeTimers();
});
afterAll(async () => {
  vi.useRealTimers();
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onUnhandled);
});

describe('hostile task handlers', () => {
  it(`end every task with exactly the one predicted terminal event (${CASES} cases)`, async () => {
    await assertProperty(
      fc.asyncProperty(planArb, async (plan) => {
        // JSON.stringify drops -0's sign and the like: the oracle compares the JSON form.
        const want = expected(plan);
        const engine = createTaskEngine({
          handlers: { hostile: handlerOf(plan) },
          limits: {
            taskDeadlineMs: DEADLINE_MS,
            maxEventsPerTask: MAX_EVENTS,
            maxEventPayloadBytes: MAX_PAYLOAD_BYTES,
          },
        });
        try {
          const { response } = await engine.createTask(alice, { clientRequestId: 'c', taskType: 'hostile' });
          let events: TaskEvent[] = [];
          for (let waited = 0; waited <= DEADLINE_MS + 1000; waited += 250) {
            events = (await engine.backend.events.read(response.taskId, null, 1000)).events;
            if (events.some(isTerminalEvent)) break;
            await vi.advanceTimersByTimeAsync(250);
          }
          // Time goes on: nothing may follow the terminal event.
          await vi.advanceTimersByTimeAsync(DEADLINE_MS);
          events = (await engine.backend.events.read(response.taskId, null, 1000)).events;
          const terminals = events.filter(isTerminalEvent);
          expect(terminals, JSON.stringify(events.map((e) => e.type))).toHaveLength(1);
          expect(events.at(-1)).toBe(terminals[0]);
          expect(events[0]?.type).toBe('TASK_STARTED');
          const last = terminals[0] as TaskEvent;
          expect(last.type).toBe(want.type);
          if (want.code) expect((last.payload as { code: string }).code).toBe(want.code);
          if ('result' in want) {
            expect((last.payload as { result: unknown }).result).toEqual(
              JSON.parse(JSON.stringify(want.result)),
            );
          }
          // Every stored event is JSON a client can parse back to the same thing.
          for (const event of events) expect(JSON.parse(JSON.stringify(event))).toEqual(event);
          expect(unhandled).toEqual([]);
        } finally {
          await engine.shutdown();
        }
      }),
      CASES,
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(unhandled).toEqual([]);
  }, 240_000);
});
