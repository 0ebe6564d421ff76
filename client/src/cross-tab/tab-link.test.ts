/**
 * The cross-tab election and catch-up logic on fake time, with in-memory Web Locks and
 * BroadcastChannels that keep the browser's semantics (test-support.ts): who leads, what followers
 * receive, late joiners, a frozen leader, hand-over, the end of a stream, and the page lifecycle.
 */
import { parseTaskEvent, type TaskEvent } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AnyActorRef, assign, createActor, setup } from 'xstate';
import { systemClock } from '../clock';
import type { EnvironmentSource } from '../environment';
import type { StreamPort } from '../machine/context';
import type { EnvironmentEvent } from '../machine/events';
import { createSequencer } from '../sequencer';
import type { CrossTabEnvironment, TabChannel } from './environment';
import { tabLink } from './tab-link';
import { FakeChannels, FakeLocks } from './test-support';

const NAME = 'taskbridge:tabs:1:alice:t';
const HEARTBEAT_MS = 1_000;
const LEADER_TIMEOUT_MS = 5_000;

/** One tab: its stream's data path (a real sequencer), what it received, and its link's messages. */
interface Tab {
  stream: StreamPort;
  got: string[];
  trimmed: unknown[];
  signals: string[];
  channel: TabChannel | undefined;
  page: (event: EnvironmentEvent | { type: 'PAGE_HIDE' }) => void;
  actor: AnyActorRef;
  flushes: number;
  /** How often a leader answered this tab (`HEARD`: its stream reads as live). */
  heard: number;
}

let locks: FakeLocks;
let channels: FakeChannels;
const tabs: Tab[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  locks = new FakeLocks();
  channels = new FakeChannels();
});
afterEach(() => {
  for (const tab of tabs.splice(0)) tab.actor.stop();
  vi.useRealTimers();
});

function event(eventId: string): TaskEvent {
  const parsed = parseTaskEvent({
    type: 'TASK_MESSAGE',
    taskId: 't',
    eventId,
    createdAt: '2026-01-01T00:00:00Z',
    payload: { message: eventId },
  });
  if (!parsed.ok) throw parsed.error;
  return parsed.value as TaskEvent;
}

/** Lets promise callbacks and channel messages run, without moving time. */
async function settle(): Promise<void> {
  for (let i = 0; i < 30; i += 1) await Promise.resolve();
}

/** Opens a tab following task `t`, its stream restored at `cursor`. */
async function openTab(options: { cursor?: string; replayLimit?: number; flush?: () => Promise<void> } = {}) {
  const sequencer = createSequencer({ initialCursor: options.cursor ?? null });
  const tab = { got: [], trimmed: [], signals: [], flushes: 0, heard: 0 } as unknown as Tab;
  tab.stream = {
    taskId: 't',
    relay: null,
    writes: true,
    cursor: () => sequencer.cursor(),
    restore: () => undefined,
    flush: () => {
      tab.flushes += 1;
      return options.flush?.() ?? Promise.resolve();
    },
    // As the store's data path: sequencer first, then the relay hears what was delivered.
    deliver(transport, message) {
      if (message.type === 'history-trimmed') tab.trimmed.push(message.info);
      if (message.type !== 'event') return;
      const after = sequencer.cursor();
      if (sequencer.accept(message.event) !== 'deliver') return;
      tab.got.push(message.event.eventId);
      tab.stream.relay?.(transport, message, after);
    },
  };
  const page: EnvironmentSource = {
    isOnline: () => true,
    isHidden: () => false,
    listen: (handler) => {
      tab.page = handler;
      return () => undefined;
    },
  };
  const env: CrossTabEnvironment = {
    name: async () => NAME,
    locks,
    openChannel: (name) => (tab.channel = channels.open(name)),
    page,
    clock: systemClock,
    heartbeatMs: HEARTBEAT_MS,
    leaderTimeoutMs: LEADER_TIMEOUT_MS,
    replayLimit: options.replayLimit ?? 1_000,
  };
  // A parent that records what the link tells the machine.
  const parent = setup({ actors: { tabLink } }).createMachine({
    invoke: { src: 'tabLink', input: { stream: tab.stream, tabs: env } },
    on: {
      LEAD: { actions: assign(() => (tab.signals.push('LEAD'), {})) },
      FOLLOW: { actions: assign(() => (tab.signals.push('FOLLOW'), {})) },
      HEARD: { actions: assign(() => ((tab.heard += 1), {})) },
    },
  });
  tab.actor = createActor(parent).start();
  tabs.push(tab);
  await settle();
  return tab;
}

/** The leader's transport delivers these events. */
function stream(leader: Tab, ...ids: string[]): void {
  for (const id of ids)
    leader.stream.deliver('websocket', { type: 'event', event: event(id), conformance: 'valid' });
}

describe('cross-tab election', () => {
  it('the first tab leads and writes the checkpoint; the next follows, writes nothing, gets every event once, in order', async () => {
    const a = await openTab();
    const b = await openTab();
    expect(a.signals).toEqual(['LEAD']);
    expect(b.signals).toEqual([]);
    expect([a.heard, b.heard]).toEqual([0, 1]);
    expect([a.stream.writes, b.stream.writes]).toEqual([true, false]);
    stream(a, '1', '2', '3');
    // A duplicate from the transport (a reconnect's replay) is dropped before the relay.
    stream(a, '2', '4');
    await settle();
    expect(b.got).toEqual(['1', '2', '3', '4']);
    expect(locks.state(NAME)).toEqual({ held: true, pending: 1 });
  });

  it('a late joiner at an older cursor gets what it missed from the leader, then the live events', async () => {
    const a = await openTab();
    stream(a, '1', '2', '3', '4', '5');
    const c = await openTab({ cursor: '2' });
    expect(c.got).toEqual(['3', '4', '5']);
    stream(a, '6');
    await settle();
    expect(c.got).toEqual(['3', '4', '5', '6']);
    expect(c.trimmed).toEqual([]);
  });

  it('a follower further behind than the replay limit is told, as a trimmed history (never silently)', async () => {
    const a = await openTab({ replayLimit: 3 });
    stream(a, '1', '2', '3', '4', '5', '6');
    const c = await openTab({ cursor: '1' });
    expect(c.trimmed).toEqual([{ requestedAfterEventId: '1', firstRetainedEventId: '4' }]);
    expect(c.got).toEqual(['4', '5', '6']);
  });

  it('a follower that misses a live event (a gap) asks for a replay instead of skipping', async () => {
    const a = await openTab();
    const b = await openTab();
    stream(a, '1');
    await settle();
    channels.muted.add(a.channel as TabChannel);
    stream(a, '2', '3');
    channels.muted.delete(a.channel as TabChannel);
    stream(a, '4');
    await settle();
    expect(b.got).toEqual(['1', '2', '3', '4']);
  });

  it('followers never take over from a leader that keeps its heartbeat', async () => {
    const a = await openTab();
    const b = await openTab();
    for (let i = 0; i < 60; i += 1) {
      await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    }
    expect(a.signals).toEqual(['LEAD']);
    expect(b.signals).toEqual([]);
  });

  it('a frozen leader (silent, still holding its lock) is replaced after the leader timeout; it steps down when it wakes', async () => {
    const a = await openTab();
    const b = await openTab();
    stream(a, '1');
    await settle();
    channels.muted.add(a.channel as TabChannel);
    await vi.advanceTimersByTimeAsync(LEADER_TIMEOUT_MS - HEARTBEAT_MS);
    expect(b.signals).toEqual([]);
    await vi.advanceTimersByTimeAsync(3 * HEARTBEAT_MS);
    expect(b.signals).toEqual(['LEAD']);
    expect(b.stream.writes).toBe(true);
    // The stolen lock rejected the frozen leader's request: it follows (and queues for the lock).
    expect(a.signals).toEqual(['LEAD', 'FOLLOW']);
    expect(a.stream.writes).toBe(false);
    expect(locks.state(NAME)).toEqual({ held: true, pending: 1 });
    // Awake again: its next heartbeat tick asks the new leader for what it missed.
    channels.muted.clear();
    stream(b, '2', '3');
    await settle();
    expect(a.got).toEqual(['1']);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(a.got).toEqual(['1', '2', '3']);
    expect(b.signals).toEqual(['LEAD']);
  });

  it('two followers that find the leader silent: one takes over, the other stands down', async () => {
    const a = await openTab();
    const b = await openTab();
    const c = await openTab();
    channels.muted.add(a.channel as TabChannel);
    await vi.advanceTimersByTimeAsync(LEADER_TIMEOUT_MS + 3 * HEARTBEAT_MS);
    const leaders = [b, c].filter((tab) => tab.signals.at(-1) === 'LEAD');
    expect(leaders).toHaveLength(1);
    expect([...b.signals, ...c.signals].filter((signal) => signal === 'LEAD')).toHaveLength(1);
    expect(a.signals).toEqual(['LEAD', 'FOLLOW']);
    expect(locks.state(NAME)).toEqual({ held: true, pending: 2 });
  });

  it('when the leader leaves, the next tab leads once the leader has flushed the shared checkpoint', async () => {
    let flushed!: () => void;
    const a = await openTab({ flush: () => new Promise((resolve) => (flushed = resolve)) });
    const b = await openTab();
    a.actor.stop();
    await settle();
    expect(a.flushes).toBe(1);
    expect(b.signals).toEqual([]);
    flushed();
    await settle();
    expect(b.signals).toEqual(['LEAD']);
  });

  it('a stream that ends cancels its pending lock request: no waiting tab becomes leader of a finished task', async () => {
    const a = await openTab();
    const b = await openTab();
    const c = await openTab();
    expect(locks.state(NAME)).toEqual({ held: true, pending: 2 });
    b.actor.stop();
    c.actor.stop();
    await settle();
    expect(locks.state(NAME)).toEqual({ held: true, pending: 0 });
    a.actor.stop();
    await settle();
    expect(locks.state(NAME)).toEqual({ held: false, pending: 0 });
    expect([b.signals, c.signals]).toEqual([[], []]);
    expect(channels.size).toBe(0);
  });

  it('pagehide lets go of the lock at once (bfcache); pageshow from the bfcache joins again as a follower', async () => {
    const a = await openTab();
    const b = await openTab();
    stream(a, '1');
    await settle();
    a.page({ type: 'PAGE_HIDE' });
    await settle();
    expect(a.signals).toEqual(['LEAD', 'FOLLOW']);
    expect(b.signals).toEqual(['LEAD']);
    expect(locks.state(NAME)).toEqual({ held: true, pending: 0 });
    stream(b, '2', '3');
    a.page({ type: 'PAGE_RESTORED' });
    await settle();
    expect(locks.state(NAME)).toEqual({ held: true, pending: 1 });
    expect(a.got).toEqual(['1', '2', '3']);
    stream(b, '4');
    await settle();
    expect(a.got).toEqual(['1', '2', '3', '4']);
  });
});
