/**
 * One stream per task across the tabs of a browser: the tab holding the task's Web Lock is the leader
 * (it runs the transport, writes the shared checkpoint and posts every event it delivers on a
 * `BroadcastChannel` of the same name); the others follow, delivering what the leader posts through
 * their own sequencer. Everything here is the `tabLink` callback actor of a stream's machine: it tells
 * the machine `LEAD` (run the transport), `FOLLOW` (stop it) and `HEARD` (a leader answered).
 *
 * Why each mechanism:
 * - every posted event names the cursor it follows (`after`): a follower that sees a different cursor
 *   missed something (it joined late, or the leader changed) and asks the leader for a `sync`;
 * - the leader keeps the last `replayLimit` events it delivered to answer with a `replay`; a follower
 *   further behind is told so like a trimmed history (protocol/SPEC.md §11), never silently;
 * - a frozen leader keeps its lock, so followers steal it (`steal: true`) after `leaderTimeoutMs` of
 *   silence; a leader whose lock was stolen steps down;
 * - a held lock keeps a page out of the bfcache: leave on `pagehide`, join again on `pageshow`;
 * - the terminal event is posted before the machine stops this actor, whose cleanup aborts a pending
 *   lock request, so no waiting tab becomes leader of a finished stream.
 */
import { compareEventIds, type TransportName } from '@taskbridge/protocol';
import { type EventObject, fromCallback } from 'xstate';
import type { StreamPort } from '../machine/context';
import type { DataMessage } from '../machine/transport-run';
import type { CrossTabEnvironment, TabChannel } from './environment';

/** An event message as the data path delivered it. */
type EventMessage = Extract<DataMessage, { type: 'event' }>;

/** One delivered event and the cursor it followed. */
interface Entry {
  after: string | null;
  transport: TransportName;
  message: EventMessage;
}

/** What tabs post on a task's channel (all tabs of one origin, subject and task hear it). */
type TabMessage =
  | ({ type: 'event' } & Entry)
  | { type: 'heartbeat' }
  | { type: 'sync'; from: number; after: string | null }
  | { type: 'replay'; to: number; entries: Entry[] };

/** Input of the {@link tabLink} actor. */
export interface TabLinkInput {
  stream: StreamPort;
  tabs: CrossTabEnvironment;
}

/** The cross-tab side of one task stream, as a callback actor (see the module comment). */
export const tabLink = fromCallback<EventObject, TabLinkInput>(({ input, sendBack }) => {
  const { stream, tabs } = input;
  const { clock } = tabs;
  const me = Math.random();
  const buffer: Entry[] = [];
  let name = '';
  let channel: TabChannel | null = null;
  let pending: AbortController | null = null;
  let release: (() => void) | null = null;
  let leading = false;
  let synced = false;
  let gone = false;
  let heard = 0;
  let timer: unknown;

  const post = (message: TabMessage) => channel?.postMessage(message);

  stream.relay = (transport, message, after) => {
    const entry = { after, transport, message };
    if (buffer.push(entry) > tabs.replayLimit) buffer.shift();
    if (leading) post({ type: 'event', ...entry });
  };

  const tick = () => {
    if (leading) post({ type: 'heartbeat' });
    else if (clock.now() - heard > tabs.leaderTimeoutMs + Math.random() * tabs.heartbeatMs) request(true);
    else if (!synced) post({ type: 'sync', from: me, after: stream.cursor() });
    timer = clock.setTimeout(tick, tabs.heartbeatMs);
  };

  const lead = () => {
    leading = true;
    stream.writes = true;
    sendBack({ type: 'LEAD' });
    // At once: other followers that also found the old leader silent stand down instead of stealing.
    post({ type: 'heartbeat' });
  };

  const follow = () => {
    if (leading) sendBack({ type: 'FOLLOW' });
    leading = false;
    synced = false;
    stream.writes = false;
    heard = clock.now();
    post({ type: 'sync', from: me, after: stream.cursor() });
  };

  // Steal: a silent leader may be frozen (it keeps its lock); the one that steals leads at once.
  function request(steal: boolean): void {
    pending?.abort();
    const controller = (pending = new AbortController());
    tabs.locks
      .request(name, steal ? { steal } : { signal: controller.signal }, () =>
        pending !== controller || gone
          ? undefined
          : new Promise<void>((resolve) => {
              pending = null;
              release = resolve;
              lead();
            }),
      )
      .catch(() => {
        // Aborted while pending (ours), or stolen while held: step down and queue again.
        if (pending !== null || release === null || gone) return;
        release = null;
        follow();
        request(false);
      });
    heard = clock.now();
  }

  /**
   * Delivers what follows this tab's cursor. An entry that does not follow it and is newer means
   * something was missed: live, ask for a replay; in a replay, the leader no longer has it (reported
   * like a trimmed history, protocol/SPEC.md §11). Older entries were delivered already.
   */
  function take(entry: Entry, replay: boolean): void {
    const cursor = stream.cursor();
    const { eventId } = entry.message.event;
    if (entry.after !== cursor) {
      if (cursor !== null && !isAfter(eventId, cursor)) return;
      if (!replay) return follow();
      const info = { requestedAfterEventId: cursor, firstRetainedEventId: eventId };
      stream.deliver(entry.transport, { type: 'history-trimmed', info });
    }
    stream.deliver(entry.transport, entry.message);
  }

  const onMessage = ({ data }: { data: TabMessage }) => {
    if (data.type === 'sync') {
      // Everything after the follower's cursor, or all there is when that cursor is not kept.
      const from = buffer.findIndex((entry) => entry.after === data.after);
      if (leading) post({ type: 'replay', to: data.from, entries: buffer.slice(Math.max(from, 0)) });
      return;
    }
    heard = clock.now();
    if (data.type === 'replay' && data.to === me) {
      synced = true;
      sendBack({ type: 'HEARD' });
      for (const entry of data.entries) take(entry, true);
    } else if (data.type === 'event' && synced && !leading) take(data, false);
  };

  const join = () => {
    gone = false;
    channel = tabs.openChannel(name);
    channel.onmessage = onMessage;
    follow();
    request(false);
    timer = clock.setTimeout(tick, tabs.heartbeatMs);
  };

  const leave = () => {
    gone = true;
    clock.clearTimeout(timer);
    pending?.abort();
    pending = null;
    const held = release;
    release = null;
    leading = false;
    // The shared checkpoint is written before the next leader resumes from it.
    if (held) void stream.flush().finally(held);
    channel?.close();
    channel = null;
  };

  let unlisten: (() => void) | undefined;

  stream.writes = false;
  tabs
    .name(stream.taskId)
    .then((resolved) => {
      if (gone) return;
      name = resolved;
      join();
      unlisten = tabs.page?.listen(({ type }) => {
        if (type === 'PAGE_HIDE') {
          if (leading) sendBack({ type: 'FOLLOW' });
          leave();
        } else if (type === 'PAGE_RESTORED' && gone) join();
      });
    })
    // No name (no digest of the credentials): this tab streams alone.
    .catch(() => gone || lead());

  return () => {
    leave();
    stream.relay = null;
    unlisten?.();
  };
});

/** True when `id` is newer than `than` (incomparable ids count as newer: the sequencer decides). */
function isAfter(id: string, than: string): boolean {
  const order = compareEventIds(id, than);
  return order === 1 || order === 'incomparable';
}
