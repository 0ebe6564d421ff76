/**
 * The sequencer of one task stream (the data path of the recovery design): decides, per event and in O(1),
 * whether an event reaches the app, so that each `eventId` is delivered once and in order across
 * reconnects, transport switches, climb-back overlaps and reloads (protocol/SPEC.md §3 replay, §10).
 *
 * It lives in the data path, not in a transport, because duplicates appear *between* transports: during
 * climb-back the old and the new transport both deliver for a moment, and a replay after reconnect
 * repeats what the previous connection already delivered.
 *
 * Cost: comparable ids (`<int>`, `<int>-<int>`, what servers send) need only the newest one delivered —
 * no hashing, no per-event allocation, constant memory however long the stream. The recent-ids window
 * holds incomparable ids only, so it costs nothing unless a peer sends them.
 */
import { compareEventIds, isTerminalEventType } from '@taskbridge/protocol';

/** What {@link Sequencer.accept} decided: deliver the event, or drop it as a duplicate, and why. */
export type SequencerDecision = 'deliver' | DuplicateReason;

/**
 * Why an event was dropped:
 * - `older`: its id is comparable (`<int>` or `<int>-<int>`) and ≤ the newest comparable id delivered
 *   (or the comparable initial cursor);
 * - `window`: its id is incomparable and among the recent incomparable ids delivered;
 * - `after-terminal`: the terminal event was already delivered (e.g. the peer keeps the stream open).
 */
export type DuplicateReason = 'older' | 'window' | 'after-terminal';

/** The part of an event the sequencer reads. */
export interface SequencedEvent {
  eventId: string;
  type: string;
}

/** Options of {@link createSequencer}. */
export interface SequencerOptions {
  /** The checkpoint's `lastEventId`: events at or before it are duplicates. Default: `null` (none yet). */
  initialCursor?: string | null;
  /** True when the checkpoint already holds the terminal event: everything is dropped. Default: false. */
  initiallyDone?: boolean;
  /** How many recent delivered incomparable ids are remembered. Default: 1024; minimum 1. */
  windowSize?: number;
  /** Called for each dropped event, e.g. to count "duplicates dropped" in diagnostics. Must not throw. */
  onDuplicate?: (event: SequencedEvent, reason: DuplicateReason) => void;
}

/** The per-stream sequencer. */
export interface Sequencer {
  /**
   * Decides whether `event` reaches the app. On `'deliver'` the cursor advances to its id and, when it is
   * a terminal event, the sequencer is done. Heartbeats must be filtered out before (they are not events).
   */
  accept(event: SequencedEvent): SequencerDecision;
  /** The last delivered `eventId` (or the initial cursor): the resume cursor, read at each (re)connect. */
  cursor(): string | null;
  /** True once a terminal event was delivered (or `initiallyDone`). */
  isDone(): boolean;
}

// Any comparable id: `compareEventIds(id, ANY_COMPARABLE)` is `'incomparable'` exactly when `id` is.
const ANY_COMPARABLE = '0';

/**
 * Creates the sequencer of one task stream.
 *
 * An event is a duplicate when its id is comparable ({@link compareEventIds}) and ≤ the newest
 * comparable id delivered so far (or the initial cursor, when comparable); when its id is incomparable,
 * when it is among the last `windowSize` incomparable ids delivered (or the initial cursor); and every
 * event after the terminal one is dropped. Ids are never compared as strings (protocol/SPEC.md §3).
 *
 * @see protocol/SPEC.md §3 (eventId, replay), §10 (each eventId reaches the app once, in order)
 */
export function createSequencer(options: SequencerOptions = {}): Sequencer {
  return new TaskSequencer(options);
}

// A class, not a closure bag: with thousands of streams open, one object per stream instead of one
// closure per method (and per helper) adds up.
class TaskSequencer implements Sequencer {
  readonly #windowSize: number;
  readonly #onDuplicate: SequencerOptions['onDuplicate'];
  #last: string | null;
  /** The newest comparable id delivered (or the comparable initial cursor). */
  #newest: string | null = null;
  #done: boolean;
  // The window of incomparable ids: a Set for O(1) lookup plus a ring buffer that says which to evict.
  // Both are created with the first incomparable id.
  #recent: Set<string> | undefined;
  #ring: string[] | undefined;
  #next = 0;

  constructor(options: SequencerOptions) {
    this.#windowSize = Math.max(1, Math.floor(options.windowSize ?? 1024));
    this.#onDuplicate = options.onDuplicate;
    this.#last = options.initialCursor || null;
    this.#done = options.initiallyDone === true;
    if (this.#last !== null) {
      this.#record(this.#last, compareEventIds(this.#last, ANY_COMPARABLE) !== 'incomparable');
    }
  }

  accept(event: SequencedEvent): SequencerDecision {
    if (this.#done) return this.#drop(event, 'after-terminal');
    const id = event.eventId;
    const order = compareEventIds(id, this.#newest ?? ANY_COMPARABLE);
    if (order === 'incomparable') {
      if (this.#recent?.has(id)) return this.#drop(event, 'window');
    } else if (this.#newest !== null && order !== 1) {
      return this.#drop(event, 'older');
    }
    this.#record(id, order !== 'incomparable');
    this.#last = id;
    if (isTerminalEventType(event.type)) this.#done = true;
    return 'deliver';
  }

  cursor(): string | null {
    return this.#last;
  }

  isDone(): boolean {
    return this.#done;
  }

  /** Remembers a delivered id: the newest comparable one, or in the window when incomparable. */
  #record(id: string, comparable: boolean): void {
    if (comparable) {
      this.#newest = id;
      return;
    }
    const ring = (this.#ring ??= []);
    const recent = (this.#recent ??= new Set());
    if (ring.length < this.#windowSize) {
      ring.push(id);
    } else {
      recent.delete(ring[this.#next] as string);
      ring[this.#next] = id;
      this.#next = (this.#next + 1) % this.#windowSize;
    }
    recent.add(id);
  }

  #drop(event: SequencedEvent, reason: DuplicateReason): SequencerDecision {
    this.#onDuplicate?.(event, reason);
    return reason;
  }
}
