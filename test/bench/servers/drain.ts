/** Backpressure helpers shared by the raw servers: they wait for the socket, never buffer without bound. */
import { type EventEmitter, once } from 'node:events';
import type { Writable } from 'node:stream';

/** Resolves on the first of `events` emitted by `emitter`, removing every listener it added. */
export async function firstOf(emitter: EventEmitter, events: readonly string[]): Promise<void> {
  const controller = new AbortController();
  await Promise.race(events.map((name) => once(emitter, name, { signal: controller.signal }))).catch(
    () => undefined,
  );
  controller.abort();
}

/** Resolves when `stream` drains or closes (whichever comes first). */
export async function drained(stream: Writable): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return;
  await firstOf(stream, ['drain', 'close']);
}

/** Bytes a raw WebSocket/socket.io server lets queue before it waits (as the reference server). */
export const HIGH_WATER_MARK = 1024 * 1024;
