/**
 * One WebSocket connection of protocol/SPEC.md §6, transport-neutral: one subscribe frame, the ack, replay,
 * live events and heartbeats; close 1000 right after the terminal event; 1008 for bad frames, unknown
 * or foreign tasks and auth failures; 1003 for binary frames; 1013 when the subscriber fell too far
 * behind (hazard H3). The `ws` adapter and the MSW handler both drive it through a {@link WsPeer}.
 */
import {
  CloseCode,
  isTerminalEvent,
  parseJson,
  parseSubscribeFrame,
  TaskBridgeError,
  type TaskEvent,
} from '@taskbridge/protocol';
import type { Subscription } from '../engine/subscription';
import type { TaskEngine } from '../engine/task-engine';
import type { AuthContext } from '../engine/types';
import type { ResolvedServerOptions } from '../options';
import { createDrainBudget, YIELD_EVERY_CHARS, yieldToEventLoop } from './drain-budget';
import { eventJson } from './event-json';

/**
 * The auth hook's result for an upgrade, resolved before the subscribe frame arrives. `taskId` is set
 * when a stream ticket authenticated the upgrade: the only task it may subscribe to
 * (protocol/SPEC.md §12).
 */
export type AuthOutcome =
  { ok: true; value: AuthContext; taskId?: string } | { ok: false; error: TaskBridgeError };

/** What a frame the session sends is, so adapters (and fault injection) need not parse it back. */
export type WsFrame = { kind: 'ack' } | { kind: 'heartbeat' } | { kind: 'event'; event: TaskEvent };

/** The socket a session talks to. */
export interface WsPeer {
  /** Sends one text frame; a returned promise makes the session wait (backpressure). */
  send(text: string, frame: WsFrame): void | Promise<void>;
  /**
   * Optional: holds frames back until {@link WsPeer.uncork}, so a batch of events leaves in one write
   * instead of one syscall per frame. Calls nest, as `stream.Writable#cork` does.
   */
  cork?(): void;
  /** Optional: releases what {@link WsPeer.cork} held; the last matching call flushes. */
  uncork?(): void;
  /** Closes the socket with a close code (protocol/SPEC.md §6) and reason. */
  close(code: number, reason: string): void;
  /**
   * Optional: closes with `code` and `reason` and drops the connection now, unsent frames included
   * (a reader that did not drain within its budget, hazard H3). Default: {@link WsPeer.close}.
   */
  abort?(code: number, reason: string): void;
  /** True while frames can be sent. */
  isOpen(): boolean;
}

/**
 * Opens the subscription a session streams; `engine.subscribe` unless a host shapes it (the MSW kit
 * applies its replay faults here).
 */
export type SubscribeFn = (auth: AuthContext, taskId: string, cursor: string | null) => Promise<Subscription>;

/** Thrown inside the pump when the reader did not drain within its budget. */
class ReaderStalled extends Error {
  constructor(readonly waitedMs: number) {
    super('reader did not drain in time');
  }
}

/** Inbound side of a session: the adapter forwards the socket's messages and its close. */
export interface WsSession {
  /** A text frame (`string`) or a binary frame (`null`). */
  receive(data: string | null): void;
  /** The socket closed (either side): stops timers and the subscription. */
  closed(): void;
}

/**
 * Starts a session on an open socket. The subscribe deadline (`options.subscribeTimeoutMs`) starts now.
 * Frames after the subscribe frame are read (so a closed client is noticed) and ignored.
 */
export function startWsSession(
  peer: WsPeer,
  engine: TaskEngine,
  options: ResolvedServerOptions,
  auth: Promise<AuthOutcome>,
  subscribeTo: SubscribeFn = (user, taskId, cursor) => engine.subscribe(user, taskId, cursor),
): WsSession {
  let subscribed = false;
  let subscription: Subscription | undefined;
  let ended = false;
  const timeout = setTimeout(
    () => peer.close(CloseCode.POLICY_VIOLATION, 'subscribe frame expected'),
    options.subscribeTimeoutMs,
  );

  const subscribe = async (text: string): Promise<void> => {
    const json = parseJson(text);
    const frame = json.ok ? parseSubscribeFrame(json.value) : json;
    if (!frame.ok) return peer.close(CloseCode.POLICY_VIOLATION, 'invalid subscribe frame');
    const outcome = await auth;
    if (!outcome.ok) return peer.close(CloseCode.POLICY_VIOLATION, 'authentication failed');
    const { taskId, lastEventId } = frame.value;
    if (outcome.taskId !== undefined && outcome.taskId !== taskId) {
      return peer.close(CloseCode.POLICY_VIOLATION, 'stream ticket not valid for this task');
    }
    let opened: Subscription;
    try {
      opened = await subscribeTo(outcome.value, taskId, lastEventId);
    } catch (error) {
      const { code } = TaskBridgeError.from(error);
      if (code === 'TASK_NOT_FOUND' || code === 'INVALID_REQUEST') {
        return peer.close(
          CloseCode.POLICY_VIOLATION,
          code === 'TASK_NOT_FOUND' ? 'task not found' : 'invalid cursor',
        );
      }
      // The backend failed (not the client): try again later, as for an overflow.
      return peer.close(CloseCode.TRY_AGAIN_LATER, 'stream unavailable');
    }
    if (ended || !peer.isOpen()) return opened.close();
    subscription = opened;
    const ack = JSON.stringify({
      type: 'SUBSCRIPTION_CONFIRMED',
      taskId,
      replayStartedAfterEventId: lastEventId,
      live: true,
      // protocol/SPEC.md §11: present only when retention deleted events after the cursor.
      ...(opened.historyTrimmed ? { historyTrimmed: opened.historyTrimmed } : {}),
    });
    void peer.send(ack, { kind: 'ack' });
    void pump(taskId, opened);
  };

  // A batch goes out corked (one write); a lone event needs no cork. Uncorked for good at the first
  // backpressure wait (the frame waited for cannot leave a corked socket, and a slow reader gains
  // nothing from batching) and at the first yield to the event loop (a long batch to a fast reader
  // must not hold the loop: hazard H3).
  const { drainTimeoutMs } = options.subscriberBudget;
  const budget = createDrainBudget(drainTimeoutMs);
  let sinceYield = 0;
  const sendBatch = async (events: readonly TaskEvent[]): Promise<void> => {
    let corked = events.length > 1 && peer.cork !== undefined;
    if (corked) peer.cork?.();
    try {
      for (const event of events) {
        const text = eventJson(event);
        const pending = peer.send(text, { kind: 'event', event });
        if (pending) {
          if (corked) peer.uncork?.();
          corked = false;
          const waitStarted = Date.now();
          if (!(await budget.wait(pending))) {
            throw new ReaderStalled(Date.now() - waitStarted);
          }
        }
        // Counted whether or not the send waited: a drain the kernel grants at once comes back in
        // the same turn of the loop.
        sinceYield += text.length;
        if (sinceYield < YIELD_EVERY_CHARS) continue;
        sinceYield = 0;
        if (corked) peer.uncork?.();
        corked = false;
        await yieldToEventLoop();
      }
    } finally {
      if (corked) peer.uncork?.();
    }
  };

  const pump = async (taskId: string, source: Subscription): Promise<void> => {
    const heartbeat = JSON.stringify({ type: 'HEARTBEAT', taskId, live: true });
    const interval = options.heartbeatIntervalMs.websocket;
    let lastSend = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - lastSend >= interval / 2 && peer.isOpen()) {
        lastSend = Date.now();
        void peer.send(heartbeat, { kind: 'heartbeat' });
      }
    }, interval);
    let terminal = false;
    let stalled = false;
    let code: number = CloseCode.GOING_AWAY;
    try {
      for await (const item of source) {
        if (!peer.isOpen()) break;
        lastSend = Date.now();
        if (item.kind === 'caught-up') {
          void peer.send(heartbeat, { kind: 'heartbeat' });
          continue;
        }
        await sendBatch(item.events);
        terminal = isTerminalEvent(item.events[item.events.length - 1] as TaskEvent);
      }
      // Ended with nothing newer than a cursor at the terminal event (protocol/SPEC.md §6, E): still a normal end.
      terminal ||= source.endedAtTerminal;
      if (terminal) code = CloseCode.NORMAL;
    } catch (error) {
      code = CloseCode.TRY_AGAIN_LATER;
      stalled = error instanceof ReaderStalled;
      options.logger(
        error instanceof ReaderStalled
          ? {
              level: 'warn',
              msg: 'subscriber did not drain within its budget: disconnected',
              transport: 'websocket',
              taskId,
              drainTimeoutMs,
              waitedMs: error.waitedMs,
            }
          : {
              level: 'warn',
              msg: 'websocket subscriber overflow',
              taskId,
              error: TaskBridgeError.from(error).message,
            },
      );
    } finally {
      clearInterval(timer);
      budget.dispose();
      source.close();
      const reason = 'subscriber too slow: did not drain in time';
      if (stalled && peer.abort) peer.abort(code, reason);
      else if (stalled) peer.close(code, reason);
      else if (peer.isOpen()) peer.close(code, terminal ? 'task finished' : 'stream ended');
    }
  };

  return {
    receive(data) {
      if (data === null) return peer.close(CloseCode.UNSUPPORTED_DATA, 'text frames only');
      if (subscribed) return;
      subscribed = true;
      clearTimeout(timeout);
      void subscribe(data);
    },
    closed() {
      ended = true;
      clearTimeout(timeout);
      subscription?.close();
    },
  };
}
