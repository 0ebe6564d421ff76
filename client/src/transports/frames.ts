/**
 * What every transport shares: turning one wire frame (a WebSocket text frame, an SSE `data:` block)
 * into a {@link TransportMessage}, and reporting to the sink so that nothing follows the end of a
 * connection (its `error`/`closed`, or an abort).
 */
import {
  HEARTBEAT_TYPE,
  type HistoryTrimmed,
  ProtocolValidationError,
  parseServerFrame,
  parseTaskEvent,
} from '@taskbridge/protocol';
import { RunRequest } from './run-request';
import type { TransportMessage, TransportRequest, TransportSink } from './transport';

/** A WebSocket ack as read off the wire: with the history-trimmed signal when the server sent one. */
export interface AckMessage {
  type: 'ack';
  historyTrimmed?: HistoryTrimmed;
}

const SUBSCRIPTION_CONFIRMED = 'SUBSCRIPTION_CONFIRMED';
const BINARY_FRAME = new ProtocolValidationError('MALFORMED_JSON', 'ServerFrame', [
  { path: '', message: 'binary frame' },
]);

const HEARTBEAT: TransportMessage = Object.freeze({ type: 'heartbeat' });

/**
 * Classifies one frame's text: `heartbeat` (filtered before any validation: a heartbeat is never an
 * event and never a cursor, protocol/SPEC.md §3), `ack` (the WebSocket subscription confirmation;
 * `ackAsHeartbeat` reads it as a mere sign of life, as on SSE where it has no meaning), `event` (known,
 * off-schema or unknown type) or `malformed` (not JSON, not a frame, or not text at all). Runs for every
 * frame: one parse, one validation, one message object.
 */
export function frameMessage(data: unknown, ackAsHeartbeat = false): TransportMessage | AckMessage {
  if (typeof data !== 'string') return { type: 'malformed', error: BINARY_FRAME, raw: '' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : 'not JSON';
    const error = new ProtocolValidationError('MALFORMED_JSON', 'ServerFrame', [{ path: '', message }]);
    return { type: 'malformed', error, raw: data };
  }
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (type === HEARTBEAT_TYPE) return HEARTBEAT;
  if (type === SUBSCRIPTION_CONFIRMED) {
    if (ackAsHeartbeat) return HEARTBEAT;
    const frame = parseServerFrame(value);
    if (!frame.ok) return { type: 'malformed', error: frame.error, raw: data };
    const trimmed = frame.value.kind === 'ack' ? frame.value.frame.historyTrimmed : undefined;
    return trimmed ? { type: 'ack', historyTrimmed: trimmed } : { type: 'ack' };
  }
  const parsed = parseTaskEvent(value);
  if (!parsed.ok) return { type: 'malformed', error: parsed.error, raw: data };
  return { type: 'event', event: parsed.value, conformance: parsed.conformance };
}

/**
 * One connection's line to its sink. `emit` forwards messages until the connection ends — its first
 * `error` or `closed`, or an abort of the request's signal — and calls `release` once when it does,
 * so the transport closes its socket or source. A class rather than a closure bag: with thousands of
 * tasks open, each connection costs one object.
 */
export class TransportLink {
  readonly #request: TransportRequest;
  readonly #sink: TransportSink;
  #release: (() => void) | undefined;
  #ended = false;
  // Listening to a RunRequest's stop rather than to its signal: no signal is made for it.
  readonly #onStop: boolean;

  constructor(request: TransportRequest, sink: TransportSink) {
    this.#request = request;
    this.#sink = sink;
    this.#onStop = request instanceof RunRequest;
    if (request instanceof RunRequest) {
      request.onStop(this);
      this.#ended = request.stopped;
    } else if (request.signal.aborted) this.#ended = true;
    else request.signal.addEventListener('abort', this, { once: true });
  }

  /** True once the connection has ended: nothing more reaches the sink. */
  get ended(): boolean {
    return this.#ended;
  }

  /** What to close when the connection ends (called at once if it already has). */
  onRelease(release: () => void): void {
    if (this.#ended) release();
    else this.#release = release;
  }

  /** Forwards `message` unless the connection has ended; `error` and `closed` end it. */
  emit(message: TransportMessage): void {
    if (this.#ended) return;
    if (message.type === 'error' || message.type === 'closed') this.#end();
    this.#sink(message);
  }

  /** The abort signal's (or the request's stop) listener. */
  handleEvent(): void {
    this.#end();
  }

  #end(): void {
    if (this.#ended && this.#release === undefined) return;
    this.#ended = true;
    if (this.#onStop) (this.#request as RunRequest).onStop(undefined);
    else this.#request.signal.removeEventListener('abort', this);
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}
