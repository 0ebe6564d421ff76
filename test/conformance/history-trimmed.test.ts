/**
 * protocol/SPEC.md §11 — history trimmed, on the reference server with real retention (a backend
 * keeping 5 events per task): poll field, WebSocket ack field, SSE named event, and capabilities.
 * The same checks run against the MSW kit's `trimmed` fault (test/msw/history-trimmed.test.ts).
 */
import { type CapabilitiesResponse, parseCapabilitiesResponse } from '@taskbridge/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { testBackend } from '../support/backend-fixture';
import { historyTrimmedChecks, type WebSocketLike } from '../support/history-trimmed-checks';
import { startTestServer, type TestServer } from '../support/reference-server';

const RETAINED = 5;
const AUTH = { authorization: 'Bearer alice' };
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ backend: await testBackend({ maxEventsPerTask: RETAINED }) });
});
afterAll(() => ts.close());

describe('history trimmed on the reference server (protocol/SPEC.md §11)', () => {
  historyTrimmedChecks(() => ({
    url: (path) => `${ts.url}${path}`,
    headers: AUTH,
    webSocket: () =>
      new WebSocket(`${ts.wsUrl}/api/v1/tasks/ws`, { headers: AUTH }) as unknown as WebSocketLike,
    async trimmedTask() {
      const taskId = await ts.createTask('ticker', { count: 20 });
      const { events } = ts.server.engine.backend;
      const head = await vi.waitFor(async () => {
        const current = await events.head(taskId);
        expect(current.terminal).not.toBeNull();
        return current;
      });
      const { events: retained } = await events.read(taskId, null, 500);
      expect(retained).toHaveLength(RETAINED);
      expect(head.trimmedThrough).not.toBeNull();
      return { taskId, retained, trimmedThrough: head.trimmedThrough as string };
    },
  }));

  it('capabilities advertise the extension and the retention in force', async () => {
    const res = await ts.request('/api/v1/capabilities', { subject: 'alice' });
    const parsed = parseCapabilitiesResponse(await res.json());
    if (!parsed.ok) throw parsed.error;
    const caps: CapabilitiesResponse = parsed.value;
    expect(caps.extensions).toContain('history-trimmed');
    expect(caps.retention).toMatchObject({ maxEventsPerTask: RETAINED });
    expect(caps.retention).toEqual(ts.server.engine.backend.retention);
  });
});
