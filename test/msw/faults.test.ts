/**
 * Every fault scenario of the MSW kit, and how the client reacts: fallback to the next transport,
 * retry and resume from the checkpoint, or a typed error. Small client deadlines keep it fast.
 */
import { restoreMswNodeGlobals } from './msw-node-globals';
import type { Diagnostic, TaskBridgeClient, TaskSnapshot } from '@taskbridge/client';
import { scriptedTask } from '@taskbridge/server-reference/msw';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type ClientOverrides, startMswTarget } from './targets';

const target = startMswTarget();
const { kit } = target;
kit.registerHandler(
  'chat',
  scriptedTask([
    { type: 'message', message: 'Hel', delayMs: 5 },
    { type: 'message', message: 'lo', delayMs: 5 },
    { type: 'message', message: ' world', delayMs: 5 },
    { type: 'message', message: '!', delayMs: 40 },
    { type: 'complete', result: { text: 'Hello world!' } },
  ]),
);

const FAST = {
  openTimeoutMs: 300,
  firstFrameTimeoutMs: 300,
  backoff: { baseMs: 10, maxMs: 50 },
} as const;

let client: TaskBridgeClient | undefined;
afterEach(() => {
  client?.close();
  kit.resetFaults();
});
afterAll(async () => {
  await target.close();
  restoreMswNodeGlobals();
});

interface Run {
  types: string[];
  /** Transports the stream tried, in order of first attempt. */
  attempted: string[];
  eventIds: string[];
  final: TaskSnapshot;
  diagnostics: Diagnostic[];
}

function newClient(overrides: ClientOverrides = {}): { client: TaskBridgeClient; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  client = target.client({ connection: FAST, onDiagnostic: (d) => diagnostics.push(d), ...overrides });
  return { client, diagnostics };
}

async function run(
  taskType: string,
  input: Record<string, unknown>,
  overrides: ClientOverrides = {},
  onEvent?: (type: string) => void,
): Promise<Run> {
  const { client: c, diagnostics } = newClient(overrides);
  const { stream } = await c.startTask({ taskType, input });
  const types: string[] = [];
  const eventIds: string[] = [];
  const attempted: string[] = [];
  const conn = stream.connection$.subscribe((state) => {
    if (state.status === 'connecting' && state.transport && !attempted.includes(state.transport)) {
      attempted.push(state.transport);
    }
  });
  const sub = stream.events$.subscribe((event) => {
    types.push(event.type);
    eventIds.push(event.eventId);
    onEvent?.(event.type);
  });
  const final = await stream.settled();
  sub.unsubscribe();
  conn.unsubscribe();
  return { types, attempted, eventIds, final, diagnostics };
}

const of = <T extends Diagnostic['type']>(diagnostics: Diagnostic[], type: T) =>
  diagnostics.filter((d): d is Extract<Diagnostic, { type: T }> => d.type === type);

const selected = (diagnostics: Diagnostic[]) => of(diagnostics, 'transport-selected').map((d) => d.transport);

const messages = (types: string[]) => types.filter((t) => t === 'TASK_MESSAGE').length;

describe('WebSocket faults', () => {
  it('refuse: the upgrade fails, the client falls back to SSE', async () => {
    kit.setFaults({ websocket: { kind: 'refuse' } });
    const { final, attempted, diagnostics } = await run('ticker', { count: 10 });
    expect(final.status).toBe('completed');
    expect(attempted).toEqual(['websocket', 'sse']);
    expect(of(diagnostics, 'retry').map((d) => d.error?.code)).toEqual(['NETWORK_ERROR', 'NETWORK_ERROR']);
    expect(selected(diagnostics)).toEqual(['sse']);
  });

  it('silent: accepted but never acked, the first-frame deadline moves the client to SSE', async () => {
    kit.setFaults({ websocket: { kind: 'silent' } });
    const { final, attempted, diagnostics } = await run('ticker', { count: 10 });
    expect(final.status).toBe('completed');
    // One missed deadline is enough to skip the transport (protocol/SPEC.md §10).
    expect(attempted).toEqual(['websocket', 'sse']);
    expect(of(diagnostics, 'retry')).toHaveLength(1);
    expect(selected(diagnostics)).toEqual(['sse']);
  });

  it('close-after: dropped after 3 events, the client resumes from its checkpoint with no loss or duplicate', async () => {
    kit.setFaults({ websocket: { kind: 'close-after', events: 3, times: 1 } });
    const { types, eventIds, final, diagnostics } = await run(
      'ticker',
      { count: 30 },
      { forceTransport: 'websocket' },
    );
    expect(final.status).toBe('completed');
    expect(messages(types)).toBe(30);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    const retry = of(diagnostics, 'retry')[0];
    expect(retry?.error?.code).toBe('CONNECTION_CLOSED');
    expect(retry?.error?.details.closeCode).toBe(1006);
  });

  it('policy-violation: 1008 before the ack, one poll shows the task exists, the client skips to SSE', async () => {
    kit.setFaults({ websocket: { kind: 'policy-violation' } });
    const { final, attempted, diagnostics } = await run('greet', {});
    expect(final.status).toBe('completed');
    expect(attempted).toEqual(['websocket', 'sse']);
    const retry = of(diagnostics, 'retry');
    expect(retry).toHaveLength(1);
    expect(retry[0]?.error?.details.closeCode).toBe(1008);
    expect(selected(diagnostics)).toEqual(['sse']);
  });

  it('three tokens, then the WebSocket is blocked, then it completes (over SSE)', async () => {
    // Event 4 is the third token (after TASK_STARTED): the socket drops right after it.
    kit.setFaults({ websocket: { kind: 'close-after', events: 4 } });
    let tokens = 0;
    const { types, final, diagnostics } = await run('chat', {}, {}, (type) => {
      if (type === 'TASK_MESSAGE' && ++tokens === 3) kit.setFaults({ websocket: { kind: 'refuse' } });
    });
    expect(final.text).toBe('Hello world!');
    expect(types).toEqual(['TASK_STARTED', ...Array(4).fill('TASK_MESSAGE'), 'TASK_COMPLETED']);
    expect(selected(diagnostics)).toEqual(['websocket']);
    expect(of(diagnostics, 'fallback')[0]).toMatchObject({ from: 'websocket', to: 'sse' });
  });
});

describe('SSE faults', () => {
  const sseFirst = { transports: ['sse', 'polling'] } as const;

  it('refuse: 503 before the headers, the client falls back to polling', async () => {
    kit.setFaults({ sse: { kind: 'refuse', status: 503 } });
    const { final, attempted, diagnostics } = await run('ticker', { count: 5 }, sseFirst);
    expect(final.status).toBe('completed');
    expect(attempted).toEqual(['sse', 'polling']);
    expect(of(diagnostics, 'retry').map((d) => d.error?.status)).toEqual([503, 503]);
    expect(selected(diagnostics)).toEqual(['polling']);
  });

  it('buffer: headers then silence, the first-frame deadline moves the client to polling', async () => {
    kit.setFaults({ sse: { kind: 'buffer' } });
    const { final, attempted, diagnostics } = await run('ticker', { count: 5 }, sseFirst);
    expect(final.status).toBe('completed');
    expect(attempted).toEqual(['sse', 'polling']);
    expect(of(diagnostics, 'retry')).toHaveLength(1);
    expect(selected(diagnostics)).toEqual(['polling']);
  });

  it('cut-after: the body ends after 4 events, the client reconnects with Last-Event-ID', async () => {
    kit.setFaults({ sse: { kind: 'cut-after', events: 4, times: 1 } });
    const { types, eventIds, final, diagnostics } = await run(
      'ticker',
      { count: 20 },
      { forceTransport: 'sse' },
    );
    expect(final.status).toBe('completed');
    expect(messages(types)).toBe(20);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    expect(of(diagnostics, 'retry')[0]?.error?.code).toBe('CONNECTION_CLOSED');
  });

  it('peer: the stream never ends after the terminal event, the client closes it and settles', async () => {
    kit.setFaults({ sse: { kind: 'peer' } });
    const { client: c } = newClient({ forceTransport: 'sse' });
    const { stream } = await c.startTask({ taskType: 'greet', input: {} });
    const final = await stream.settled();
    expect(final.status).toBe('completed');
    expect(stream.getConnectionState().status).toBe('done');
  });
});

describe('polling faults', () => {
  it('5xx: retried with backoff until the server answers', async () => {
    kit.setFaults({ polling: { kind: 'error', status: 503, times: 2 } });
    const { final, diagnostics } = await run('ticker', { count: 5 }, { forceTransport: 'polling' });
    expect(final.status).toBe('completed');
    const retries = of(diagnostics, 'retry');
    expect(retries.map((d) => d.error?.status)).toEqual([503, 503]);
    expect(retries.every((d) => d.error?.retryable === true)).toBe(true);
  });

  it('429 with Retry-After: the next attempt waits at least that long', async () => {
    kit.setFaults({ polling: { kind: 'error', status: 429, retryAfterMs: 1000, times: 1 } });
    const { final, diagnostics } = await run('greet', {}, { forceTransport: 'polling' });
    expect(final.status).toBe('completed');
    const retry = of(diagnostics, 'retry')[0];
    expect(retry?.error?.code).toBe('RATE_LIMITED');
    expect(retry?.error?.retryAfterMs).toBe(1000);
    // The backoff alone would be ≤ 50 ms; the diagnostic is reported a few ms after scheduling.
    expect(retry?.delayMs).toBeGreaterThan(900);
  });
});

describe('auth, replay and latency faults', () => {
  it('401 once then OK on create: the client refreshes its credentials once and retries', async () => {
    kit.setFaults({ auth: { kind: 'unauthorized', times: 1, routes: ['create'] } });
    const refreshAccessToken = vi.fn(async () => undefined);
    const { final } = await run('greet', {}, { refreshAccessToken });
    expect(final.status).toBe('completed');
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
  });

  it('401 once then OK on the SSE stream: refresh, reconnect, complete', async () => {
    kit.setFaults({ auth: { kind: 'unauthorized', times: 1, routes: ['stream'] } });
    const refreshAccessToken = vi.fn(async () => undefined);
    const { final, diagnostics } = await run('greet', {}, { refreshAccessToken, forceTransport: 'sse' });
    expect(final.status).toBe('completed');
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
    expect(of(diagnostics, 'auth-refresh')).toHaveLength(1);
  });

  it('401 without a refresh hook is a typed, final AUTHENTICATION_ERROR', async () => {
    kit.setFaults({ auth: { kind: 'unauthorized', routes: ['events'] } });
    const { client: c } = newClient({ forceTransport: 'polling' });
    const { stream } = await c.startTask({ taskType: 'greet', input: {} });
    await expect(stream.settled()).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR', status: 401 });
  });

  it('duplicate replay after a reconnect: each eventId reaches the app once', async () => {
    kit.setFaults({
      websocket: { kind: 'close-after', events: 5, times: 1 },
      history: { kind: 'duplicate', events: 3 },
    });
    const { types, eventIds, final, diagnostics } = await run(
      'ticker',
      { count: 30 },
      { forceTransport: 'websocket' },
    );
    expect(final.status).toBe('completed');
    expect(messages(types)).toBe(30);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    expect(of(diagnostics, 'duplicate-dropped').length).toBeGreaterThanOrEqual(3);
  });

  for (const transport of ['websocket', 'sse', 'polling'] as const) {
    it(`history trimmed over ${transport}: a late observer gets the retained tail and the terminal state`, async () => {
      const first = await run('ticker', { count: 10 });
      expect(first.final.status).toBe('completed');
      kit.setFaults({ history: { kind: 'trimmed', keep: 3 } });
      const { client: late } = newClient({ forceTransport: transport });
      const final = await late.task(first.final.taskId).settled();
      expect(final.status).toBe('completed');
      expect(final.eventCount).toBe(3);
      expect(final.messages.map((m) => m.message)).toEqual(['tick 9', 'tick 10']);
    });
  }

  it('slow responses: the create waits the injected latency, then works as usual', async () => {
    kit.setFaults({ latency: { ms: 200, routes: ['create'] } });
    const { client: c } = newClient();
    const started = performance.now();
    const { stream, response } = await c.startTask({ taskType: 'greet', input: {} });
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(response.status).toBe('ACCEPTED');
    expect((await stream.settled()).status).toBe('completed');
  });

  it('faults compose and change at runtime: WebSocket refused + SSE buffered ends on polling', async () => {
    kit.setFaults({ websocket: { kind: 'refuse' }, sse: { kind: 'buffer' } });
    const { final, attempted, diagnostics } = await run('ticker', { count: 5 });
    expect(final.status).toBe('completed');
    expect(attempted).toEqual(['websocket', 'sse', 'polling']);
    expect(selected(diagnostics)).toEqual(['polling']);
    kit.resetFaults();
    const healthy = await run('ticker', { count: 5 });
    expect(healthy.attempted).toEqual(['websocket']);
    expect(selected(healthy.diagnostics)).toEqual(['websocket']);
  });
});

describe('dropConnections', () => {
  for (const transport of ['websocket', 'sse'] as const) {
    it(`drops live ${transport} connections; the client reconnects and resumes without loss or duplicate`, async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      kit.registerHandler('gated', async (ctx) => {
        await ctx.message('before');
        await gate;
        await ctx.message('after');
        return null;
      });
      const { client: c, diagnostics } = newClient({ forceTransport: transport });
      const { stream } = await c.startTask({ taskType: 'gated', input: {} });
      const eventIds: string[] = [];
      const sub = stream.events$.subscribe((event) => eventIds.push(event.eventId));
      await vi.waitFor(() => expect(stream.getSnapshot().text).toBe('before'));
      kit.dropConnections();
      await vi.waitFor(() => expect(of(diagnostics, 'retry').length).toBe(1));
      release();
      const final = await stream.settled();
      sub.unsubscribe();
      expect(final.text).toBe('beforeafter');
      expect(new Set(eventIds).size).toBe(eventIds.length);
      expect(of(diagnostics, 'retry')[0]?.error?.code).toBe('CONNECTION_CLOSED');
    });
  }
});
