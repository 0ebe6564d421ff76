/**
 * What every transport shares: turning one wire frame (a WebSocket text frame, an SSE `data:` block)
 * into a {@link TransportMessage}, and reporting to the sink so that nothing follows the end of a
 * connection (its `error`/`closed`, or an abort).
 */
import {
  HEARTBEAT_TYPE,
  type HistoryTrimmed,
  ProtocolValidationError,
  parseJson,
  parseServerFrame,
} from '@taskbridge/protocol';
import type { TransportMessage, TransportRequest, TransportSink } from './transport';

/** A WebSocket ack as read off the wire: with the history-trimmed signal when the server sent one. */
export interface AckMessage {
  type: 'ack';
  historyTrimmed?: HistoryTrimmed;
}

const BINARY_FRAME = new ProtocolValidationError('MALFORMED_JSON', 'ServerFrame', [
  { path: '', message: 'binary frame' },
]);

/**
 * Classifies one frame's text: `heartbeat` (filtered before any validation: a heartbeat is never an
 * event and never a cursor, protocol/SPEC.md §3), `ack` (the WebSocket subscription confirmation;
 * `ackAsHeartbeat` reads it as a mere sign of life, as on SSE where it has no meaning), `event` (known,
 * off-schema or unknown type) or `malformed` (not JSON, not a frame, or not text at all).
 */
export function frameMessage(data: unknown, ackAsHeartbeat = false): TransportMessage | AckMessage {
  if (typeof data !== 'string') return { type: 'malformed', error: BINARY_FRAME, raw: '' };
  const json = parseJson(data, 'ServerFrame');
  if (!json.ok) return { type: 'malformed', error: json.error, raw: data };
  const value = json.value;
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === HEARTBEAT_TYPE) {
    return { type: 'heartbeat' };
  }
  const frame = parseServerFrame(value);
  if (!frame.ok) return { type: 'malformed', error: frame.error, raw: data };
  const parsed = frame.value;
  switch (parsed.kind) {
    case 'ack':
      if (ackAsHeartbeat) return { type: 'heartbeat' };
      return parsed.frame.historyTrimmed
        ? { type: 'ack', historyTrimmed: parsed.frame.historyTrimmed }
        : { type: 'ack' };
    case 'heartbeat':
      return { type: 'heartbeat' };
    case 'event':
      return {
        type: 'event',
        event: parsed.event,
        conformance: parsed.offSchema ? 'off-schema-payload' : 'valid',
      };
    case 'unknown-event':
      return { type: 'event', event: parsed.event, conformance: 'unknown-type' };
  }
}

/**
 * One connection's line to its sink. `emit` forwards messages until the connection ends — its first
 * `error` or `closed`, or an abort of the request's signal — and calls `release` once when it does,
 * so the transport closes its socket or source. A class rather than a closure bag: with thousands of
 * tasks open, each connection costs one object.
 */
export class TransportLink {
  readonly #signal: AbortSignal;
  readonly #sink: TransportSink;
  #release: (() => void) | undefined;
  #ended = false;

  constructor(request: TransportRequest, sink: TransportSink) {
    this.#signal = request.signal;
    this.#sink = sink;
    if (request.signal.aborted) this.#ended = true;
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

  /** The abort signal's listener. */
  handleEvent(): void {
    this.#end();
  }

  #end(): void {
    if (this.#ended && this.#release === undefined) return;
    this.#ended = true;
    this.#signal.removeEventListener('abort', this);
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}
