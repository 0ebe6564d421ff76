/**
 * Property-based bad-input test against ONE real reference server (protocol/SPEC.md §2–§8): garbage JSON
 * bodies, malformed JSON text, random content types and encodings, random poll/SSE queries and
 * cursors, multipart uploads with hostile file names, and garbage WebSocket frames. For every case
 * the server answers below 500 and every 4xx is the JSON error envelope; WebSockets close with 1003
 * (binary) or 1008 (bad frame), or ack a valid subscribe frame. Meanwhile a long `ticker` task
 * streams to a live SSE and a live WebSocket subscriber: at the end no event is lost anywhere and the
 * server still answers `/health`.
 */
import {
  compareEventIds,
  isTerminalEvent,
  parseJson,
  parseSubscribeFrame,
  type TaskEvent,
} from '@taskbridge/protocol';
import { checkCursor } from '@taskbridge/server-reference';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import {
  authorization,
  contentEncoding,
  contentType,
  cursor,
  deepInputCreateBody,
  encodeMultipart,
  intParam,
  jsonBodyText,
  malformedJsonText,
  multipartMutation,
  multipartParts,
  mutateMultipart,
  nastyString,
  oversizedString,
  queryString,
  taskIdSegment,
  toJsonText,
  type WsFrame,
  wsFrame,
} from '../support/fuzz-arbitraries';
import { createRawClient, envelopeViolation, type RawClient, type RawRequest } from '../support/fuzz-http';
import { assertProperty } from '../support/fuzz-property';
import { settleWithin } from '../support/hazard-deferred';
import { idsOf, openSse, openWs, readLog, type SseReader, type WsReader } from '../support/hazard-streams';
import { startTestServer, type TestServer } from '../support/reference-server';

const TICKS = 2_000;
const PROPERTY_TIMEOUT_MS = 60_000;
// Per-request ceiling: any hang is a failure, not a slow pass.
const REQUEST_MS = 10_000;
const WS_MAX_PAYLOAD = 64 * 1024;

let server: TestServer;
let client: RawClient;
let tickerId: string;
let doneId: string;
let approvalId: string;
let suspendId: string;
let liveSse: SseReader;
let liveWs: WsReader;

beforeAll(async () => {
  server = await startTestServer({
    uploads: { maxFileBytes: 16 * 1024, maxFiles: 3 },
    heartbeatIntervalMs: { websocket: 60_000, sse: 60_000 },
  });
  client = createRawClient(server.url);
  tickerId = await server.createTask('ticker', { count: TICKS, intervalMs: 5 });
  liveSse = openSse(server.url, `/api/v1/tasks/${tickerId}/events/stream`);
  liveWs = openWs(server.wsUrl, tickerId);
  doneId = await server.createTask('greet');
  approvalId = await server.createTask('approval');
  suspendId = await vi.waitFor(async () => {
    const suspended = (await readLog(server.request, approvalId)).find((e) => e.type === 'TASK_SUSPENDED');
    if (suspended?.type !== 'TASK_SUSPENDED') throw new Error('approval task not suspended yet');
    return suspended.payload.suspendId;
  });
});

afterAll(async () => {
  liveSse?.close();
  liveWs?.close();
  client?.close();
  await server?.close();
});

/** Sends one request and fails the property unless the error contract holds. */
async function expectContract(request: RawRequest): Promise<number> {
  const res = await settleWithin(
    client.send(request),
    REQUEST_MS,
    `${request.method} ${request.path.slice(0, 80)}`,
  );
  const violation = envelopeViolation(res);
  if (violation) throw new Error(`${request.method} ${request.path.slice(0, 120)} → ${violation}`);
  return res.status;
}

const headersOf = (entries: Record<string, string | undefined | null>): Record<string, string> =>
  Object.fromEntries(Object.entries(entries).filter((e): e is [string, string] => typeof e[1] === 'string'));

describe('bad input never gets a 5xx or a non-envelope error', () => {
  it(
    'create: arbitrary JSON bodies (wrong types, unknown fields, huge strings, deep nesting)',
    async () => {
      await assertProperty(
        fc.asyncProperty(jsonBodyText, authorization, async (body, auth) => {
          await expectContract({
            method: 'POST',
            path: '/api/v1/tasks',
            headers: headersOf({ 'content-type': 'application/json', authorization: auth }),
            body,
          });
        }),
        400,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'create, cancel, actions: malformed JSON text with random content types and encodings',
    async () => {
      const routes = fc.constantFrom(
        '/api/v1/tasks',
        () => `/api/v1/tasks/${doneId}/cancel`,
        () => `/api/v1/tasks/${approvalId}/actions`,
        '/api/v1/tasks/unknown/cancel',
      );
      await assertProperty(
        fc.asyncProperty(
          routes,
          fc.oneof(malformedJsonText, jsonBodyText),
          contentType,
          contentEncoding,
          async (route, body, type, encoding) => {
            await expectContract({
              method: 'POST',
              path: typeof route === 'string' ? route : route(),
              headers: headersOf({
                'content-type': type,
                'content-encoding': encoding,
                authorization: 'Bearer alice',
              }),
              body,
            });
          },
        ),
        250,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'poll, SSE and status: random task ids, cursors, query params and credentials',
    async () => {
      const query = fc.array(
        fc.oneof(
          cursor.map((v) => ['afterEventId', v] as const),
          intParam(0, 30).map((v) => ['waitTimeoutMs', v] as const),
          intParam(1, 500).map((v) => ['maxEvents', v] as const),
          cursor.map((v) => ['lastEventId', v] as const),
          nastyString.map((v) => ['access_token', v] as const),
          fc.tuple(fc.string({ maxLength: 10 }), nastyString),
        ),
        { maxLength: 5 },
      );
      await assertProperty(
        fc.asyncProperty(
          taskIdSegment([tickerId, doneId, approvalId]),
          fc.constantFrom('/events', '/events/stream', ''),
          query,
          authorization,
          fc.option(cursor.filter((c) => /^[\t\x20-\x7e]*$/.test(c))),
          async (segment, suffix, pairs, auth, lastEventId) => {
            // Keep long polls short whatever else the query says: the wait is capped at 30 ms.
            const safePairs = pairs.filter(
              ([k, v]) => k !== 'waitTimeoutMs' || !/^\d+$/.test(v) || Number(v) <= 30,
            );
            await expectContract({
              method: 'GET',
              path: `/api/v1/tasks/${segment}${suffix}${queryString(safePairs)}`,
              headers: headersOf({ authorization: auth, 'last-event-id': lastEventId }),
            });
          },
        ),
        400,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'actions and cancel: shaped and unshaped bodies, on live, finished, foreign and unknown tasks',
    async () => {
      const actionBody = fc
        .record(
          {
            clientActionId: fc.oneof(fc.string({ maxLength: 12 }), nastyString, fc.anything()),
            suspendId: fc.oneof(fc.constant(suspendId), fc.uuid(), nastyString, fc.anything()),
            actionType: fc.oneof(
              fc.constantFrom('approve', 'reject', 'APPROVE', ''),
              nastyString,
              fc.anything(),
            ),
            payload: fc.oneof(fc.object(), fc.anything()),
            metadata: fc.oneof(fc.object(), fc.anything()),
            surprise: fc.anything(),
          },
          { requiredKeys: [] },
        )
        .map(toJsonText);
      const cancelBody = fc.oneof(
        fc.record({ reason: fc.oneof(nastyString, fc.anything()) }, { requiredKeys: [] }).map(toJsonText),
        jsonBodyText,
      );
      await assertProperty(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(fc.constant('actions' as const), actionBody),
            fc.tuple(fc.constant('cancel' as const), cancelBody),
          ),
          fc.constantFrom('approval', 'done', 'unknown'),
          fc.constantFrom('Bearer alice', 'Bearer alice', 'Bearer mallory'),
          async ([route, body], target, auth) => {
            // Never the ticker: cancelling it would end the no-lost-events run early.
            const taskId = target === 'approval' ? approvalId : target === 'done' ? doneId : 'no-such-task';
            await expectContract({
              method: 'POST',
              path: `/api/v1/tasks/${taskId}/${route}`,
              headers: { 'content-type': 'application/json', authorization: auth },
              body,
            });
          },
        ),
        400,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'multipart create: random fields and files; path-like file names are refused',
    async () => {
      await assertProperty(
        fc.asyncProperty(multipartParts, async ({ boundary, parts }) => {
          const status = await expectContract({
            method: 'POST',
            path: '/api/v1/tasks',
            headers: {
              'content-type': `multipart/form-data; boundary=${boundary}`,
              authorization: 'Bearer alice',
            },
            body: encodeMultipart(boundary, parts),
          });
          const pathLike = parts.some(
            (p) =>
              p.kind === 'file' &&
              (p.name === 'attachment' || p.name === 'attachments') &&
              (/[/\\]/.test(p.filename) || p.filename === '..' || p.filename === '.'),
          );
          if (pathLike) expect(status).toBeGreaterThanOrEqual(400);
        }),
        200,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'multipart create: malformed bodies (truncated, wrong or missing boundary, empty names, garbage)',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          multipartParts,
          multipartMutation,
          fc.nat(),
          async ({ boundary, parts }, mutation, cut) => {
            const { contentType: type, body } = mutateMultipart(boundary, parts, mutation, cut);
            await expectContract({
              method: 'POST',
              path: '/api/v1/tasks',
              headers: { 'content-type': type, authorization: 'Bearer alice' },
              body,
            });
          },
        ),
        120,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('bad input the broad properties leave out (each a separate class of defect)', () => {
  it(
    'create: input nested 1,000–10,000 levels deep',
    async () => {
      await assertProperty(
        fc.asyncProperty(deepInputCreateBody(1_000, 10_000), async (body) => {
          await expectContract({
            method: 'POST',
            path: '/api/v1/tasks',
            headers: { 'content-type': 'application/json', authorization: 'Bearer alice' },
            body,
          });
        }),
        40,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'request lines and headers beyond the HTTP parser limits',
    async () => {
      await assertProperty(
        fc.asyncProperty(oversizedString, fc.constantFrom('path', 'query', 'header'), async (long, where) => {
          const encoded = encodeURIComponent(long);
          await expectContract({
            method: 'GET',
            path:
              where === 'path'
                ? `/api/v1/tasks/${encoded}/events`
                : `/api/v1/tasks/${doneId}/events${where === 'query' ? `?afterEventId=${encoded}` : ''}`,
            headers: where === 'header' ? { authorization: `Bearer ${encoded}` } : {},
          });
        }),
        20,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/** Sends one frame on a fresh socket; resolves with whether it was acked and how the socket closed. */
function wsExchange(frame: WsFrame): Promise<{ acked: boolean; code: number | undefined }> {
  return new Promise((resolve) => {
    const subject = frame.kind === 'subscribe' ? frame.subject : 'alice';
    const socket = new WebSocket(`${server.wsUrl}/api/v1/tasks/ws`, {
      headers: { authorization: `Bearer ${subject}` },
    });
    socket.on('error', () => undefined);
    socket.on('open', () => {
      if (frame.kind === 'binary') socket.send(frame.data, { binary: true });
      else if (frame.kind === 'text') socket.send(frame.text);
      else
        socket.send(
          JSON.stringify({ action: 'subscribe', taskId: frame.taskId, lastEventId: frame.lastEventId }),
        );
    });
    socket.on('message', (data, isBinary) => {
      const parsed = isBinary ? undefined : parseJson(String(data));
      const acked =
        parsed?.ok === true && (parsed.value as { type?: unknown }).type === 'SUBSCRIPTION_CONFIRMED';
      resolve({ acked, code: undefined });
      socket.terminate();
    });
    socket.on('close', (code) => resolve({ acked: false, code }));
  });
}

const cursorAccepted = (value: string | null): boolean => {
  try {
    checkCursor(value);
    return true;
  } catch {
    return false;
  }
};

describe('WebSocket: garbage frames close 1003/1008, valid subscribe frames get an ack', () => {
  it(
    'one frame per connection',
    async () => {
      await assertProperty(
        fc.asyncProperty(wsFrame([tickerId, doneId, approvalId]), async (frame) => {
          const outcome = await settleWithin(wsExchange(frame), REQUEST_MS, `websocket ${frame.kind} frame`);
          if (frame.kind === 'binary') {
            expect(outcome).toEqual({ acked: false, code: 1003 });
            return;
          }
          const text =
            frame.kind === 'text'
              ? frame.text
              : JSON.stringify({ action: 'subscribe', taskId: frame.taskId, lastEventId: frame.lastEventId });
          if (Buffer.byteLength(text) > WS_MAX_PAYLOAD) {
            // RFC 6455 "message too big", from the ws library's maxPayload; not a protocol frame at all.
            expect(outcome).toEqual({ acked: false, code: 1009 });
            return;
          }
          const json = parseJson(text);
          const shaped = json.ok ? parseSubscribeFrame(json.value) : json;
          const valid =
            shaped.ok &&
            (frame.kind !== 'subscribe' || frame.subject === 'alice') &&
            [tickerId, doneId, approvalId].includes(shaped.value.taskId) &&
            cursorAccepted(shaped.value.lastEventId);
          if (valid) expect(outcome.acked).toBe(true);
          else expect(outcome).toEqual({ acked: false, code: 1008 });
        }),
        320,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('no lost events while the fuzzer ran', () => {
  it(
    'the ticker log is complete and in order, and live subscribers got all of it',
    async () => {
      const log = await vi.waitFor(
        async () => {
          const events = await readLog(server.request, tickerId);
          const last = events.at(-1);
          if (!last || !isTerminalEvent(last))
            throw new Error(`ticker not finished: ${events.length} events`);
          return events;
        },
        { timeout: 30_000, interval: 100 },
      );
      expect(log).toHaveLength(TICKS + 2);
      expect(log[0]?.type).toBe('TASK_STARTED');
      const ticks = log
        .slice(1, -1)
        .map((e: TaskEvent) => (e.type === 'TASK_MESSAGE' ? e.payload.message : e.type));
      expect(ticks).toEqual(Array.from({ length: TICKS }, (_, i) => `tick ${i + 1}`));
      expect(log.at(-1)?.type).toBe('TASK_COMPLETED');
      expect(log.filter(isTerminalEvent)).toHaveLength(1);
      for (let i = 1; i < log.length; i++) {
        expect(compareEventIds((log[i - 1] as TaskEvent).eventId, (log[i] as TaskEvent).eventId)).toBe(-1);
      }

      await settleWithin(liveSse.done, 5_000, 'live SSE end');
      expect(idsOf(liveSse.events)).toEqual(idsOf(log));
      expect(await settleWithin(liveWs.closed, 5_000, 'live websocket close')).toBe(1000);
      expect(idsOf(liveWs.events)).toEqual(idsOf(log));

      const health = await client.send({ method: 'GET', path: '/health' });
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    },
    PROPERTY_TIMEOUT_MS,
  );
});
