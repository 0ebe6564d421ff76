/**
 * The events every benchmark server sends, shaped exactly like the reference server's `TASK_MESSAGE`
 * (type, taskId, eventId `<ms>-<seq>`, createdAt, payload.message) so raw counterparts move the same
 * bytes per event as our transports.
 */

/** The task id raw servers put in their events (a UUID, as the engine generates). */
export const RAW_TASK_ID = '7d0c3c1e-8a4f-4c55-9a39-0f3f2b9d6a10';

/** A `TASK_MESSAGE` event as the engine stores it. */
export interface BenchEvent {
  type: 'TASK_MESSAGE';
  taskId: string;
  eventId: string;
  createdAt: string;
  payload: { message: string };
}

/** Builds one event; `createdAt` is taken now, as the engine does per event. */
export function messageEvent(taskId: string, eventId: string, message: string): BenchEvent {
  return { type: 'TASK_MESSAGE', taskId, eventId, createdAt: new Date().toISOString(), payload: { message } };
}

/** The `ticker` handler's message for event `i` with `payloadBytes` of text (same rule as the handler). */
export function tickerMessage(i: number, payloadBytes: number): string {
  return payloadBytes > 0 ? `${i} ${'x'.repeat(payloadBytes)}`.slice(0, payloadBytes) : `tick ${i}`;
}

/**
 * The `payloadBytes` that makes a whole serialised event about `eventBytes` long (the envelope is
 * ~150 bytes), so "200-byte events" means 200 bytes on the wire per event, not 200 bytes of text.
 */
export function payloadBytesFor(eventBytes: number): number {
  const envelope = JSON.stringify(messageEvent(RAW_TASK_ID, `${Date.now()}-99999`, '')).length;
  return Math.max(1, eventBytes - envelope);
}

/** A message carrying its send time (`sharedClockMs` in pacer.ts, ms, µs precision) padded to `payloadBytes`. */
export function stampedMessage(sentAtMs: number, payloadBytes: number): string {
  const stamp = sentAtMs.toFixed(3);
  return stamp.length >= payloadBytes ? stamp : `${stamp} ${'x'.repeat(payloadBytes - stamp.length - 1)}`;
}

/** The send time a {@link stampedMessage} carries, or NaN. */
export function sentAtOf(message: string): number {
  return Number.parseFloat(message);
}
