/**
 * The runnable A2A example (examples/a2a) works as its README says: the A2A client calls the demo's
 * `summarize` and `approval` through the bridge, and the SDK-built story agent is followed as a
 * TaskBridge task type.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demoHandlers } from '@taskbridge/server-reference';
import { a2aAgentHandler, a2aBridge } from '@taskbridge/server-reference/a2a';
import { afterEach, describe, expect, it } from 'vitest';
import { callDemo } from '../../examples/a2a/src/call-demo';
import { startStoryAgent } from '../../examples/a2a/src/story-agent';
import { createNodeClient, recordEvents } from '../support/node-client';
import { startTestServer, type TestServer } from '../support/reference-server';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('examples/a2a', () => {
  it('call-demo: summarize streams the summary; approval asks, is approved and completes', async () => {
    const server: TestServer = await startTestServer({ handlers: demoHandlers, extensions: [a2aBridge()] });
    cleanups.push(() => server.close());
    let printed = '';
    const { summary, approval } = await callDemo(server.url, (text) => (printed += text));
    expect(summary.length).toBeGreaterThan(10);
    expect(printed).toContain(summary);
    expect(printed).toContain('approval asks: INPUT_REQUIRED');
    expect(printed).toContain('approval ends: COMPLETED');
    const status = await server.request(`/api/v1/tasks/${approval.taskId}`, { subject: 'demo' });
    expect(((await status.json()) as { status: string }).status).toBe('COMPLETED');
  });

  it('story-agent: a TaskBridge client follows the SDK-built agent word by word', async () => {
    const agent = await startStoryAgent(0);
    cleanups.push(() => agent.close());
    const server = await startTestServer({ handlers: { story: a2aAgentHandler({ url: agent.url }) } });
    cleanups.push(() => server.close());
    const { client } = createNodeClient(server.url);
    cleanups.push(async () => client.close());
    const { stream } = await client.startTask({ taskType: 'story', input: { text: 'tell me' } });
    const recording = recordEvents(stream);
    await recording.done;
    const words = recording.events.flatMap((e) =>
      e.type === 'TASK_MESSAGE' ? [(e.payload as { message: string }).message] : [],
    );
    expect(words.join('')).toBe(agent.story);
    expect(words.length).toBe(agent.story.split(' ').length);
    expect(recording.events.at(-1)?.type).toBe('TASK_COMPLETED');
  });
});

describe('README, A2A bridge section', () => {
  const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
  const lines = (text: string) => text.split('\n').map((line) => line.trim());
  const sources = ['../../examples/a2a/src/call-demo.ts', '../e2e/a2a-demo.test.ts'].map((p) =>
    lines(read(p)),
  );

  it('every code snippet is copied from tested code (indentation aside)', () => {
    const readme = read('../../README.md');
    const start = readme.indexOf('## A2A bridge');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const snippets = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => lines((m[1] ?? '').trimEnd()));
    expect(snippets.length).toBeGreaterThanOrEqual(3);
    for (const snippet of snippets) {
      const found = sources.some((source) =>
        source.some((_, start) => snippet.every((line, i) => source[start + i] === line)),
      );
      expect(found, snippet.join('\n')).toBe(true);
    }
  });
});
