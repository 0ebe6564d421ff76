/**
 * The same raw HTTP requests against the MSW kit and the Express server: status codes, error codes
 * and bodies must match, because both call the same operations (server-reference/src/wire/operations.ts).
 */
import { restoreMswNodeGlobals } from './msw-node-globals';
import { startTestServer } from '../support/reference-server';
import { afterAll, describe, expect, it } from 'vitest';
import { MSW_BASE_URL, startMswTarget } from './targets';

type Fetch = (path: string, init?: RequestInit & { subject?: string }) => Promise<Response>;

interface Outcome {
  status: number;
  code?: unknown;
  contentType?: string | null;
  body?: unknown;
}

const json = (body: unknown, subject = 'alice'): RequestInit & { subject: string } => ({
  method: 'POST',
  subject,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Each probe returns what must be identical on both servers (ids and timestamps left out). */
const probes: Record<string, (call: Fetch) => Promise<Outcome>> = {
  async 'malformed JSON create → 400'(call) {
    const res = await call('/api/v1/tasks', { ...json({}), body: '{nope' });
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  },
  async 'text/plain create → 415'(call) {
    const res = await call('/api/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  },
  async 'unknown taskType → 400'(call) {
    const res = await call('/api/v1/tasks', json({ clientRequestId: 'p-1', taskType: 'nope' }));
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  },
  async 'multipart create with a text attachment → 201, then summarized'(call) {
    const form = new FormData();
    form.set('clientRequestId', 'p-multipart');
    form.set('taskType', 'summarize');
    form.set('input', JSON.stringify({ tokenDelayMs: 0 }));
    form.set(
      'attachment',
      new Blob(['Rivers carry water. Rivers carry sediment.'], { type: 'text/plain' }),
      'a.txt',
    );
    const res = await call('/api/v1/tasks', { method: 'POST', body: form, subject: 'alice' });
    const created = (await res.json()) as { taskId: string };
    const poll = await call(`/api/v1/tasks/${created.taskId}/events?waitTimeoutMs=5000&afterEventId=`, {
      subject: 'alice',
    });
    return { status: res.status, body: poll.status };
  },
  async 'multipart with a refused attachment type → 400'(call) {
    const form = new FormData();
    form.set('clientRequestId', 'p-bad-type');
    form.set('taskType', 'summarize');
    form.set('attachment', new Blob(['x'], { type: 'video/mp4' }), 'a.mp4');
    const res = await call('/api/v1/tasks', { method: 'POST', body: form, subject: 'alice' });
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  },
  async 'stream ticket: mint 201, SSE with it 200, the same ticket 401, a foreign task 404'(call) {
    const create = await call('/api/v1/tasks', json({ clientRequestId: 'p-ticket', taskType: 'greet' }));
    const { taskId } = (await create.json()) as { taskId: string };
    const minted = await call('/api/v1/stream-tickets', json({ taskId }));
    const { ticket } = (await minted.json()) as { ticket: string };
    const first = await call(`/api/v1/tasks/${taskId}/events/stream?ticket=${ticket}`);
    const events = ((await first.text()).match(/^id: /gm) ?? []).length;
    const again = await call(`/api/v1/tasks/${taskId}/events/stream?ticket=${ticket}`);
    const foreign = await call('/api/v1/stream-tickets', json({ taskId }, 'mallory'));
    return {
      status: minted.status,
      body: [
        first.status,
        events,
        again.status,
        ((await again.json()) as { code: string }).code,
        foreign.status,
      ],
    };
  },
  async 'bad poll parameter → 400'(call) {
    const create = await call('/api/v1/tasks', json({ clientRequestId: 'p-poll', taskType: 'greet' }));
    const { taskId } = (await create.json()) as { taskId: string };
    const res = await call(`/api/v1/tasks/${taskId}/events?maxEvents=9999`, { subject: 'alice' });
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  },
  async "another owner's task → 404 on poll, SSE, status, cancel and actions"(call) {
    const create = await call('/api/v1/tasks', json({ clientRequestId: 'p-owner', taskType: 'greet' }));
    const { taskId } = (await create.json()) as { taskId: string };
    const as = 'mallory';
    const results = await Promise.all([
      call(`/api/v1/tasks/${taskId}/events`, { subject: as }),
      call(`/api/v1/tasks/${taskId}/events/stream`, {
        subject: as,
        headers: { accept: 'text/event-stream' },
      }),
      call(`/api/v1/tasks/${taskId}`, { subject: as }),
      call(`/api/v1/tasks/${taskId}/cancel`, { method: 'POST', subject: as }),
      call(`/api/v1/tasks/${taskId}/actions`, json({}, as)),
    ]);
    const codes = await Promise.all(
      results.map(async (r) => `${r.status} ${((await r.json()) as { code: string }).code}`),
    );
    return { status: 404, body: codes };
  },
  async 'SSE on a finished task replays and ends (H1)'(call) {
    const create = await call('/api/v1/tasks', json({ clientRequestId: 'p-sse', taskType: 'greet' }));
    const { taskId } = (await create.json()) as { taskId: string };
    // Wait for the terminal event with long polls, so the stream below starts on a finished task.
    for (let after = '', done = false; !done;) {
      const res = await call(`/api/v1/tasks/${taskId}/events?waitTimeoutMs=5000&afterEventId=${after}`, {
        subject: 'alice',
      });
      const page = (await res.json()) as { events: { eventId: string; type: string }[] };
      after = page.events.at(-1)?.eventId ?? after;
      done = page.events.some((e) => e.type === 'TASK_COMPLETED');
    }
    const res = await call(`/api/v1/tasks/${taskId}/events/stream`, {
      subject: 'alice',
      headers: { accept: 'text/event-stream' },
    });
    const text = await res.text();
    const types = [...text.matchAll(/"type":"([A-Z_]+)"/g)].map((m) => m[1]);
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: { types, heartbeatComment: text.includes(': heartbeat') },
    };
  },
  async 'cancel with a non-JSON body → 415'(call) {
    const create = await call('/api/v1/tasks', json({ clientRequestId: 'p-cancel', taskType: 'greet' }));
    const { taskId } = (await create.json()) as { taskId: string };
    const res = await call(`/api/v1/tasks/${taskId}/cancel`, {
      method: 'POST',
      subject: 'alice',
      headers: { 'content-type': 'text/plain' },
      body: 'stop',
    });
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  },
  async 'capabilities, health and ready'(call) {
    const [caps, health, ready] = await Promise.all([
      call('/api/v1/capabilities'),
      call('/health'),
      call('/ready'),
    ]);
    return { status: caps.status, body: [await caps.json(), await health.json(), ready.status] };
  },
};

const outcomes = new Map<string, Outcome>();

function fetcher(baseUrl: string): Fetch {
  return (path, init = {}) => {
    const { subject, headers, ...rest } = init;
    const h = new Headers(headers);
    if (subject !== undefined) h.set('authorization', `Bearer ${subject}`);
    return fetch(`${baseUrl}${path}`, { ...rest, headers: h });
  };
}

describe('msw', () => {
  const target = startMswTarget();
  afterAll(() => target.close());
  for (const [name, probe] of Object.entries(probes)) {
    it(name, async () => outcomes.set(`msw ${name}`, await probe(fetcher(MSW_BASE_URL))));
  }
});

describe('express', () => {
  let call: Fetch;
  let close: () => Promise<void>;
  it('starts', async () => {
    const srv = await startTestServer();
    call = fetcher(srv.url);
    close = srv.close;
  });
  for (const [name, probe] of Object.entries(probes)) {
    it(name, async () => outcomes.set(`express ${name}`, await probe(call)));
  }
  afterAll(() => close?.());
});

describe('parity', () => {
  afterAll(() => restoreMswNodeGlobals());
  for (const name of Object.keys(probes)) {
    it(name, () => {
      const msw = outcomes.get(`msw ${name}`);
      expect(msw).toBeDefined();
      expect(msw).toEqual(outcomes.get(`express ${name}`));
    });
  }
});
