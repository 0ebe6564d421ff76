/**
 * The engine's limits over HTTP (protocol/SPEC.md §8): a request over a limit is answered with the
 * error envelope — 429 for too many unfinished tasks or streams, 413/400 for demo inputs that would
 * exhaust the process — and an upload whose file name the multipart parser would discard is a 400,
 * not a silent 201 without the file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorEnvelope, postJson, taskPaths, uniqueId } from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';
import { WsSessions } from '../support/ws-client';

const paths = taskPaths();
let ts: TestServer;
const sockets = new WsSessions();

beforeAll(async () => {
  ts = await startTestServer({ limits: { maxInFlightTasksPerSubject: 2, maxStreamsPerSubject: 1 } });
  ts.server.engine.registerHandler('wait', (ctx) => ctx.sleep(60_000));
});
afterEach(() => sockets.closeAll());
afterAll(() => ts.close());

describe('request limits answer with the envelope', () => {
  it('429 RATE_LIMITED for one more unfinished task than maxInFlightTasksPerSubject (Retry-After set)', async () => {
    const subject = uniqueId('busy');
    for (let i = 0; i < 2; i++) await ts.createTask('wait', {}, subject);
    const res = await postJson(ts, paths.create, { clientRequestId: uniqueId(), taskType: 'wait' }, subject);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = await expectErrorEnvelope(res, 429, 'RATE_LIMITED');
    expect(body.details).toMatchObject({ limit: 'maxInFlightTasksPerSubject', value: 2 });
    // Someone else is not affected.
    expect(
      (await postJson(ts, paths.create, { clientRequestId: uniqueId(), taskType: 'wait' }, uniqueId('other')))
        .status,
    ).toBe(201);
  });

  it('413 PAYLOAD_TOO_LARGE for a ticker that would store 100,000 × 64 KiB; 400 for a count over its bound', async () => {
    const before = ts.server.engine.taskCount;
    const big = {
      clientRequestId: uniqueId(),
      taskType: 'ticker',
      input: { count: 100_000, payloadBytes: 65_536 },
    };
    await expectErrorEnvelope(await postJson(ts, paths.create, big), 413, 'PAYLOAD_TOO_LARGE');
    const many = { clientRequestId: uniqueId(), taskType: 'ticker', input: { count: 10_000_000 } };
    await expectErrorEnvelope(await postJson(ts, paths.create, many), 400, 'INVALID_REQUEST');
    expect(ts.server.engine.taskCount).toBe(before);
  });

  it('413 PAYLOAD_TOO_LARGE for summarize over its input bound', async () => {
    const server = await startTestServer({ maxJsonBodyBytes: 4 * 1024 * 1024 });
    try {
      const body = {
        clientRequestId: uniqueId(),
        taskType: 'summarize',
        input: { text: 'a '.repeat(500_000) },
      };
      await expectErrorEnvelope(await postJson(server, paths.create, body), 413, 'PAYLOAD_TOO_LARGE');
    } finally {
      await server.close();
    }
  });

  it('429 RATE_LIMITED on SSE and a 1013 close on WebSocket past maxStreamsPerSubject', async () => {
    const subject = uniqueId('streams');
    const taskId = await ts.createTask('wait', {}, subject);
    const first = sockets.connect(`${ts.wsUrl}${paths.websocket}`, { subject });
    await first.subscribe(taskId);
    await expect.poll(() => first.messages.length).toBeGreaterThan(0);
    expect(first.messages[0]).toMatchObject({ type: 'SUBSCRIPTION_CONFIRMED' });
    const sse = await ts.request(paths.stream(taskId), { subject });
    await expectErrorEnvelope(sse, 429, 'RATE_LIMITED');
    const second = sockets.connect(`${ts.wsUrl}${paths.websocket}`, { subject });
    await second.subscribe(taskId);
    expect((await second.closed).code).toBe(1013);
    expect(first.closeInfo).toBeUndefined();
  });
});

describe('uploads whose file name the parser would discard', () => {
  const multipartWith = (filename: string) => {
    const boundary = 'limitsBoundary';
    const part = (headers: string, body: string) => `--${boundary}\r\n${headers}\r\n\r\n${body}\r\n`;
    const body =
      part('Content-Disposition: form-data; name="clientRequestId"', uniqueId()) +
      part('Content-Disposition: form-data; name="taskType"', 'summarize') +
      part(
        `Content-Disposition: form-data; name="attachment"; filename="${filename}"\r\nContent-Type: text/plain`,
        'Hello there.',
      ) +
      `--${boundary}--\r\n`;
    return { body, contentType: `multipart/form-data; boundary=${boundary}` };
  };

  for (const filename of ['..', '.', '', 'dir/..']) {
    it(`"${filename}" is a 400 UPLOAD_VALIDATION_ERROR, not a 201 without the file`, async () => {
      const before = ts.server.engine.taskCount;
      const { body, contentType } = multipartWith(filename);
      const res = await ts.request(paths.create, {
        method: 'POST',
        subject: 'alice',
        headers: { 'content-type': contentType },
        body,
      });
      await expectErrorEnvelope(res, 400, 'UPLOAD_VALIDATION_ERROR');
      expect(ts.server.engine.taskCount).toBe(before);
    });
  }
});
