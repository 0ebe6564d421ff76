/**
 * The CLI (`taskbridge-server`, what `npm start` runs) as an A2A agent and an A2A client: it serves
 * its task types as skills at the well-known card path, runs `a2a-summarize` through its own A2A
 * endpoint, and registers `--a2a-agent <type>=<url>` agents as task types.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AgentCard } from '@a2a-js/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectedChunks, type SdkAgent, startSdkAgent } from '../support/a2a-sdk-agent';
import { type RequestFn, terminalLog } from '../support/hazard-streams';

// The CLI from source, as `npm start` runs it (the packaging test runs the built bin).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['--conditions=@taskbridge/source', '--import', 'tsx', 'server-reference/src/cli.ts'];

let child: ChildProcess;
let url: string;
let agent: SdkAgent;
let request: RequestFn;

beforeAll(async () => {
  agent = await startSdkAgent();
  child = spawn(
    process.execPath,
    [...CLI, '--auth', 'demo', '--port', '0', '--quiet', '--a2a-agent', `story=${agent.url}`],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const match = /A2A agent card: (http:\/\/[^/\s]+)\//.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the CLI exited with ${code}: ${out}`)));
  });
  request = (path, init = {}) => {
    const { subject, headers, ...rest } = init;
    const h = new Headers(headers);
    if (subject !== undefined) h.set('authorization', `Bearer ${subject}`);
    return fetch(`${url}${path}`, { ...rest, headers: h });
  };
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await agent?.close();
});

async function run(taskType: string, input: Record<string, unknown>) {
  const res = await request('/api/v1/tasks', {
    method: 'POST',
    subject: 'demo',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientRequestId: crypto.randomUUID(), taskType, input }),
  });
  expect(res.status).toBe(201);
  const { taskId } = (await res.json()) as { taskId: string };
  const log = await vi.waitFor(() => terminalLog((p, i) => request(p, { ...i, subject: 'demo' }), taskId), {
    timeout: 15_000,
    interval: 100,
  });
  return {
    taskId,
    log,
    messages: log.flatMap((e) => (e.type === 'TASK_MESSAGE' ? [e.payload.message] : [])),
  };
}

describe('taskbridge-server CLI and A2A', () => {
  it('serves the agent card at /.well-known/agent-card.json with its task types as skills', async () => {
    const res = await fetch(`${url}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } });
    expect(res.status).toBe(200);
    const card = (await res.json()) as AgentCard;
    expect(card.name).toBe('TaskBridge demo agent');
    expect(card.capabilities?.streaming).toBe(true);
    expect(card.supportedInterfaces[0]?.url).toBe(`${url}/a2a`);
    expect(card.skills.map((s) => s.id)).toEqual(
      expect.arrayContaining(['greet', 'summarize', 'approval', 'fail', 'ticker', 'a2a-summarize', 'story']),
    );
    expect(card.skills.find((s) => s.id === 'summarize')?.description).toMatch(/streamed token by token/);
  });

  it('a2a-summarize runs its own summarize through its A2A endpoint', async () => {
    const text =
      'Rivers carry water to the sea. Cats sleep a lot. Rivers carry sediment to the sea and build deltas.';
    const { log, messages } = await run('a2a-summarize', { text, tokenDelayMs: 1 });
    const completed = log.at(-1);
    expect(completed?.type).toBe('TASK_COMPLETED');
    const result = (completed?.payload as { result: { text: string; result: { summary: string } } }).result;
    expect(messages.join('')).toBe(result.result.summary);
  });

  it('--a2a-agent registers a remote agent as a task type', async () => {
    const { messages, log } = await run('story', { text: 'go' });
    expect(log.at(-1)?.type).toBe('TASK_COMPLETED');
    expect(messages).toEqual(expectedChunks(10));
  });
});
