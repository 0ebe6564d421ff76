// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"fetch":{"disableSameOriginPolicy":true}}}
import { type CheckpointStore, createMemoryCheckpointStore, type TaskBridgeClient } from '@taskbridge/client';
import { type UseTaskResult, useTask } from '@taskbridge/react';
import { cleanup, render, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/reference-server';
import { ARTICLE, createTestClient, providerFor } from './support';

let srv: TestServer;
const clients: TaskBridgeClient[] = [];
beforeEach(async () => {
  srv = await startTestServer();
});
afterEach(async () => {
  cleanup();
  for (const client of clients.splice(0)) client.close();
  await srv.close();
});

const slow = { timeout: 5000 };

/** One "page load": a new client over `store`, rendering the summary under the same resume key. */
function loadPage(store: CheckpointStore) {
  const client = createTestClient(srv, { checkpointStore: store });
  clients.push(client);
  const renders: UseTaskResult[] = [];
  function Summary() {
    const task = useTask({
      taskType: 'summarize',
      input: { text: ARTICLE, tokenDelayMs: 20, maxSentences: 3 },
      resumeKey: 'summary:article-1',
    });
    renders.push(task);
    return <p>{task.text}</p>;
  }
  const view = render(<Summary />, { wrapper: providerFor(client), reactStrictMode: true });
  const latest = () => renders.at(-1);
  return { client, renders, latest, unmount: view.unmount };
}

describe('reload with the same resume key', () => {
  it('re-attaches to the same task mid-stream instead of starting a second one', async () => {
    const store = createMemoryCheckpointStore();
    const first = loadPage(store);
    await waitFor(() => expect(first.latest()?.text.length).toBeGreaterThan(0), slow);
    const taskId = first.latest()?.taskId;
    expect(first.latest()?.status).toBe('running');
    first.unmount();
    first.client.close();
    const partial = first.latest()?.text ?? '';
    // What the reload resumes from: a checkpoint holding the partial text.
    const probe = createTestClient(srv, { checkpointStore: store });
    clients.push(probe);
    await vi.waitFor(async () => {
      const active = await probe.activeTasks();
      expect(active.map((t) => [t.taskId, t.snapshot.text])).toEqual([[taskId, partial]]);
    });

    const second = loadPage(store);
    await waitFor(() => expect(second.latest()?.status).toBe('completed'), slow);
    expect(second.latest()?.taskId).toBe(taskId);
    expect(srv.server.engine.taskCount).toBe(1);
    const summary = (second.latest()?.result as { summary: string }).summary;
    expect(second.latest()?.text).toBe(summary);
    expect(summary.startsWith(partial) && partial.length < summary.length).toBe(true);
  });

  it('restart() forgets the resume key and starts a new task', async () => {
    const store = createMemoryCheckpointStore();
    const page = loadPage(store);
    await waitFor(() => expect(page.latest()?.status).toBe('completed'), slow);
    const before = page.latest()?.taskId;
    await page.latest()?.restart();
    await waitFor(() => expect(page.latest()?.taskId).not.toBe(before), slow);
    await waitFor(() => expect(page.latest()?.status).toBe('completed'), slow);
    expect(srv.server.engine.taskCount).toBe(2);
  });
});
