import { createTaskBridgeClient, createMemoryCheckpointStore } from '@taskbridge/client';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from '../support/reference-server';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv.close());

describe('client against the reference server', () => {
  for (const transport of ['websocket', 'sse', 'polling'] as const) {
    it(`streams a ticker task over ${transport}`, async () => {
      const client = createTaskBridgeClient({
        baseUrl: srv.url,
        getAccessToken: () => 'alice',
        platform: { WebSocket: WebSocket as never, EventSource: EventSource as never },
        checkpointStore: createMemoryCheckpointStore(),
        forceTransport: transport,
        environment: null,
      });
      const { stream } = await client.startTask({ taskType: 'ticker', input: { count: 50 } });
      const types: string[] = [];
      const sub = stream.events$.subscribe((e) => types.push(e.type));
      const final = await stream.settled();
      sub.unsubscribe();
      expect(final.status).toBe('completed');
      expect(types.filter((t) => t === 'TASK_MESSAGE')).toHaveLength(50);
      expect(types.at(-1)).toBe('TASK_COMPLETED');
      client.close();
    });
  }
});
