/**
 * One connection of one transport, run as a callback actor of the task stream machine. It is the seam
 * between the data path (every frame goes straight to the stream's `deliver`) and the control path
 * (only lifecycle reaches the machine: `OPENED`, `FIRST_FRAME`, throttled `ACTIVITY`, `FAILED`,
 * `CLOSED`): a transition per token would cost more than the transport.
 */
import type { TaskBridgeError } from '@taskbridge/protocol';
import { type EventObject, fromCallback } from 'xstate';
import { toTaskBridgeError } from '../errors';
import type { Transport, TransportMessage, TransportSink } from '../transports/transport';
import type { StreamPort } from './context';

/** The messages a transport run hands to the data path, synchronously and in transport order. */
export type DataMessage = Extract<
  TransportMessage,
  { type: 'event' | 'heartbeat' | 'malformed' | 'history-trimmed' }
>;

/** Lifecycle events a transport run sends to the machine; `runId` names the run. */
export type TransportRunEvent =
  | { type: 'OPENED'; runId: string }
  | { type: 'FIRST_FRAME'; runId: string }
  | { type: 'ACTIVITY'; runId: string }
  | { type: 'FAILED'; runId: string; error: TaskBridgeError }
  | { type: 'CLOSED'; runId: string };

/** Input of the {@link transportRun} actor. */
export interface TransportRunInput {
  runId: string;
  transport: Transport;
  taskId: string;
  stream: StreamPort;
  /** Least time between two `ACTIVITY` events, ms. */
  activityThrottleMs: number;
  now: () => number;
}

/**
 * One connection of one transport, as a callback actor. It connects with a fresh `AbortSignal` (aborted
 * when the actor stops, which closes the connection), forwards data to the stream synchronously, and
 * turns lifecycle into machine events. Any first frame (ack, event, heartbeat, even a malformed frame)
 * proves nothing is buffering; later frames become `ACTIVITY`, throttled so a token stream does not cost
 * one machine transition per token. A polling transport's `open` is a whole checked response, so it
 * counts as the first frame too. A `connect()` that throws becomes `FAILED` (`INTERNAL_ERROR`).
 *
 * @see protocol/SPEC.md §10 (first-frame and liveness deadlines).
 */
export const transportRun = fromCallback<EventObject, TransportRunInput>(({ input, sendBack }) => {
  const controller = new AbortController();
  const { runId, transport, stream } = input;
  let firstFrameSent = false;
  let lastActivityAt = Number.NEGATIVE_INFINITY;
  const send = (event: TransportRunEvent): void => {
    if (!controller.signal.aborted) sendBack(event);
  };
  const frame = (): void => {
    const now = input.now();
    if (!firstFrameSent) {
      firstFrameSent = true;
      lastActivityAt = now;
      send({ type: 'FIRST_FRAME', runId });
    } else if (now - lastActivityAt >= input.activityThrottleMs) {
      lastActivityAt = now;
      send({ type: 'ACTIVITY', runId });
    }
  };
  const sink: TransportSink = (message) => {
    if (controller.signal.aborted) return;
    switch (message.type) {
      case 'open':
        send({ type: 'OPENED', runId });
        if (transport.name === 'polling') frame();
        return;
      case 'ack':
        frame();
        return;
      case 'event':
      case 'heartbeat':
      case 'malformed':
      case 'history-trimmed':
        stream.deliver(transport.name, message);
        // deliver may have delivered the terminal event and stopped this run: send() checks.
        frame();
        return;
      case 'error':
        send({ type: 'FAILED', runId, error: message.error });
        return;
      case 'closed':
        send({ type: 'CLOSED', runId });
        return;
    }
  };
  try {
    transport.connect(
      { taskId: input.taskId, getCursor: () => stream.cursor(), signal: controller.signal },
      sink,
    );
  } catch (error) {
    send({ type: 'FAILED', runId, error: toTaskBridgeError(error) });
  }
  return () => controller.abort();
});
