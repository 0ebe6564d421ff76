/**
 * H5 — unchecked HTTP status on a stream (protocol/SPEC.md §13). A front server answers one route with a status
 * (and the protocol/SPEC.md §8 envelope) and passes everything else to the reference server. For each status on
 * create, poll, SSE and the WebSocket upgrade, the client either fails with the right typed
 * `TaskBridgeError` or retries as protocol/SPEC.md §8 classifies it and then delivers every event — it never
 * ends quietly with no events.
 *
 * Classification under test:
 * - 400/403/404/409/422: final (`retryable: false`), one request, no retry;
 * - 401: `refreshAccessToken` once, then success if the refreshed token is accepted, else final
 *   `AUTHENTICATION_ERROR`;
 * - 429: retried no sooner than `Retry-After`; 500/503: retried with backoff until the fault clears;
 * - WebSocket upgrade: 401/429/5xx as above; other refusals are the retryable `NETWORK_ERROR` a browser
 *   sees (it cannot read the status), so the client falls back to SSE, or fails after `maxRetries`
 *   when the WebSocket is forced.
 */
import type { TaskBridgeClientOptions } from '@taskbridge/client';
import { TaskBridgeError, type TransportName } from '@taskbridge/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type FrontBehaviour,
  type FrontRoute,
  type FrontServer,
  startFrontServer,
} from '../support/front-server';
import { createNodeClient, type NodeClient, recordEvents, serverEventIds } from '../support/node-client';
import { startTestServer, type TestServer } from '../support/reference-server';

const CODE = {
  400: 'INVALID_REQUEST',
  401: 'AUTHENTICATION_ERROR',
  403: 'TASK_OWNERSHIP_ERROR',
  404: 'TASK_NOT_FOUND',
  409: 'IDEMPOTENCY_CONFLICT',
  422: 'REQUEST_VALIDATION_ERROR',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'TASK_SUBMISSION_ERROR',
} as const;
const FINAL = [400, 403, 404, 409, 422] as const;
const TRANSIENT = [500, 503] as const;
const TICKS = 20;
const RETRY_AFTER_S = 1;
const STALE = 'Bearer alice.v1';

let srv: TestServer;
let front: FrontServer;
let made: NodeClient;
let refreshes = 0;

beforeEach(async () => {
  srv = await startTestServer();
  front = await startFrontServer(srv);
  refreshes = 0;
});

afterEach(async () => {
  made?.client.close();
  await front.close();
  await srv.close();
});

/** A client through the front server whose token is `alice.v1` until refreshed to `alice.v2`. */
function clientFor(overrides: Partial<TaskBridgeClientOptions> = {}): NodeClient {
  let token = 'alice.v1';
  made = createNodeClient(front.url, {
    getAccessToken: () => token,
    refreshAccessToken: async () => {
      refreshes += 1;
      token = 'alice.v2';
    },
    requestRetry: { attempts: 4, backoff: { baseMs: 10, maxMs: 50 } },
    connection: { backoff: { baseMs: 10, maxMs: 50 }, openTimeoutMs: 2_000, firstFrameTimeoutMs: 2_000 },
    ...overrides,
  });
  return made;
}

const status = (code: number, extra: Partial<Extract<FrontBehaviour, { kind: 'status' }>> = {}) =>
  ({ kind: 'status', status: code, ...extra }) as const;
const onlyStale = (req: { headers: { authorization?: string } }) => req.headers.authorization === STALE;

function expectTyped(error: unknown, expected: { code: string; status: number; retryable: boolean }) {
  expect(error).toBeInstanceOf(TaskBridgeError);
  expect(error).toMatchObject(expected);
}

/** The gap between the first two requests to `route`, ms. */
function retryGap(route: FrontRoute): number {
  const [first, second] = front.hitsOf(route);
  if (!first || !second) throw new Error(`expected two requests to ${route}`);
  return second.at - first.at;
}

describe('H5 on create (startTask)', () => {
  const params = { taskType: 'ticker', input: { count: 1 } };

  for (const code of FINAL) {
    it(`${code} fails with ${CODE[code]}, not retried`, async () => {
      const { client } = clientFor();
      front.set('create', status(code));
      const error = await client.startTask(params).catch((e: unknown) => e);
      expectTyped(error, { code: CODE[code], status: code, retryable: false });
      expect(front.hitsOf('create')).toHaveLength(1);
      expect(srv.server.engine.taskCount).toBe(0);
    });
  }

  it('401 refreshes once and succeeds when the refreshed token is accepted', async () => {
    const { client } = clientFor();
    front.set('create', status(401, { when: onlyStale }));
    const started = await client.startTask(params);
    expect(started.response.status).toBe('ACCEPTED');
    expect(refreshes).toBe(1);
    expect(front.hitsOf('create').map((h) => h.authorization)).toEqual([STALE, 'Bearer alice.v2']);
    expect(srv.server.engine.taskCount).toBe(1);
  });

  it('401 refreshes once and fails with AUTHENTICATION_ERROR when the refreshed token is refused', async () => {
    const { client } = clientFor();
    front.set('create', status(401));
    const error = await client.startTask(params).catch((e: unknown) => e);
    expectTyped(error, { code: 'AUTHENTICATION_ERROR', status: 401, retryable: false });
    expect(refreshes).toBe(1);
    expect(front.hitsOf('create')).toHaveLength(2);
  });

  it('429 is retried no sooner than Retry-After, then succeeds', async () => {
    const { client } = clientFor();
    front.set('create', [status(429, { headers: { 'Retry-After': String(RETRY_AFTER_S) } })]);
    const started = await client.startTask(params);
    expect(started.response.deduplicated).toBe(false);
    expect(retryGap('create')).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 5);
    expect(srv.server.engine.taskCount).toBe(1);
  });

  for (const code of TRANSIENT) {
    it(`${code} is retried with backoff and succeeds once the fault clears (one task)`, async () => {
      const { client } = clientFor();
      front.set('create', [status(code), status(code)]);
      const started = await client.startTask(params);
      expect(front.hitsOf('create').map((h) => h.answered)).toEqual(['status', 'status', 'pass']);
      expect(started.response.taskId).toBe(started.taskId);
      expect(srv.server.engine.taskCount).toBe(1);
    });
  }
});

const STREAM_ROUTES: { route: FrontRoute; transport: TransportName }[] = [
  { route: 'events', transport: 'polling' },
  { route: 'stream', transport: 'sse' },
  { route: 'websocket', transport: 'websocket' },
];

/** Creates a ticker directly on the reference server and observes it through the front server. */
async function observe(
  transport: TransportName | undefined,
  overrides: Partial<TaskBridgeClientOptions> = {},
) {
  const taskId = await srv.createTask('ticker', { count: TICKS }, 'alice');
  const { client, diagnostics } = clientFor({
    ...(transport ? { forceTransport: transport } : {}),
    ...overrides,
  });
  const stream = client.task(taskId);
  const recording = recordEvents(stream);
  return { taskId, stream, recording, diagnostics };
}

async function expectAllEvents(observed: Awaited<ReturnType<typeof observe>>) {
  await observed.recording.done;
  expect(observed.recording.events.map((e) => e.eventId)).toEqual(await serverEventIds(srv, observed.taskId));
  expect(observed.recording.events).toHaveLength(TICKS + 2);
  expect(observed.stream.getSnapshot().status).toBe('completed');
}

for (const { route, transport } of STREAM_ROUTES) {
  describe(`H5 on ${route} (${transport} forced)`, () => {
    if (transport !== 'websocket') {
      for (const code of FINAL) {
        it(`${code} fails the stream with ${CODE[code]}, no events, no retry`, async () => {
          front.set(route, status(code));
          const observed = await observe(transport);
          const error = await observed.recording.done.then(
            () => undefined,
            (e: unknown) => e,
          );
          expectTyped(error, { code: CODE[code], status: code, retryable: false });
          expect(observed.recording.events).toEqual([]);
          expect(front.hitsOf(route)).toHaveLength(1);
          expect(observed.stream.getConnectionState()).toMatchObject({ status: 'failed' });
        });
      }
    } else {
      for (const code of FINAL) {
        it(`${code} on the upgrade is a retryable NETWORK_ERROR carrying the status`, async () => {
          front.set(route, status(code));
          const observed = await observe(transport, {
            connection: { maxRetries: 2, backoff: { baseMs: 10, maxMs: 50 } },
          });
          const error = await observed.recording.done.then(
            () => undefined,
            (e: unknown) => e,
          );
          expectTyped(error, { code: 'NETWORK_ERROR', status: code, retryable: true });
          expect(observed.recording.events).toEqual([]);
          expect(front.hitsOf(route)).toHaveLength(3);
        });

        it(`${code} on the upgrade falls back to SSE when not forced, losing nothing`, async () => {
          front.set(route, status(code));
          const observed = await observe(undefined);
          await expectAllEvents(observed);
          expect(front.hitsOf('websocket').length).toBeGreaterThanOrEqual(2);
          expect(observed.diagnostics).toContainEqual(
            expect.objectContaining({ type: 'transport-selected', transport: 'sse' }),
          );
        });
      }
    }

    it('401 refreshes once and resumes when the refreshed token is accepted', async () => {
      front.set(route, status(401, { when: onlyStale }));
      const observed = await observe(transport);
      await expectAllEvents(observed);
      expect(refreshes).toBe(1);
      expect(front.hitsOf(route)[0]?.authorization).toBe(STALE);
      expect(observed.diagnostics.filter((d) => d.type === 'auth-refresh')).toHaveLength(1);
    });

    it('401 refreshes once, then fails with AUTHENTICATION_ERROR', async () => {
      front.set(route, status(401));
      const observed = await observe(transport);
      const error = await observed.recording.done.then(
        () => undefined,
        (e: unknown) => e,
      );
      expectTyped(error, { code: 'AUTHENTICATION_ERROR', status: 401, retryable: false });
      expect(refreshes).toBe(1);
      expect(front.hitsOf(route)).toHaveLength(2);
      expect(observed.recording.events).toEqual([]);
    });

    it('429 is retried (after Retry-After where the transport can see it), then delivers everything', async () => {
      front.set(route, [status(429, { headers: { 'Retry-After': String(RETRY_AFTER_S) } })]);
      const observed = await observe(transport);
      await expectAllEvents(observed);
      const retry = observed.diagnostics.find((d) => d.type === 'retry');
      expect(retry?.type === 'retry' && retry.error).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      // A WebSocket client never sees the upgrade response's headers; HTTP transports do.
      if (transport !== 'websocket') {
        expect(retryGap(route)).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 5);
      }
    });

    for (const code of TRANSIENT) {
      it(`${code} is retried with backoff until the fault clears, then delivers everything`, async () => {
        front.set(route, [status(code), status(code)]);
        const observed = await observe(transport);
        await expectAllEvents(observed);
        expect(
          front
            .hitsOf(route)
            .slice(0, 3)
            .map((h) => h.answered),
        ).toEqual(['status', 'status', 'pass']);
        const retries = observed.diagnostics.filter((d) => d.type === 'retry');
        expect(retries).toHaveLength(2);
        for (const retry of retries) {
          expect(retry.type === 'retry' && retry.error).toMatchObject({ status: code, retryable: true });
        }
      });
    }
  });
}

describe('H5: a 2xx that is not the stream', () => {
  const page = { body: '<html><body>Sign in</body></html>', contentType: 'text/html' };

  for (const { route, transport } of STREAM_ROUTES.filter((r) => r.transport !== 'websocket')) {
    it(`a 200 HTML page on ${route} is UNEXPECTED_RESPONSE (retried), never parsed as events`, async () => {
      front.set(route, [status(200, page)]);
      const observed = await observe(transport);
      await expectAllEvents(observed);
      const retry = observed.diagnostics.find((d) => d.type === 'retry');
      expect(retry?.type === 'retry' && retry.error).toMatchObject({
        code: 'UNEXPECTED_RESPONSE',
        retryable: true,
      });
      expect(observed.diagnostics.filter((d) => d.type === 'malformed-frame')).toEqual([]);
    });

    it(`a 404 HTML page (no envelope) on ${route} is still TASK_NOT_FOUND`, async () => {
      front.set(route, status(404, page));
      const observed = await observe(transport);
      const error = await observed.recording.done.then(
        () => undefined,
        (e: unknown) => e,
      );
      expectTyped(error, { code: 'TASK_NOT_FOUND', status: 404, retryable: false });
      expect(observed.recording.events).toEqual([]);
    });
  }
});

it('H5: the stream observable never completes without its terminal event', async () => {
  // A 503 that never clears on every transport: the client keeps retrying and stays incomplete.
  for (const route of ['events', 'stream', 'websocket'] as const) front.set(route, status(503));
  const observed = await observe(undefined, {
    connection: { backoff: { baseMs: 5, maxMs: 20 }, maxRetries: 8 },
  });
  const error = await observed.recording.done.then(
    () => undefined,
    (e: unknown) => e,
  );
  expectTyped(error, { code: 'TASK_SUBMISSION_ERROR', status: 503, retryable: true });
  expect(observed.recording.completed).toBe(false);
  expect(observed.recording.events).toEqual([]);
  await vi.waitFor(() => expect(observed.stream.getConnectionState().status).toBe('failed'));
});
