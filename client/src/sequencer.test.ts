import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSequencer, type DuplicateReason, type SequencedEvent } from './sequencer';

const msg = (eventId: string): SequencedEvent => ({ eventId, type: 'TASK_MESSAGE' });
const done = (eventId: string): SequencedEvent => ({ eventId, type: 'TASK_COMPLETED' });

function run(ids: readonly SequencedEvent[], options: Parameters<typeof createSequencer>[0] = {}) {
  const sequencer = createSequencer(options);
  return { sequencer, delivered: ids.filter((e) => sequencer.accept(e) === 'deliver').map((e) => e.eventId) };
}

describe('createSequencer', () => {
  it('delivers increasing ids and advances the cursor', () => {
    const { sequencer, delivered } = run([msg('1'), msg('2-0'), msg('2-1'), msg('10')]);
    expect(delivered).toEqual(['1', '2-0', '2-1', '10']);
    expect(sequencer.cursor()).toBe('10');
  });

  it('drops ids at or before the cursor by numeric comparison, never as strings', () => {
    const reasons: DuplicateReason[] = [];
    const { sequencer, delivered } = run([msg('9-0'), msg('10-0'), msg('9-5'), msg('10-0'), msg('11-0')], {
      onDuplicate: (_, reason) => reasons.push(reason),
    });
    // As strings "10-0" < "9-0"; numerically it is newer and must be delivered.
    expect(delivered).toEqual(['9-0', '10-0', '11-0']);
    expect(reasons).toEqual(['older', 'older']);
    expect(sequencer.cursor()).toBe('11-0');
  });

  it('starts from the checkpoint cursor: replay up to and including it is dropped', () => {
    const { delivered, sequencer } = run([msg('3'), msg('4'), msg('5'), msg('6')], { initialCursor: '4' });
    expect(delivered).toEqual(['5', '6']);
    expect(sequencer.cursor()).toBe('6');
  });

  it('treats an empty initial cursor as none', () => {
    const { delivered, sequencer } = run([msg('1')], { initialCursor: '' });
    expect(delivered).toEqual(['1']);
    expect(sequencer.cursor()).toBe('1');
  });

  it('catches duplicates of incomparable ids with the recent-ids window', () => {
    const reasons: DuplicateReason[] = [];
    const { delivered, sequencer } = run([msg('a'), msg('b'), msg('a'), msg('c'), msg('b')], {
      onDuplicate: (_, reason) => reasons.push(reason),
    });
    expect(delivered).toEqual(['a', 'b', 'c']);
    expect(reasons).toEqual(['window', 'window']);
    expect(sequencer.cursor()).toBe('c');
  });

  it('catches an incomparable initial cursor replayed', () => {
    expect(run([msg('uuid-x'), msg('uuid-y')], { initialCursor: 'uuid-x' }).delivered).toEqual(['uuid-y']);
  });

  it('forgets ids older than the window (bounded memory)', () => {
    // With a window of 2, "a" has been evicted by "b" and "c": a replayed "a" is no longer recognised.
    const { delivered } = run([msg('a'), msg('b'), msg('c'), msg('a')], { windowSize: 2 });
    expect(delivered).toEqual(['a', 'b', 'c', 'a']);
    const wide = run([msg('a'), msg('b'), msg('c'), msg('a')], { windowSize: 3 });
    expect(wide.delivered).toEqual(['a', 'b', 'c']);
  });

  it('uses the window across a switch between comparable and incomparable ids', () => {
    const { delivered } = run([msg('5-0'), msg('opaque'), msg('6-0'), msg('5-0'), msg('opaque'), msg('6-0')]);
    expect(delivered).toEqual(['5-0', 'opaque', '6-0']);
  });

  it('drops a comparable id at or before the newest comparable one, even after incomparable ids', () => {
    const reasons: DuplicateReason[] = [];
    const { delivered, sequencer } = run([msg('7'), msg('opaque'), msg('5'), msg('7'), msg('8')], {
      onDuplicate: (_, reason) => reasons.push(reason),
    });
    expect(delivered).toEqual(['7', 'opaque', '8']);
    expect(reasons).toEqual(['older', 'older']);
    expect(sequencer.cursor()).toBe('8');
  });

  it('stops at the terminal event: everything after it is dropped', () => {
    const reasons: DuplicateReason[] = [];
    const { sequencer, delivered } = run([msg('1'), done('2'), msg('3'), done('4')], {
      onDuplicate: (_, reason) => reasons.push(reason),
    });
    expect(delivered).toEqual(['1', '2']);
    expect(sequencer.isDone()).toBe(true);
    expect(sequencer.cursor()).toBe('2');
    expect(reasons).toEqual(['after-terminal', 'after-terminal']);
  });

  it('is not done before a terminal event and drops everything when initiallyDone', () => {
    expect(run([msg('1')]).sequencer.isDone()).toBe(false);
    const { delivered, sequencer } = run([msg('5')], { initialCursor: '4', initiallyDone: true });
    expect(delivered).toEqual([]);
    expect(sequencer.isDone()).toBe(true);
  });
});

/**
 * A stream as transports produce it across reconnects: each segment replays from some already-delivered
 * position (never past the next undelivered event, as a resume from the cursor guarantees), and stray
 * duplicates of old events can appear anywhere.
 */
function replayStream(
  ids: readonly string[],
  segmentStarts: readonly number[],
  strays: readonly [number, number][],
) {
  const out: string[] = [];
  let delivered = 0;
  for (const startFraction of segmentStarts) {
    const start = Math.floor(startFraction * (delivered + 1));
    const end = Math.min(ids.length, start + 1 + Math.floor(startFraction * 7));
    for (let i = start; i < end; i += 1) out.push(ids[i] as string);
    delivered = Math.max(delivered, end);
  }
  for (let i = delivered; i < ids.length; i += 1) out.push(ids[i] as string);
  for (const [position, which] of strays) {
    const at = Math.floor(position * out.length);
    // Insert an id already emitted before `at` (an old duplicate), so order of first sightings is kept.
    const earlier = out.slice(0, at);
    if (earlier.length > 0) out.splice(at, 0, earlier[Math.floor(which * earlier.length)] as string);
  }
  return out;
}

describe('createSequencer properties', () => {
  const increasingIds = fc
    .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 20 })), {
      minLength: 1,
      maxLength: 60,
      selector: ([ms, seq]) => `${ms}-${seq}`,
    })
    .map((pairs) =>
      pairs
        .sort(([a1, a2], [b1, b2]) => a1 - b1 || a2 - b2)
        .map(([ms, seq], i) => (i % 3 === 0 && seq === 0 ? `${ms}` : `${ms}-${seq}`)),
    );
  const fraction = fc.double({ min: 0, max: 0.999, noNaN: true });

  it('turns any replayed/duplicated stream of increasing ids into exactly the increasing unique sequence', () => {
    fc.assert(
      fc.property(
        increasingIds,
        fc.array(fraction, { maxLength: 12 }),
        fc.array(fc.tuple(fraction, fraction), { maxLength: 20 }),
        (ids, starts, strays) => {
          const stream = replayStream(ids, starts, strays).map(msg);
          let duplicates = 0;
          const { delivered } = run(stream, { onDuplicate: () => (duplicates += 1) });
          expect(delivered).toEqual(ids);
          expect(duplicates).toBe(stream.length - ids.length);
        },
      ),
    );
  });

  it('does the same for incomparable ids whose duplicates fall within the window', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uuid(), { minLength: 1, maxLength: 40 }),
        fc.array(fraction, { maxLength: 8 }),
        fc.array(fc.tuple(fraction, fraction), { maxLength: 10 }),
        (ids, starts, strays) => {
          const stream = replayStream(ids, starts, strays).map(msg);
          expect(run(stream, { windowSize: 64 }).delivered).toEqual(ids);
        },
      ),
    );
  });
});
