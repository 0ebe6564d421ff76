/**
 * protocol/SPEC.md §2 — `POST /api/v1/tasks` on the real reference server: JSON and multipart creates,
 * idempotency by (owner, clientRequestId) including under concurrency, and the 400/409/413/415
 * envelopes for every bad body.
 */
import { parseTaskCreatedResponse, type TaskCreatedResponse, type TaskEvent } from '@taskbridge/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectUntilTerminal,
  expectErrorEnvelope,
  postJson,
  taskPaths,
  uniqueId,
  waitForEvent,
} from '../support/protocol-calls';
import { startTestServer, type TestServer } from '../support/reference-server';

const paths = taskPaths();
const LIMIT = 2048;

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({
    maxJsonBodyBytes: LIMIT,
    uploads: { maxFileBytes: LIMIT, allowedTypes: ['text/*', 'application/json'] },
  });
});
afterAll(() => ts.close());

async function created(res: Response, status: 200 | 201): Promise<TaskCreatedResponse> {
  const body: unknown = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  const parsed = parseTaskCreatedResponse(body);
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

function postMultipart(form: FormData, subject = 'alice'): Promise<Response> {
  return ts.request(paths.create, { method: 'POST', subject, body: form });
}

describe('JSON create', () => {
  it('answers 201 with ACCEPTED, the clientRequestId and deduplicated:false', async () => {
    const clientRequestId = uniqueId('create');
    const body = await created(
      await postJson(ts, paths.create, { clientRequestId, taskType: 'greet', input: { name: 'Ada' } }),
      201,
    );
    expect(body).toEqual({
      taskId: expect.any(String),
      status: 'ACCEPTED',
      clientRequestId,
      deduplicated: false,
    });
    const events = await collectUntilTerminal(ts, body.taskId);
    expect(events.at(-1)?.payload).toEqual({ result: { greeting: 'Hello, Ada!' } });
  });

  it('treats a missing input as {}', async () => {
    const body = await created(
      await postJson(ts, paths.create, { clientRequestId: uniqueId(), taskType: 'greet' }),
      201,
    );
    const events = await collectUntilTerminal(ts, body.taskId);
    expect(events.at(-1)?.payload).toEqual({ result: { greeting: 'Hello, world!' } });
  });

  it('accepts application/json with a charset parameter', async () => {
    const res = await ts.request(paths.create, {
      method: 'POST',
      subject: 'alice',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ clientRequestId: uniqueId(), taskType: 'greet', input: {} }),
    });
    await created(res, 201);
  });
});

describe('idempotency', () => {
  it('answers an identical repeat with 200 deduplicated:true and the current status, ignoring metadata', async () => {
    const clientRequestId = uniqueId('dedupe');
    const request = { clientRequestId, taskType: 'greet', input: { name: 'Bo' }, metadata: { try: 1 } };
    const first = await created(await postJson(ts, paths.create, request), 201);
    await collectUntilTerminal(ts, first.taskId);

    const repeat = await created(await postJson(ts, paths.create, { ...request, metadata: { try: 2 } }), 200);
    expect(repeat).toEqual({
      taskId: first.taskId,
      status: 'COMPLETED',
      clientRequestId,
      deduplicated: true,
    });
  });

  it('reports RUNNING for a repeat while the task runs', async () => {
    const request = { clientRequestId: uniqueId(), taskType: 'approval', input: {} };
    const first = await created(await postJson(ts, paths.create, request), 201);
    await waitForEvent(ts, first.taskId, (e) => e.type === 'TASK_SUSPENDED');
    const repeat = await created(await postJson(ts, paths.create, request), 200);
    expect(repeat.status).toBe('RUNNING');
    expect(repeat.deduplicated).toBe(true);
    await postJson(ts, paths.cancel(first.taskId), {});
  });

  it('treats input key order as the same input', async () => {
    const clientRequestId = uniqueId();
    const first = await created(
      await postJson(ts, paths.create, {
        clientRequestId,
        taskType: 'ticker',
        input: { count: 1, intervalMs: 0 },
      }),
      201,
    );
    const repeat = await created(
      await postJson(ts, paths.create, {
        clientRequestId,
        taskType: 'ticker',
        input: { intervalMs: 0, count: 1 },
      }),
      200,
    );
    expect(repeat.taskId).toBe(first.taskId);
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for the same id with a different input', async () => {
    const clientRequestId = uniqueId();
    await created(
      await postJson(ts, paths.create, { clientRequestId, taskType: 'greet', input: { name: 'a' } }),
      201,
    );
    const res = await postJson(ts, paths.create, {
      clientRequestId,
      taskType: 'greet',
      input: { name: 'b' },
    });
    await expectErrorEnvelope(res, 409, 'IDEMPOTENCY_CONFLICT');
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for the same id with a different taskType', async () => {
    const clientRequestId = uniqueId();
    await created(await postJson(ts, paths.create, { clientRequestId, taskType: 'greet', input: {} }), 201);
    const res = await postJson(ts, paths.create, { clientRequestId, taskType: 'ticker', input: {} });
    await expectErrorEnvelope(res, 409, 'IDEMPOTENCY_CONFLICT');
  });

  it('gives a different owner with the same clientRequestId a new task', async () => {
    const request = { clientRequestId: uniqueId(), taskType: 'greet', input: {} };
    const alice = await created(await postJson(ts, paths.create, request, 'alice'), 201);
    const bob = await created(await postJson(ts, paths.create, request, 'bob'), 201);
    expect(bob.taskId).not.toBe(alice.taskId);
    expect(bob.deduplicated).toBe(false);
  });

  it('creates exactly one task for 100 concurrent identical creates', async () => {
    const before = ts.server.engine.taskCount;
    const request = { clientRequestId: uniqueId('burst'), taskType: 'greet', input: { name: 'burst' } };
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => postJson(ts, paths.create, request)),
    );
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<TaskCreatedResponse>));

    expect(new Set(bodies.map((b) => b.taskId)).size).toBe(1);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(99);
    expect(bodies.filter((b) => b.deduplicated)).toHaveLength(99);
    expect(ts.server.engine.taskCount - before).toBe(1);
  });
});

describe('multipart create', () => {
  const text =
    'Rivers carry sediment to the sea. Sediment builds deltas over centuries. ' +
    'Deltas host rich farmland and large cities. Storms can reshape a delta in a single night.';

  it('summarizes an uploaded text file sent as `attachments`', async () => {
    const form = new FormData();
    form.set('clientRequestId', uniqueId('upload'));
    form.set('taskType', 'summarize');
    form.set('input', JSON.stringify({ tokenDelayMs: 0, maxSentences: 2 }));
    form.append('attachments', new Blob([text], { type: 'text/plain' }), 'rivers.txt');
    const body = await created(await postMultipart(form), 201);

    const events = await collectUntilTerminal(ts, body.taskId);
    const terminal = events.at(-1) as TaskEvent;
    expect(terminal.type).toBe('TASK_COMPLETED');
    const result = (terminal.payload as { result: { summary: string; filename: string; stats: unknown } })
      .result;
    expect(result.filename).toBe('rivers.txt');
    expect(result.stats).toMatchObject({ characters: text.length, sentences: 4, summarySentences: 2 });
    expect(text).toContain(result.summary.split('. ')[0] as string);
    // The summary was streamed token by token as TASK_MESSAGE events.
    const streamed = events
      .filter((e) => e.type === 'TASK_MESSAGE')
      .map((e) => (e.payload as { message: string }).message)
      .join('');
    expect(streamed).toBe(result.summary);
  });

  it('accepts the singular `attachment` part', async () => {
    const form = new FormData();
    form.set('clientRequestId', uniqueId());
    form.set('taskType', 'summarize');
    form.set('input', JSON.stringify({ tokenDelayMs: 0 }));
    form.append('attachment', new Blob([text], { type: 'text/markdown' }), 'notes.md');
    const body = await created(await postMultipart(form), 201);
    const events = await collectUntilTerminal(ts, body.taskId);
    expect(events.at(-1)?.payload).toMatchObject({ result: { filename: 'notes.md' } });
  });

  it('reads input and metadata from JSON text parts', async () => {
    const form = new FormData();
    form.set('clientRequestId', uniqueId());
    form.set('taskType', 'summarize');
    form.set('input', JSON.stringify({ text, tokenDelayMs: 0, maxSentences: 1 }));
    form.set('metadata', JSON.stringify({ source: 'multipart' }));
    const body = await created(await postMultipart(form), 201);
    const events = await collectUntilTerminal(ts, body.taskId);
    expect(events.at(-1)?.payload).toMatchObject({
      result: { stats: { characters: text.length, summarySentences: 1 } },
    });
  });

  it('deduplicates an identical multipart repeat and conflicts on a different file', async () => {
    const clientRequestId = uniqueId();
    const form = (content: string) => {
      const f = new FormData();
      f.set('clientRequestId', clientRequestId);
      f.set('taskType', 'summarize');
      f.set('input', JSON.stringify({ tokenDelayMs: 0 }));
      f.append('attachments', new Blob([content], { type: 'text/plain' }), 'a.txt');
      return f;
    };
    const first = await created(await postMultipart(form(text)), 201);
    const repeat = await created(await postMultipart(form(text)), 200);
    expect(repeat.taskId).toBe(first.taskId);
    await expectErrorEnvelope(await postMultipart(form(`${text} Changed.`)), 409, 'IDEMPOTENCY_CONFLICT');
  });

  it('answers 400 INVALID_REQUEST when the input part is not JSON', async () => {
    const form = new FormData();
    form.set('clientRequestId', uniqueId());
    form.set('taskType', 'summarize');
    form.set('input', '{not json');
    await expectErrorEnvelope(await postMultipart(form), 400, 'INVALID_REQUEST');
  });

  it('answers 400 UPLOAD_VALIDATION_ERROR for a MIME type that is not allowed', async () => {
    const form = new FormData();
    form.set('clientRequestId', uniqueId());
    form.set('taskType', 'summarize');
    form.append(
      'attachments',
      new Blob([new Uint8Array([0x4d, 0x5a])], { type: 'application/x-msdownload' }),
      'x.exe',
    );
    await expectErrorEnvelope(await postMultipart(form), 400, 'UPLOAD_VALIDATION_ERROR');
  });

  it('never keeps a path in an attachment file name (rejected, or cut to its base name)', async () => {
    const form = new FormData();
    form.set('clientRequestId', uniqueId());
    form.set('taskType', 'summarize');
    form.set('input', JSON.stringify({ tokenDelayMs: 0 }));
    form.append('attachments', new Blob(['Hello there.'], { type: 'text/plain' }), '../etc/passwd');
    const res = await postMultipart(form);
    if (res.status !== 201) {
      await expectErrorEnvelope(res, 400, 'UPLOAD_VALIDATION_ERROR');
      return;
    }
    const { taskId } = (await res.json()) as TaskCreatedResponse;
    const events = await collectUntilTerminal(ts, taskId);
    const { filename } = ((events.at(-1) as TaskEvent).payload as { result: { filename: string } }).result;
    expect(filename).not.toMatch(/[\\/]|\.\./);
  });

  it('answers 400 UPLOAD_VALIDATION_ERROR for more files than maxFiles (default 5)', async () => {
    const form = new FormData();
    form.set('clientRequestId', uniqueId());
    form.set('taskType', 'summarize');
    for (let i = 0; i < 6; i++)
      form.append('attachments', new Blob(['Hi.'], { type: 'text/plain' }), `f${i}.txt`);
    await expectErrorEnvelope(await postMultipart(form), 400, 'UPLOAD_VALIDATION_ERROR');
  });

  it('answers 413 PAYLOAD_TOO_LARGE for an upload over maxFileBytes', async () => {
    const before = ts.server.engine.taskCount;
    const form = new FormData();
    form.set('clientRequestId', uniqueId());
    form.set('taskType', 'summarize');
    form.append('attachments', new Blob(['x'.repeat(LIMIT + 1)], { type: 'text/plain' }), 'big.txt');
    await expectErrorEnvelope(await postMultipart(form), 413, 'PAYLOAD_TOO_LARGE');
    expect(ts.server.engine.taskCount).toBe(before);
  });
});

describe('bad bodies', () => {
  const send = (body: string, contentType = 'application/json') =>
    ts.request(paths.create, {
      method: 'POST',
      subject: 'alice',
      headers: { 'content-type': contentType },
      body,
    });

  it.each([
    ['malformed JSON', '{"clientRequestId": "x", '],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['an empty body', ''],
    ['an unknown field', JSON.stringify({ clientRequestId: 'u1', taskType: 'greet', input: {}, extra: 1 })],
    ['a numeric taskType', JSON.stringify({ clientRequestId: 'u2', taskType: 5, input: {} })],
    [
      'an input that is not an object',
      JSON.stringify({ clientRequestId: 'u3', taskType: 'greet', input: 'hi' }),
    ],
    ['a missing clientRequestId', JSON.stringify({ taskType: 'greet', input: {} })],
    ['an empty clientRequestId', JSON.stringify({ clientRequestId: '', taskType: 'greet' })],
  ])('answers 400 INVALID_REQUEST for %s', async (_name, body) => {
    await expectErrorEnvelope(await send(body), 400, 'INVALID_REQUEST');
  });

  it('answers 400 INVALID_REQUEST for an unknown taskType and creates nothing', async () => {
    const before = ts.server.engine.taskCount;
    const res = await postJson(ts, paths.create, {
      clientRequestId: uniqueId(),
      taskType: 'no-such-type',
      input: {},
    });
    await expectErrorEnvelope(res, 400, 'INVALID_REQUEST');
    expect(ts.server.engine.taskCount).toBe(before);
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a JSON body over maxJsonBodyBytes', async () => {
    const body = JSON.stringify({
      clientRequestId: uniqueId(),
      taskType: 'greet',
      input: { pad: 'x'.repeat(LIMIT) },
    });
    await expectErrorEnvelope(await send(body), 413, 'PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['text/plain', 'hello'],
    ['application/x-www-form-urlencoded', 'clientRequestId=a&taskType=greet'],
  ])('answers 415 UNSUPPORTED_MEDIA_TYPE for %s', async (contentType, body) => {
    await expectErrorEnvelope(await send(body, contentType), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});
