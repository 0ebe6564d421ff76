/**
 * Promises the test resolves by hand, so hazard tests can hold a task handler or a store call at an
 * exact point instead of sleeping.
 */
import type { TaskContext, TaskHandler } from '@taskbridge/server-reference';
import { vi } from 'vitest';

/** A promise with its resolver exposed. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  readonly settled: boolean;
}

/** Creates a {@link Deferred}. */
export function createDeferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let settled = false;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return {
    promise,
    resolve(value) {
      settled = true;
      resolve(value);
    },
    get settled() {
      return settled;
    },
  };
}

/**
 * Named gates: `wait(key)` blocks until `open(key)`; either call may come first. Keys are usually
 * task ids, so a handler can wait for the test without knowing when the test learns the id.
 */
export class Gates {
  readonly #gates = new Map<string, Deferred>();

  #gate(key: string): Deferred {
    let gate = this.#gates.get(key);
    if (!gate) {
      gate = createDeferred();
      this.#gates.set(key, gate);
    }
    return gate;
  }

  /** Resolves when `open(key)` has been called. */
  wait(key: string): Promise<void> {
    return this.#gate(key).promise;
  }

  /** Opens the gate `key` (idempotent). */
  open(key: string): void {
    this.#gate(key).resolve();
  }
}

/** What a {@link gatedHandler} does once its gate opens: return, throw, or emit first then return. */
export type GatedOutcome = 'complete' | 'fail';

/**
 * A handler that emits one progress event, waits for `gates.open(taskId)`, emits one message, then
 * completes (`input.outcome` absent or `'complete'`) or throws (`'fail'`). Cancel it while it waits to
 * get a cancel terminal on the live path.
 */
export function gatedHandler(gates: Gates): TaskHandler {
  return async (ctx: TaskContext) => {
    await ctx.progress(10, { stage: 'waiting' });
    await Promise.race([
      gates.wait(ctx.taskId),
      new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    ]);
    await ctx.message('gate opened');
    if (ctx.input.outcome === 'fail') throw new Error('gated task failed on purpose');
    return { gated: true };
  };
}

/**
 * Resolves with `promise`'s value if it settles within `timeoutMs`, else fails the test. Uses
 * `vi.waitFor`, so a hung request fails fast with a clear message instead of at the test timeout.
 */
export async function settleWithin<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await vi.waitFor(
    () => {
      if (!settled) throw new Error(`${what} did not settle within ${timeoutMs} ms`);
    },
    { timeout: timeoutMs, interval: 5 },
  );
  return promise;
}
