import type { TaskHandler, TaskYield } from '../engine/types';

/**
 * `ticker`: `count` `TASK_MESSAGE` events (default 10, max 1,000,000) every `intervalMs` (default 0:
 * as fast as the store takes them; ms), each carrying `payloadBytes` of text (default 0: `tick N`; at
 * most 65,536 bytes). Result `{ count }`. For tests and benchmarks.
 */
export async function* ticker(
  ctx: Parameters<TaskHandler>[0],
): AsyncGenerator<TaskYield, unknown, undefined> {
  const count = Math.min(1_000_000, Math.max(0, Number(ctx.input.count ?? 10) | 0));
  const intervalMs = Math.max(0, Number(ctx.input.intervalMs ?? 0));
  const payloadBytes = Math.min(65_536, Math.max(0, Number(ctx.input.payloadBytes ?? 0) | 0));
  const padding = payloadBytes > 0 ? 'x'.repeat(payloadBytes) : '';
  for (let i = 1; i <= count; i++) {
    if (intervalMs > 0) await ctx.sleep(intervalMs);
    yield { type: 'message', message: padding ? `${i} ${padding}`.slice(0, payloadBytes) : `tick ${i}` };
  }
  return { count };
}
