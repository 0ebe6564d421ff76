/**
 * The React Native example (examples/react-native: its own package and lock file, React Native 0.86 on
 * the React Native jest preset) as its users run it: `@taskbridge/protocol`, `client` and `react` built
 * and packed as published, installed into the app, and its jest suite streaming from the real
 * reference server started here on port 0 — over WebSocket, SSE (react-native-sse) and polling, and
 * through background → foreground, a network drop and an app restart with checkpoints in AsyncStorage.
 * This driver asserts on exit code and output, and checks against the server that those tasks ran here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskEvent } from '@taskbridge/protocol';
import { createDemoAuthResolver, createSummarizeHandler, demoHandlers } from '@taskbridge/server-reference';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReadmeExcerpts } from '../support/readme-excerpts';
import { startTestServer, type TestServer } from '../support/reference-server';
import {
  assertLockedDependencies,
  buildAndPackPackages,
  installTarballs,
  installWhenMissing,
  runCommand,
} from '../support/standalone-app';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP = join(REPO_ROOT, 'examples/react-native');
const JEST = join(APP, 'node_modules/jest/bin/jest.js');
/** The packages the app installs from the repository (`file:` in its package.json). */
const PACKAGES = ['protocol', 'client', 'react'] as const;
/** The subject the app's suite sends as its bearer token (__tests__/taskbridge.test.tsx). */
const SUBJECT = 'react-native-test';
const INSTALL_TIMEOUT_MS = 600_000;
const BUILD_TIMEOUT_MS = 300_000;
const JEST_TIMEOUT_MS = 180_000;

let server: TestServer;
let staging: string;
const created: string[] = [];
const timings: Record<string, number> = {};

/** Every event the server stored for a task, as its owner reads them over HTTP. */
async function eventsOf(taskId: string): Promise<TaskEvent[]> {
  const response = await server.request(`/api/v1/tasks/${taskId}/events?waitTimeoutMs=0&maxEvents=500`, {
    subject: SUBJECT,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: TaskEvent[] }).events;
}

describe('examples/react-native', () => {
  beforeAll(async () => {
    const install = await installWhenMissing(APP, INSTALL_TIMEOUT_MS);
    if (install) timings['npm ci'] = install.durationMs;
    await assertLockedDependencies(APP, PACKAGES);
    staging = await mkdtemp(join(tmpdir(), 'taskbridge-react-native-'));
    const started = performance.now();
    await installTarballs(APP, await buildAndPackPackages(PACKAGES, staging, BUILD_TIMEOUT_MS));
    timings['build + pack'] = performance.now() - started;
    server = await startTestServer({
      // Demo auth, said explicitly: the bearer token is the subject, and no token is refused.
      auth: createDemoAuthResolver({ anonymousSubject: null }),
      handlers: { ...demoHandlers, summarize: createSummarizeHandler({ tokenDelayMs: 2 }) },
    });
    server.server.engine.onTaskCreated((taskId) => created.push(taskId));
  }, INSTALL_TIMEOUT_MS + BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await server?.close();
    if (staging) await rm(staging, { recursive: true, force: true });
    console.log(
      `[react-native] ${Object.entries(timings)
        .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
        .join(', ')}`,
    );
  });

  it(
    'tsc: the app type-checks against the packed declarations and the real native modules',
    async () => {
      const result = await runCommand(
        process.execPath,
        [join(APP, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
        {
          cwd: APP,
          timeoutMs: JEST_TIMEOUT_MS,
        },
      );
      timings.tsc = result.durationMs;
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toBe('');
    },
    JEST_TIMEOUT_MS,
  );

  it(
    'jest (React Native preset): the app streams from this reference server over every transport and resumes',
    async () => {
      const result = await runCommand(process.execPath, [JEST, '--ci'], {
        cwd: APP,
        env: { TASKBRIDGE_SERVER_URL: server.url },
        timeoutMs: JEST_TIMEOUT_MS,
      });
      timings.jest = result.durationMs;
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toMatch(/Tests:\s+6 passed, 6 total/);
      expect(result.output).not.toMatch(/\bfailed\b/);

      // The suite reports each task it streamed; the server must hold exactly what the app showed.
      const streamed = [
        ...result.output.matchAll(/\[taskbridge-react-native\] (\w+): task (\S+) completed, (\d+) events/g),
      ];
      expect(streamed.map((match) => match[1])).toEqual([
        'websocket',
        'sse',
        'polling',
        'background',
        'reconnect',
        'restart',
      ]);
      for (const [, , taskId, count] of streamed) {
        expect(created).toContain(taskId);
        const events = await eventsOf(taskId as string);
        expect(events).toHaveLength(Number(count));
        expect(events.at(-1)?.type).toBe('TASK_COMPLETED');
      }
      expect(created).toHaveLength(6);
    },
    JEST_TIMEOUT_MS,
  );
});

describe('README, React Native section', () => {
  it('every excerpt is copied from the tested example', async () => {
    const { count, stale } = await checkReadmeExcerpts('examples/react-native/');
    expect(count).toBeGreaterThanOrEqual(4);
    expect(stale).toEqual([]);
  });
});
