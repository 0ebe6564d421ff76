/**
 * H7 in the A2A bridge — hard-coded capability claims. The agent card says what the server really
 * serves: streaming only when the A2A streams are served (by default, when the server serves SSE), the
 * 0.3 interface only when the 0.3 method names are accepted, the skills the engine has right now, no
 * push notifications. A card that says "no streaming" is honoured by the endpoint, and the SDK's own
 * client then degrades to SendMessage.
 */
import type { AgentCard } from '@a2a-js/sdk';
import { demoHandlers, greet } from '@taskbridge/server-reference';
import { type A2ABridgeOptions, a2aBridge } from '@taskbridge/server-reference/a2a';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, createA2AClient, lastState, startRequest, TaskState } from '../support/a2a-client';
import { openRawA2A, startParams } from '../support/a2a-raw';
import { startTestServer, type TestServer } from '../support/reference-server';

const servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: { sse?: boolean; bridge?: A2ABridgeOptions } = {}): Promise<TestServer> {
  const server = await startTestServer({
    handlers: { ...demoHandlers },
    transports: { sse: options.sse ?? true },
    extensions: [a2aBridge(options.bridge)],
  });
  servers.push(server);
  return server;
}

async function cardOf(server: TestServer): Promise<AgentCard> {
  const res = await fetch(`${server.url}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } });
  expect(res.status).toBe(200);
  return (await res.json()) as AgentCard;
}

describe('H7: the agent card comes from the configuration', () => {
  it('default: streaming (SSE is served), the 1.0 and 0.3 JSON-RPC interfaces, no push, the demo task types', async () => {
    const server = await serve();
    const card = await cardOf(server);
    expect(card.capabilities).toMatchObject({ streaming: true, pushNotifications: false });
    expect(card.supportedInterfaces.map((i) => [i.protocolBinding, i.protocolVersion])).toEqual([
      ['JSONRPC', '1.0'],
      ['JSONRPC', '0.3'],
    ]);
    expect(card.supportedInterfaces[0]?.url).toBe(`${server.url}/a2a`);
    expect(card.skills.map((s) => s.id)).toEqual(Object.keys(demoHandlers));
  });

  it('SSE off: the card says no streaming, the stream methods refuse, the SDK client falls back to SendMessage', async () => {
    const server = await serve({ sse: false });
    expect((await cardOf(server)).capabilities?.streaming).toBe(false);
    const refused = openRawA2A(server.url, 'SendStreamingMessage', startParams('greet', {}));
    expect((await refused.response).headers['content-type']).toMatch(/^application\/json/);
    const resubscribe = await fetch(`${server.url}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'a2a-version': '1.0', authorization: 'Bearer alice' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SubscribeToTask', params: { id: 'any' } }),
    });
    expect(((await resubscribe.json()) as { error: { code: number } }).error.code).toBe(-32004);
    const { client, methods } = await createA2AClient(server.url, '1.0');
    const responses = await collect(client.sendMessageStream(startRequest('greet', { name: 'H7' })));
    expect(lastState(responses)).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(methods).toEqual(['SendMessage']);
  });

  it('an explicit `streaming: false` wins over a served SSE', async () => {
    const server = await serve({ bridge: { streaming: false } });
    expect((await cardOf(server)).capabilities?.streaming).toBe(false);
  });

  it('`legacyCompat: false`: no 0.3 interface, and the 0.3 method names are refused', async () => {
    const server = await serve({ bridge: { legacyCompat: false } });
    const card = await cardOf(server);
    expect(card.supportedInterfaces.map((i) => i.protocolVersion)).toEqual(['1.0']);
    const legacy = await fetch(`${server.url}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer alice' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: 'any' } }),
    });
    const body = (await legacy.json()) as { error?: { code: number } };
    // A request without A2A-Version is a 0.3 request: refused as a version the agent does not offer.
    expect(body.error?.code).toBe(-32009);
  });

  it('skills follow the task types registered now, and only the exposed ones', async () => {
    const server = await serve();
    server.server.engine.registerHandler('hello', greet);
    expect((await cardOf(server)).skills.map((s) => s.id)).toContain('hello');
    const narrow = await serve({ bridge: { taskTypes: ['greet'] } });
    expect((await cardOf(narrow)).skills.map((s) => s.id)).toEqual(['greet']);
    const { client } = await createA2AClient(narrow.url, '1.0');
    await expect(
      collect(client.sendMessageStream(startRequest('summarize', { text: 'x' }))),
    ).rejects.toMatchObject({
      reason: 'INVALID_PARAMS',
    });
  });

  it('push notifications are not offered, and the methods say so', async () => {
    const server = await serve();
    const res = await fetch(`${server.url}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'a2a-version': '1.0', authorization: 'Bearer alice' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'CreateTaskPushNotificationConfig',
        params: { taskId: 'any', url: 'https://example.com/hook' },
      }),
    });
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32003);
  });
});
