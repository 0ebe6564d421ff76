/**
 * Live tails over pub/sub, per task, with gap fill. The append script publishes
 * `<prevId> <id> <data>`; a message whose `prevId` is not the last id this process delivered for the
 * task means a message went missing, so the gap is read from the stream (`XRANGE`) and delivered
 * first, in order; duplicates (ids not newer than the last delivered) are dropped. When the
 * subscriber connection drops, no promise can be kept: every listener with an `onLost` is told, and
 * its subscription ends so its client resumes from its checkpoint (hazard H2 still holds: a new
 * attach needs the connection back).
 */
import { compareEventIds, TaskBridgeError, type TaskEvent } from '@taskbridge/protocol';
import type { EventListener, LiveOptions } from '../event-store';
import { decodeEvent } from './event-codec';
import type { RedisSubscriber } from './redis-subscriber';

/** Reads the stored events of a task strictly after `afterId`, up to and including `throughId`. */
export type GapReader = (taskId: string, afterId: string, throughId: string) => Promise<TaskEvent[]>;

interface Tail {
  listeners: Map<EventListener, LiveOptions['onLost']>;
  /** The newest id delivered to this tail's listeners, `null` before the first. */
  last: string | null;
  /** Messages waiting behind a gap fill, in arrival order. */
  pending: string[];
  filling: boolean;
  attached: Promise<() => void>;
}

/** The live tails of one backend. */
export interface LiveTails {
  subscribe(taskId: string, listener: EventListener, options?: LiveOptions): Promise<() => void>;
}

const parse = (message: string): [prev: string, id: string, data: string] | undefined => {
  const first = message.indexOf(' ');
  const second = message.indexOf(' ', first + 1);
  if (first < 0 || second < 0) return undefined;
  return [message.slice(0, first), message.slice(first + 1, second), message.slice(second + 1)];
};

/**
 * Creates the live tails.
 *
 * @param channelOf - the pub/sub channel of a task's appends.
 */
export function createLiveTails(
  subscriber: RedisSubscriber,
  channelOf: (taskId: string) => string,
  readGap: GapReader,
): LiveTails {
  const tails = new Map<string, Tail>();

  const deliver = (tail: Tail, event: TaskEvent) => {
    if (tail.last !== null && compareEventIds(event.eventId, tail.last) !== 1) return;
    tail.last = event.eventId;
    // A snapshot: a listener that detaches (itself or another) mid-loop skips nobody (hazard H4).
    for (const listener of Array.from(tail.listeners.keys())) {
      try {
        listener(event);
      } catch {
        // the subscriber's problem; the event is stored
      }
    }
  };

  const lose = (tail: Tail, reason: string) => {
    const error = new TaskBridgeError({
      code: 'INTERNAL_ERROR',
      status: 503,
      message: reason,
      retryable: true,
    });
    for (const [listener, onLost] of Array.from(tail.listeners)) {
      if (!onLost) continue;
      tail.listeners.delete(listener);
      try {
        onLost(error);
      } catch {
        // ignore
      }
    }
  };

  const drain = (taskId: string, tail: Tail) => {
    while (!tail.filling && tail.pending.length > 0) {
      const parsed = parse(tail.pending.shift() as string);
      if (!parsed) continue;
      const [prev, id, data] = parsed;
      if (tail.last !== null && compareEventIds(id, tail.last) !== 1) continue;
      if (tail.last === null || prev === tail.last) {
        deliver(tail, decodeEvent(taskId, id, data));
        continue;
      }
      // A message went missing between the last delivered and this one: read the gap, this included.
      tail.filling = true;
      const from = tail.last;
      readGap(taskId, from, id).then(
        (events) => {
          if (tails.get(taskId) !== tail || tail.last !== from) return;
          for (const event of events) deliver(tail, event);
          tail.filling = false;
          drain(taskId, tail);
        },
        () => {
          tail.filling = false;
          tail.pending = [];
          tail.last = null;
          lose(tail, 'live tail gap could not be filled; resume from the checkpoint');
        },
      );
    }
  };

  subscriber.onDrop(() => {
    for (const tail of tails.values()) {
      tail.pending = [];
      tail.filling = false;
      tail.last = null;
      lose(tail, 'live tail connection dropped; resume from the checkpoint');
    }
  });

  return {
    async subscribe(taskId, listener, options = {}) {
      let tail = tails.get(taskId);
      if (!tail) {
        const created: Tail = {
          listeners: new Map(),
          last: null,
          pending: [],
          filling: false,
          attached: subscriber.attach(channelOf(taskId), (message) => {
            created.pending.push(message);
            drain(taskId, created);
          }),
        };
        tail = created;
        tails.set(taskId, created);
        created.attached.catch(() => {
          if (tails.get(taskId) === created) tails.delete(taskId);
        });
      }
      const own = tail;
      own.listeners.set(listener, options.onLost);
      const detachTail = () => {
        if (own.listeners.size > 0 || tails.get(taskId) !== own) return;
        tails.delete(taskId);
        own.attached.then(
          (detach) => detach(),
          () => undefined,
        );
      };
      try {
        await own.attached;
      } catch (error) {
        own.listeners.delete(listener);
        detachTail();
        throw error;
      }
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        own.listeners.delete(listener);
        detachTail();
      };
    },
  };
}
