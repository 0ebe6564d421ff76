/**
 * Machine tests on fake time: climb-back, connectivity and visibility, TERMINAL from every state,
 * forced transport and remembered health.
 */
import { describe, expect, it } from 'vitest';
import { type MemoryTransport, memoryStep as step } from '../transports/memory';
import {
  advance,
  allAborted,
  errors,
  type Harness,
  hang,
  linkIn,
  ORIGIN,
  polling,
  pollLive,
  progress,
  sse,
  sseLive,
  start,
  ws,
  useMachineTestTime,
  wsLive,
} from './test-harness';
import { createMemoryTransportHealthStore, type TransportHealthStore } from './transport-health';

useMachineTestTime();

describe('climb-back', () => {
  async function liveOnSseAfterWsTimeout(socket: MemoryTransport, stream: MemoryTransport) {
    // Liveness far away, so only the climb-back timers run in these tests.
    const harness = await start({
      transports: [socket, stream, polling()],
      config: { livenessTimeoutMs: 600_000 },
    });
    // WebSocket open deadline 2.5 s, SSE at once (next fake ms), opens at +10, heartbeat at +20.
    await advance(2_500 + 1 + 20);
    expect(harness.state()).toMatchObject({ status: 'live', transport: 'sse', degraded: true });
    return harness;
  }

  it('probes the better transport after probeDelayMs and switches when the probe acks', async () => {
    const socket = ws(hang, wsLive);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    stream.connections[0]?.emit({ type: 'event', event: progress('12'), conformance: 'valid' });
    await advance(29_999);
    expect(socket.connections).toHaveLength(1);
    await advance(1);
    expect(socket.connections).toHaveLength(2);
    expect(socket.connections[1]?.cursor).toBe('12');
    await advance(10);
    // Opened but not yet confirmed: still live on SSE, both connections up.
    expect(harness.state()).toMatchObject({ status: 'live', transport: 'sse', probing: 'websocket' });
    expect(stream.connections[0]?.signal.aborted).toBe(false);
    await advance(10);
    expect(harness.state()).toMatchObject({
      status: 'live',
      transport: 'websocket',
      degraded: false,
      probing: null,
    });
    expect(stream.connections[0]?.signal.aborted).toBe(true);
    expect(socket.connections[1]?.signal.aborted).toBe(false);
    // The promoted run is the active one: its failure now drives recovery.
    socket.connections[1]?.emit({ type: 'error', error: errors.network() });
    expect(harness.state()).toMatchObject({ status: 'backoff', transport: 'websocket' });
  });

  it('data from the probe reaches the data path while both run', async () => {
    const socket = ws(hang, [step.open(), step.event(progress('3')), step.hang()]);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    await advance(30_020);
    expect(harness.received.some((r) => r.transport === 'websocket' && r.message.type === 'event')).toBe(
      true,
    );
  });

  it('stays on the current transport when the probe fails, and probes again with backoff', async () => {
    const socket = ws(hang, [step.open(10), step.error(errors.network(), 10)]);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    await advance(30_000 + 20);
    expect(socket.connections).toHaveLength(2);
    expect(socket.connections[1]?.signal.aborted).toBe(true);
    expect(harness.state()).toMatchObject({ status: 'live', transport: 'sse', probing: null, error: null });
    expect(stream.connections[0]?.signal.aborted).toBe(false);
    // Second probe waits twice as long.
    await advance(59_999);
    expect(socket.connections).toHaveLength(2);
    await advance(1);
    expect(socket.connections).toHaveLength(3);
  });

  it('a probe that never confirms times out after the open + first-frame deadlines', async () => {
    const socket = ws(hang, hang);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    await advance(30_000);
    expect(harness.state().probing).toBe('websocket');
    // The probed transport's own deadlines: WebSocket open 2.5 s + first frame 8 s.
    await advance(10_499);
    expect(harness.state().probing).toBe('websocket');
    await advance(1);
    expect(harness.state()).toMatchObject({ status: 'live', transport: 'sse', probing: null });
    expect(socket.connections[1]?.signal.aborted).toBe(true);
  });

  it('ONLINE while degraded probes at once', async () => {
    const socket = ws(hang, wsLive);
    const stream = sse(sseLive);
    const harness = await liveOnSseAfterWsTimeout(socket, stream);
    harness.actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(2);
    await advance(20);
    expect(harness.state()).toMatchObject({ transport: 'websocket', degraded: false });
  });

  it('does not probe when already on the best transport', async () => {
    const socket = ws(wsLive);
    await start({ transports: [socket, sse()], config: { livenessTimeoutMs: 600_000 } });
    await advance(120_000);
    expect(socket.connections).toHaveLength(1);
  });
});

describe('connectivity, visibility and page lifecycle', () => {
  it('OFFLINE parks the stream (no retries); ONLINE reconnects at once', async () => {
    const socket = ws(wsLive, wsLive);
    const { actor, state } = await start({ transports: [socket, sse()] });
    await advance(20);
    actor.send({ type: 'OFFLINE' });
    expect(state()).toMatchObject({ status: 'offline', transport: null });
    expect(socket.connections[0]?.signal.aborted).toBe(true);
    await advance(600_000);
    expect(socket.connections).toHaveLength(1);
    actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(2);
    await advance(20);
    expect(state().status).toBe('live');
  });

  it('ONLINE during backoff retries at once', async () => {
    const socket = ws([step.error(errors.rateLimited(10_000))], wsLive);
    const { actor } = await start({ transports: [socket] });
    await advance(0);
    actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(2);
  });

  it('START while offline waits for ONLINE', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket], online: false });
    expect(state().status).toBe('offline');
    await advance(10_000);
    expect(socket.connections).toHaveLength(0);
    actor.send({ type: 'ONLINE' });
    expect(socket.connections).toHaveLength(1);
  });

  it('keeps streaming while hidden by default', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket] });
    await advance(20);
    actor.send({ type: 'VISIBILITY_HIDDEN' });
    expect(state().status).toBe('live');
    expect(socket.connections[0]?.signal.aborted).toBe(false);
  });

  it('pauseWhenHidden: closes while hidden and reconnects when visible', async () => {
    const socket = ws(wsLive, wsLive);
    const { actor, state } = await start({ transports: [socket], config: { pauseWhenHidden: true } });
    await advance(20);
    actor.send({ type: 'VISIBILITY_HIDDEN' });
    expect(state().status).toBe('paused');
    expect(socket.connections[0]?.signal.aborted).toBe(true);
    await advance(600_000);
    expect(socket.connections).toHaveLength(1);
    actor.send({ type: 'VISIBILITY_VISIBLE' });
    expect(socket.connections).toHaveLength(2);
  });

  it('PAGE_RESTORED reconnects at once from the checkpoint', async () => {
    const socket = ws(wsLive, wsLive);
    const { actor, setCursor } = await start({ transports: [socket] });
    await advance(20);
    setCursor('99');
    actor.send({ type: 'PAGE_RESTORED' });
    expect(socket.connections[0]?.signal.aborted).toBe(true);
    expect(socket.connections.map((c) => c.cursor)).toEqual([null, '99']);
  });

  it('STOP closes everything and ends in stopped', async () => {
    const socket = ws(wsLive);
    const { actor, state } = await start({ transports: [socket] });
    await advance(20);
    actor.send({ type: 'STOP' });
    expect(state().status).toBe('stopped');
    expect(socket.connections[0]?.signal.aborted).toBe(true);
  });
});

describe('TERMINAL from every state', () => {
  const cases: Array<[string, () => Promise<{ harness: Harness; transports: MemoryTransport[] }>]> = [
    [
      'restoring',
      async () => ({
        harness: await start({ transports: [ws()], checkpoint: new Promise(() => {}) }),
        transports: [],
      }),
    ],
    [
      'connecting',
      async () => {
        const t = ws(hang);
        return { harness: await start({ transports: [t] }), transports: [t] };
      },
    ],
    [
      'awaitingFirstFrame',
      async () => {
        const t = ws([step.open(), step.hang()]);
        const harness = await start({ transports: [t] });
        await advance(0);
        return { harness, transports: [t] };
      },
    ],
    [
      'live',
      async () => {
        const t = ws(wsLive);
        const harness = await start({ transports: [t] });
        await advance(20);
        return { harness, transports: [t] };
      },
    ],
    [
      'live while probing',
      async () => {
        const health = createMemoryTransportHealthStore();
        health.markUnhealthy(ORIGIN, 'websocket', 600_000);
        const socket = ws([step.open(), step.hang()]);
        const stream = sse(sseLive);
        const harness = await start({ transports: [socket, stream], health });
        await advance(30_020);
        expect(harness.state().probing).toBe('websocket');
        return { harness, transports: [socket, stream] };
      },
    ],
    [
      'backoff',
      async () => {
        const t = ws([step.error(errors.network())]);
        const harness = await start({ transports: [t] });
        await advance(0);
        return { harness, transports: [t] };
      },
    ],
    [
      'refreshing credentials',
      async () => {
        const t = ws([step.error(errors.auth())]);
        const harness = await start({
          transports: [t],
          refreshCredentials: () => new Promise<void>(() => {}),
        });
        await advance(0);
        expect(linkIn(harness, 'refreshingCredentials')).toBe(true);
        return { harness, transports: [t] };
      },
    ],
    [
      'offline',
      async () => {
        const t = ws(wsLive);
        const harness = await start({ transports: [t] });
        await advance(20);
        harness.actor.send({ type: 'OFFLINE' });
        return { harness, transports: [t] };
      },
    ],
    [
      'paused',
      async () => {
        const t = ws(wsLive);
        const harness = await start({ transports: [t], config: { pauseWhenHidden: true } });
        await advance(20);
        harness.actor.send({ type: 'VISIBILITY_HIDDEN' });
        return { harness, transports: [t] };
      },
    ],
  ];

  it.each(cases)('%s → done, every transport stopped', async (name, arrange) => {
    const { harness, transports } = await arrange();
    expect(harness.state().status, name).not.toBe('done');
    harness.actor.send({ type: 'TERMINAL' });
    expect(harness.state().status).toBe('done');
    expect(allAborted(...transports)).toBe(true);
    const before = transports.map((t) => t.connections.length);
    await advance(600_000);
    expect(transports.map((t) => t.connections.length)).toEqual(before);
    // Done, and still observed: the machine lives until its last observer has gone for the grace.
    expect(harness.actor.getSnapshot().status).toBe('active');
    harness.actor.send({ type: 'RELEASE' });
    await advance(500);
    expect(harness.actor.getSnapshot().status).toBe('done');
    expect(harness.state().status).toBe('stopped');
  });
});

describe('forceTransport and remembered health', () => {
  it('forceTransport uses only that transport: no fallback, no probe', async () => {
    const socket = ws(wsLive);
    const stream = sse([step.open(), step.hang()]);
    const poll = polling(pollLive);
    const { state } = await start({ transports: [socket, stream, poll], config: { forceTransport: 'sse' } });
    await advance(60_000);
    expect(socket.connections).toHaveLength(0);
    expect(poll.connections).toHaveLength(0);
    expect(stream.connections.length).toBeGreaterThan(3);
    expect(state().transport).toBe('sse');
    expect(state().degraded).toBe(false);
  });

  it('forceTransport that the server does not offer fails with TRANSPORT_UNAVAILABLE', async () => {
    const { state } = await start({ transports: [sse()], config: { forceTransport: 'websocket' } });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TRANSPORT_UNAVAILABLE' } });
  });

  it('starts one step down when the best transport was given up on, then probes upward and forgets the mark', async () => {
    const health: TransportHealthStore = createMemoryTransportHealthStore();
    health.markUnhealthy(ORIGIN, 'websocket', 600_000);
    const socket = ws(wsLive);
    const stream = sse(sseLive);
    const { state } = await start({ transports: [socket, stream, polling()], health });
    expect(state()).toMatchObject({ status: 'connecting', transport: 'sse', degraded: true });
    await advance(20);
    expect(socket.connections).toHaveLength(0);
    await advance(30_000);
    expect(socket.connections).toHaveLength(1);
    await advance(20);
    expect(state()).toMatchObject({ status: 'live', transport: 'websocket', degraded: false });
    expect(health.isUnhealthy(ORIGIN, 'websocket')).toBe(false);
  });

  it('starts on the floor when every better transport is marked, and climbs one rung per probe', async () => {
    const health = createMemoryTransportHealthStore();
    health.markUnhealthy(ORIGIN, 'websocket', 600_000);
    health.markUnhealthy(ORIGIN, 'sse', 600_000);
    const socket = ws([step.error(errors.network())]);
    const stream = sse(sseLive);
    const poll = polling(pollLive);
    const { state } = await start({
      transports: [socket, stream, poll],
      health,
      config: { livenessTimeoutMs: 600_000 },
    });
    await advance(20);
    expect(state()).toMatchObject({ status: 'live', transport: 'polling' });
    // First probe: the best (WebSocket) fails; the next probe tries SSE.
    await advance(30_000);
    expect(socket.connections).toHaveLength(1);
    await advance(60_000 + 20);
    expect(stream.connections).toHaveLength(1);
    expect(state()).toMatchObject({ status: 'live', transport: 'sse', degraded: true });
    expect(poll.connections[0]?.signal.aborted).toBe(true);
  });

  it('an empty transport list fails with TRANSPORT_UNAVAILABLE', async () => {
    const { state } = await start({ transports: [] });
    expect(state()).toMatchObject({ status: 'failed', error: { code: 'TRANSPORT_UNAVAILABLE' } });
  });
});
