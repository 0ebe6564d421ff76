/**
 * A Redis outage under a running server process: `/ready` turns 503, requests get 503 error
 * envelopes (never a hang, never a crash), and once Redis is back the server recovers by itself —
 * the same process, with no restart.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisTestServer } from '../support/redis-server';
import { startServerProcess, type ServerProcess } from '../support/server-process';

let redis: RedisTestServer;
let server: ServerProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  server = await startServerProcess(redis.url);
}, 30_000);
afterAll(async () => {
  await server?.kill();
  await redis?.stop();
});

const alice = { authorization: 'Bearer alice', 'content-type': 'application/json' };
const create = (clientRequestId: string) =>
  fetch(`${server.url}/api/v1/tasks`, {
    method: 'POST',
    headers: alice,
    body: JSON.stringify({ clientRequestId, taskType: 'greet', input: { name: 'x' } }),
  });
const pollAll = async (taskId: string) =>
  fetch(`${server.url}/api/v1/tasks/${taskId}/events?waitTimeoutMs=0`, { headers: alice });

describe('Redis outage', () => {
  it('answers 503 envelopes while Redis is down and recovers by itself once it is back', async () => {
    await vi.waitFor(async () => expect((await fetch(`${server.url}/ready`)).status).toBe(200), {
      timeout: 10_000,
    });
    const before = await create('before-outage');
    expect(before.status).toBe(201);
    const { taskId } = (await before.json()) as { taskId: string };

    await redis.kill();
    await vi.waitFor(async () => expect((await fetch(`${server.url}/ready`)).status).toBe(503), {
      timeout: 10_000,
    });
    for (const res of [await create('during-outage'), await pollAll(taskId)]) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({
        code: 'INTERNAL_ERROR',
        details: { reason: 'backend_unavailable' },
      });
    }
    // An SSE stream is refused with the envelope too, not left hanging.
    const sse = await fetch(`${server.url}/api/v1/tasks/${taskId}/events/stream`, {
      headers: { ...alice, accept: 'text/event-stream' },
    });
    expect(sse.status).toBe(503);
    expect(server.alive).toBe(true);

    // Without persistence the restarted Redis is empty: the old task is gone (404), new work runs.
    await redis.restart();
    await vi.waitFor(async () => expect((await fetch(`${server.url}/ready`)).status).toBe(200), {
      timeout: 10_000,
    });
    const after = await create('after-outage');
    expect(after.status).toBe(201);
    const created = (await after.json()) as { taskId: string };
    await vi.waitFor(
      async () => {
        const body = (await (await pollAll(created.taskId)).json()) as { taskStatus: string };
        expect(body.taskStatus).toBe('COMPLETED');
      },
      { timeout: 10_000 },
    );
    expect(server.alive).toBe(true);
  }, 60_000);
});
