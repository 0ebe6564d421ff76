/**
 * The Angular example (examples/angular: its own package and lock file, Angular 21 on TypeScript 5.9)
 * as its users run it: `ng build`, then `ng test` (vitest + jsdom) streaming from the real reference
 * server started here on port 0. The Angular suite drives the page through `TaskRunner` and `toSignal`;
 * this driver asserts on exit codes and output, and checks against the server that those tasks ran here.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskEvent } from '@taskbridge/protocol';
import { createDemoAuthResolver, createSummarizeHandler, demoHandlers } from '@taskbridge/server-reference';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReadmeExcerpts } from '../support/readme-excerpts';
import { startTestServer, type TestServer } from '../support/reference-server';
import { type CommandResult, installWhenMissing, runCommand } from '../support/standalone-app';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP = join(REPO_ROOT, 'examples/angular');
const NG = join(APP, 'node_modules/@angular/cli/bin/ng.js');
/** The subject the Angular suite sends as its bearer token (src/app/app.spec.ts). */
const SUBJECT = 'angular-test';
const NG_ENV = { NG_CLI_ANALYTICS: 'false' };
const INSTALL_TIMEOUT_MS = 600_000;
const NG_TIMEOUT_MS = 300_000;

let server: TestServer;
const created: string[] = [];
const timings: Record<string, number> = {};

function ng(args: readonly string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [NG, ...args], {
    cwd: APP,
    env: { ...NG_ENV, ...env },
    timeoutMs: NG_TIMEOUT_MS,
  });
}

/** Every event the server stored for a task, as its owner reads them over HTTP. */
async function eventsOf(taskId: string): Promise<TaskEvent[]> {
  const response = await server.request(`/api/v1/tasks/${taskId}/events?waitTimeoutMs=0&maxEvents=500`, {
    subject: SUBJECT,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: TaskEvent[] }).events;
}

describe('examples/angular', () => {
  beforeAll(async () => {
    const install = await installWhenMissing(APP, INSTALL_TIMEOUT_MS);
    if (install) timings['npm ci'] = install.durationMs;
    server = await startTestServer({
      // Demo auth, said explicitly: the bearer token is the subject, and no token is refused.
      auth: createDemoAuthResolver({ anonymousSubject: null }),
      // jsdom enforces CORS as a browser does; its page origin is not the server's.
      cors: true,
      handlers: { ...demoHandlers, summarize: createSummarizeHandler({ tokenDelayMs: 2 }) },
    });
    server.server.engine.onTaskCreated((taskId) => created.push(taskId));
  }, INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    await server?.close();
    console.log(
      `[angular] ${Object.entries(timings)
        .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
        .join(', ')}`,
    );
  });

  it(
    'ng build: a production bundle with the TaskBridge client in it',
    async () => {
      const outDir = await mkdtemp(join(tmpdir(), 'taskbridge-angular-build-'));
      try {
        const result = await ng(['build', '--output-path', outDir]);
        timings['ng build'] = result.durationMs;
        expect(result.exitCode, result.output).toBe(0);
        expect(result.output).toContain('Application bundle generation complete');
        expect(result.output).not.toMatch(/\bERROR\b/);
        expect(result.output).not.toContain('exceeded maximum budget');
        const browser = join(outDir, 'browser');
        const files = await readdir(browser);
        expect(files).toContain('index.html');
        const main = files.find((file) => /^main-[A-Z0-9]+\.js$/.test(file));
        expect(main, files.join(', ')).toBeDefined();
        const bundle = await readFile(join(browser, main as string), 'utf8');
        // A string of the client's own (TaskStream.submitAction) and one of the page's template.
        expect(bundle).toContain('no open suspension to answer');
        expect(bundle).toContain('Ask for approval');
      } finally {
        await rm(outDir, { recursive: true, force: true });
      }
    },
    NG_TIMEOUT_MS,
  );

  it(
    'ng test: the page streams tasks from this reference server through TaskRunner and toSignal',
    async () => {
      const result = await ng(['test', '--watch=false'], { TASKBRIDGE_SERVER_URL: server.url });
      timings['ng test'] = result.durationMs;
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toMatch(/Tests\s+8 passed \(8\)/);
      expect(result.output).not.toMatch(/\bfailed\b/);

      // The suite reports each streamed task; the server must hold exactly what the page showed.
      const streamed = [
        ...result.output.matchAll(/\[taskbridge-angular\] (\w+): task (\S+) completed, (\d+) events/g),
      ];
      expect(streamed.map((match) => match[1])).toEqual(['websocket', 'sse', 'polling']);
      for (const [, , taskId, count] of streamed) {
        expect(created).toContain(taskId);
        const events = await eventsOf(taskId as string);
        expect(events).toHaveLength(Number(count));
        expect(events.at(-1)?.type).toBe('TASK_COMPLETED');
      }
      // summarize ×3, fail, approval ×2 (approve, cancel); the unknown task type is refused before creation.
      expect(created).toHaveLength(6);
    },
    NG_TIMEOUT_MS,
  );
});

describe('README, Angular section', () => {
  it('every excerpt is copied from the tested example', async () => {
    const { count, stale } = await checkReadmeExcerpts('examples/angular/');
    expect(count).toBeGreaterThanOrEqual(6);
    expect(stale).toEqual([]);
  });
});
