import { TaskBridgeError } from '@taskbridge/protocol';
import type { TaskHandler, TaskYield } from '../engine/types';

/** Options of {@link createTickerHandler}: bounds on what a request may ask of the demo `ticker`. */
export interface TickerOptions {
  /** Largest `count` accepted; more → 400 `INVALID_REQUEST`. Default 100,000 events. */
  maxCount?: number;
  /** Largest `payloadBytes` accepted; more → 400 `INVALID_REQUEST`. Default 65,536 bytes. */
  maxPayloadBytes?: number;
  /**
   * Largest `count × payloadBytes` accepted (what the task would store); more → 413
   * `PAYLOAD_TOO_LARGE`. Default 33,554,432 bytes (32 MiB), under the engine's default
   * `maxTaskBytes` (64 MiB).
   */
  maxTotalBytes?: number;
  /** Largest `intervalMs` accepted; more → 400 `INVALID_REQUEST`. Default 60,000 ms. */
  maxIntervalMs?: number;
}

const invalid = (message: string, details: Record<string, unknown>) =>
  new TaskBridgeError({ code: 'INVALID_REQUEST', message, details });

function integerIn(value: unknown, name: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw invalid(`${name} must be an integer from 0 to ${max}`, { field: name, max });
  }
  return value;
}

/**
 * Creates the demo `ticker`: `count` `TASK_MESSAGE` events (default 10) every `intervalMs` (default 0:
 * as fast as the store takes them; ms), each carrying `payloadBytes` of text (default 0: `tick N`).
 * Result `{ count }`. For tests and benchmarks. Its `validateInput` refuses, at create time, inputs
 * over the {@link TickerOptions} bounds: one request must not be able to fill the process's memory.
 */
export function createTickerHandler(options: TickerOptions = {}): TaskHandler {
  const maxCount = options.maxCount ?? 100_000;
  const maxPayloadBytes = options.maxPayloadBytes ?? 65_536;
  const maxTotalBytes = options.maxTotalBytes ?? 32 * 1024 * 1024;
  const maxIntervalMs = options.maxIntervalMs ?? 60_000;
  const read = (input: Record<string, unknown>) => ({
    count: integerIn(input.count, 'count', maxCount, 10),
    payloadBytes: integerIn(input.payloadBytes, 'payloadBytes', maxPayloadBytes, 0),
    intervalMs: integerIn(input.intervalMs, 'intervalMs', maxIntervalMs, 0),
  });
  async function* ticker(ctx: Parameters<TaskHandler>[0]): AsyncGenerator<TaskYield, unknown, undefined> {
    const { count, payloadBytes, intervalMs } = read(ctx.input);
    const padding = payloadBytes > 0 ? 'x'.repeat(payloadBytes) : '';
    for (let i = 1; i <= count; i++) {
      if (intervalMs > 0) await ctx.sleep(intervalMs);
      yield { type: 'message', message: padding ? `${i} ${padding}`.slice(0, payloadBytes) : `tick ${i}` };
    }
    return { count };
  }
  const handler: TaskHandler = ticker;
  handler.validateInput = (input) => {
    const { count, payloadBytes } = read(input);
    // `tick N` messages are about 12 bytes each.
    const total = count * Math.max(payloadBytes, 12);
    if (total > maxTotalBytes) {
      throw new TaskBridgeError({
        code: 'PAYLOAD_TOO_LARGE',
        message: `count × payloadBytes = ${total} bytes is over the limit of ${maxTotalBytes} bytes`,
        details: { maxTotalBytes },
      });
    }
  };
  return handler;
}

/** The demo `ticker` with the default {@link TickerOptions}. */
export const ticker: TaskHandler = createTickerHandler();
