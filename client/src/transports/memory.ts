/**
 * A scripted, in-memory {@link Transport} for tests (the SDK's own and its users'). Each connection
 * attempt plays one script of steps on timers, so a test drives the whole control path on fake time
 * (`vi.useFakeTimers()`), and every connect request is recorded with the cursor it was given.
 */
import type {
  EventConformance,
  HistoryTrimmed,
  TaskBridgeError,
  TaskEvent,
  TransportName,
  UnknownTaskEvent,
} from '@taskbridge/protocol';
import { type Clock, systemClock } from '../clock';
import type { Transport, TransportMessage, TransportRequest, TransportSink } from './transport';

/**
 * Optional delay before a step, ms after the previous step (or after `connect` for the first one). The
 * first step always runs on a timer; a later step with no delay runs right after the one before it.
 */
interface Delayed {
  afterMs?: number;
}

/**
 * One step of a connection script. `hang` stops the script (the connection stays open and silent until
 * aborted); `error` and `closed` end the connection.
 */
export type MemoryStep =
  | ({ type: 'open' } & Delayed)
  | ({ type: 'ack' } & Delayed)
  | ({ type: 'event'; event: TaskEvent | UnknownTaskEvent; conformance: EventConformance } & Delayed)
  | ({ type: 'heartbeat' } & Delayed)
  | ({ type: 'history-trimmed'; info: HistoryTrimmed } & Delayed)
  | ({ type: 'error'; error: TaskBridgeError } & Delayed)
  | ({ type: 'closed' } & Delayed)
  | { type: 'hang' };

/** The steps of one connection attempt, played in order. */
export type MemoryScript = readonly MemoryStep[];

/** Builders for {@link MemoryStep}s; `afterMs` delays a step relative to the one before, ms. */
export const memoryStep = {
  open: (afterMs?: number): MemoryStep => ({ type: 'open', afterMs }),
  ack: (afterMs?: number): MemoryStep => ({ type: 'ack', afterMs }),
  event: (
    event: TaskEvent | UnknownTaskEvent,
    afterMs?: number,
    conformance: EventConformance = 'valid',
  ): MemoryStep => ({ type: 'event', event, conformance, afterMs }),
  heartbeat: (afterMs?: number): MemoryStep => ({ type: 'heartbeat', afterMs }),
  historyTrimmed: (info: HistoryTrimmed, afterMs?: number): MemoryStep => ({
    type: 'history-trimmed',
    info,
    afterMs,
  }),
  error: (error: TaskBridgeError, afterMs?: number): MemoryStep => ({ type: 'error', error, afterMs }),
  closed: (afterMs?: number): MemoryStep => ({ type: 'closed', afterMs }),
  hang: (): MemoryStep => ({ type: 'hang' }),
} as const;

/** One recorded connection attempt. */
export interface MemoryConnection {
  /** 0 for the first `connect` call on this transport. */
  readonly index: number;
  readonly taskId: string;
  /** The cursor `getCursor()` returned at connect time. */
  readonly cursor: string | null;
  readonly signal: AbortSignal;
  /** True once the connection reported `error`/`closed` or was aborted: nothing more is sent. */
  readonly ended: boolean;
  /** Sends `message` now, outside the script (ignored once ended). */
  emit(message: TransportMessage): void;
}

/** Options of {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** Which rung of the ladder this transport stands in for. */
  name: TransportName;
  /**
   * One script per connection attempt, in order; attempts past the end replay the last script.
   * Default: no script, every connection hangs.
   */
  scripts?: readonly MemoryScript[];
  /** What `isSupported()` answers. Default true. */
  supported?: boolean;
  /** The timers the scripts run on. Default: the platform's, read at each use (fake timers apply). */
  clock?: Clock;
}

class RecordedConnection implements MemoryConnection {
  readonly index: number;
  readonly taskId: string;
  readonly cursor: string | null;
  readonly signal: AbortSignal;
  #sink: TransportSink;
  #clock: Clock;
  #ended = false;
  #timer: unknown;

  constructor(
    index: number,
    request: TransportRequest,
    { sink, clock }: { sink: TransportSink; clock: Clock },
  ) {
    this.index = index;
    this.#clock = clock;
    this.taskId = request.taskId;
    this.cursor = request.getCursor();
    this.signal = request.signal;
    this.#sink = sink;
    request.signal.addEventListener('abort', () => this.#end(), { once: true });
    if (request.signal.aborted) this.#end();
  }

  get ended(): boolean {
    return this.#ended;
  }

  emit(message: TransportMessage): void {
    if (this.#ended) return;
    if (message.type === 'error' || message.type === 'closed') this.#end();
    this.#sink(message);
  }

  play(script: MemoryScript, position = 0): void {
    const step = script[position];
    if (this.#ended || step === undefined || step.type === 'hang') return;
    // The first step always waits for a timer: a real transport never reports from inside connect().
    // Later undelayed steps follow in the same task, like frames arriving in one network read.
    const delay = step.afterMs ?? 0;
    if (position > 0 && delay === 0) {
      this.emit(toMessage(step));
      this.play(script, position + 1);
      return;
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.emit(toMessage(step));
      this.play(script, position + 1);
    }, delay);
  }

  #end(): void {
    this.#ended = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function toMessage(step: Exclude<MemoryStep, { type: 'hang' }>): TransportMessage {
  switch (step.type) {
    case 'open':
      return { type: 'open' };
    case 'ack':
      return { type: 'ack' };
    case 'event':
      return { type: 'event', event: step.event, conformance: step.conformance };
    case 'heartbeat':
      return { type: 'heartbeat' };
    case 'history-trimmed':
      return { type: 'history-trimmed', info: step.info };
    case 'error':
      return { type: 'error', error: step.error };
    case 'closed':
      return { type: 'closed' };
  }
}

/**
 * A {@link Transport} that plays scripts instead of talking to a server.
 *
 * @example
 * const ws = new MemoryTransport({
 *   name: 'websocket',
 *   scripts: [[memoryStep.open(10), memoryStep.ack(), memoryStep.event(progressEvent, 100)]],
 * });
 * // ... run the stream on fake time, then:
 * expect(ws.connections.map((c) => c.cursor)).toEqual([null]);
 */
export class MemoryTransport implements Transport {
  readonly name: TransportName;
  #scripts: readonly MemoryScript[];
  #supported: boolean;
  #clock: Clock;
  #connections: RecordedConnection[] = [];

  constructor(options: MemoryTransportOptions) {
    this.name = options.name;
    this.#scripts = options.scripts ?? [];
    this.#supported = options.supported ?? true;
    this.#clock = options.clock ?? systemClock;
  }

  /** Every connection attempt so far, oldest first. */
  get connections(): readonly MemoryConnection[] {
    return this.#connections;
  }

  /** The newest connection attempt, if any. */
  get lastConnection(): MemoryConnection | undefined {
    return this.#connections.at(-1);
  }

  isSupported(): boolean {
    return this.#supported;
  }

  connect(request: TransportRequest, sink: TransportSink): void {
    const index = this.#connections.length;
    const connection = new RecordedConnection(index, request, { sink, clock: this.#clock });
    this.#connections.push(connection);
    const script = this.#scripts[index] ?? this.#scripts.at(-1) ?? [];
    connection.play(script);
  }
}
