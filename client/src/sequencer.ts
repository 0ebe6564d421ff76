/**
 * The sequencer of one task stream (design/recovery.md, the data path): decides, per event and in O(1),
 * whether an event reaches the app, so that each `eventId` is delivered once and in order across
 * reconnects, transport switches, climb-back overlaps and reloads (SPEC.md §3 replay, §10).
 *
 * It lives in the data path, not in a transport, because duplicates appear *between* transports: during
 * climb-back the old and the new transport both deliver for a moment, and a replay after reconnect
 * repeats what the previous connection already delivered.
 */
import { compareEventIds, isTerminalEventType } from '@taskbridge/protocol';

/** What {@link Sequencer.accept} decided. */
export type SequencerDecision = 'deliver' | 'duplicate';

/**
 * Why an event was dropped:
 * - `older`: its id is ≤ the cursor, both ids being comparable (`<int>` or `<int>-<int>`);
 * - `window`: its id is among the recent delivered ids (how incomparable ids are caught);
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
  /** How many recent delivered ids are remembered for incomparable ids. Default: 1024; minimum 1. */
  windowSize?: number;
  /** Called for each dropped event, e.g. to count "duplicates dropped" in diagnostics. Must not throw. */
  onDuplicate?: (event: SequencedEvent, reason: DuplicateReason) => void;
}

/** Counters for diagnostics. */
export interface SequencerStats {
  delivered: number;
  duplicates: number;
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
  stats(): SequencerStats;
}

/**
 * Creates the sequencer of one task stream.
 *
 * An event is a duplicate when its id is ≤ the cursor and both ids are comparable ({@link compareEventIds});
 * when they are not, when it is among the last `windowSize` delivered ids; and every event after the
 * terminal one is dropped. Ids are never compared as strings (SPEC.md §3).
 *
 * @see SPEC.md §3 (eventId, replay), §10 (each eventId reaches the app once, in order)
 */
export function createSequencer(options: SequencerOptions = {}): Sequencer {
  const windowSize = Math.max(1, Math.floor(options.windowSize ?? 1024));
  const onDuplicate = options.onDuplicate;
  let last = options.initialCursor || null;
  let done = options.initiallyDone === true;
  let delivered = 0;
  let duplicates = 0;
  // The recent-ids window: a Set for O(1) lookup plus a ring buffer that says which id to evict.
  const recent = new Set<string>();
  const ring: string[] = [];
  let next = 0;

  const remember = (id: string): void => {
    if (ring.length < windowSize) {
      ring.push(id);
    } else {
      recent.delete(ring[next] as string);
      ring[next] = id;
      next = (next + 1) % windowSize;
    }
    recent.add(id);
  };
  if (last !== null) remember(last);

  const drop = (event: SequencedEvent, reason: DuplicateReason): SequencerDecision => {
    duplicates += 1;
    onDuplicate?.(event, reason);
    return 'duplicate';
  };

  return {
    accept(event) {
      if (done) return drop(event, 'after-terminal');
      const id = event.eventId;
      if (last !== null) {
        const order = compareEventIds(id, last);
        if (order === 0 || order === -1) return drop(event, 'older');
      }
      if (recent.has(id)) return drop(event, 'window');
      remember(id);
      last = id;
      delivered += 1;
      if (isTerminalEventType(event.type)) done = true;
      return 'deliver';
    },
    cursor: () => last,
    isDone: () => done,
    stats: () => ({ delivered, duplicates }),
  };
}
