/**
 * protocol/SPEC.md §11 — the MSW kit's `trimmed` fault produces exactly the signal real retention
 * produces on the reference server: the same checks as test/conformance/history-trimmed.test.ts.
 */
import { restoreMswNodeGlobals } from './msw-node-globals';
import type { TaskEvent } from '@taskbridge/protocol';
import { createTaskBridgeHandlers } from '@taskbridge/server-reference/msw';
import { setupTaskBridgeServer } from '@taskbridge/server-reference/msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, vi } from 'vitest';
import { historyTrimmedChecks, type WebSocketLike } from '../support/history-trimmed-checks';

const BASE_URL = 'http://history-trimmed.msw.test';
const KEEP = 5;
const kit = createTaskBridgeHandlers({ baseUrl: BASE_URL });
const server = setupTaskBridgeServer(kit);
let created = 0;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => kit.resetFaults());
afterAll(() => {
  kit.close();
  server.close();
  restoreMswNodeGlobals();
});

describe('history trimmed on the MSW kit (`trimmed` fault)', () => {
  historyTrimmedChecks(() => ({
    url: (path) => `${BASE_URL}${path}`,
    headers: { authorization: 'Bearer alice' },
    // MSW sees no upgrade headers: the kit takes the token from the query.
    webSocket: () =>
      new globalThis.WebSocket(
        `${BASE_URL.replace(/^http/, 'ws')}/api/v1/tasks/ws?access_token=alice`,
      ) as WebSocketLike,
    async trimmedTask() {
      kit.resetFaults();
      created += 1;
      const res = await fetch(`${BASE_URL}/api/v1/tasks`, {
        method: 'POST',
        headers: { authorization: 'Bearer alice', 'content-type': 'application/json' },
        body: JSON.stringify({
          clientRequestId: `trimmed-${created}`,
          taskType: 'ticker',
          input: { count: 20 },
        }),
      });
      expect(res.status).toBe(201);
      const { taskId } = (await res.json()) as { taskId: string };
      const all: TaskEvent[] = await vi.waitFor(async () => {
        const page = await kit.engine.backend.events.read(taskId, null, 500);
        expect(page.head.terminal).not.toBeNull();
        return page.events;
      });
      kit.setFaults({ history: { kind: 'trimmed', keep: KEEP } });
      return {
        taskId,
        retained: all.slice(-KEEP),
        trimmedThrough: (all.at(-KEEP - 1) as TaskEvent).eventId,
      };
    },
  }));
});
