import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { BACKEND_SUITES, TEST_BACKEND_ENV, TEST_BACKENDS } from './test/support/backends.js';

const workspaces = (
  JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { workspaces: string[] }
).workspaces;
/**
 * Standalone example apps (own package and lock file, outside the workspaces) run their own tests
 * through a driver in test/standalone/, never from here.
 */
const standaloneApps = readdirSync(new URL('./examples', import.meta.url))
  .filter((name) => existsSync(new URL(`./examples/${name}/package.json`, import.meta.url)))
  .filter((name) => !workspaces.includes(`examples/${name}`))
  .map((name) => `examples/${name}/**`);

const EXCLUDE = ['**/node_modules/**', 'test/bench/**', ...standaloneApps];
/** The packed-tarball tests: a project of their own, run after everything else (`npm run test:packaging`). */
const PACKAGING = 'test/packaging/**';

// Tests run the packages from source: `@taskbridge/source` is the first condition of every export.
// The rest are vitest's own defaults (Vite's server conditions without `module`) in every environment,
// DOM ones included: a `browser` condition would hand the server under test `ws`'s browser stub.
const conditions = ['@taskbridge/source', ...defaultServerConditions.filter((c) => c !== 'module')];

/**
 * The packed-package tests and the standalone apps take minutes of mostly CPU each: started first,
 * they run beside the rest of the suite instead of after it.
 */
const heavy = (spec: TestSpecification) =>
  spec.project.name === 'packaging' || spec.moduleId.includes('/test/standalone/');
class HeavyFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter(heavy), ...sorted.filter((spec) => !heavy(spec))];
  }
}

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most files wait on sockets, servers and child processes, not on the CPU: vitest's default of
    // (cores - 1) workers would run them one at a time on a 2-core machine.
    maxWorkers: 3,
    sequence: { sequencer: HeavyFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: [
            '{protocol,server-reference,client,react}/src/**/*.test.{ts,tsx}',
            'test/**/*.test.{ts,tsx}',
            'examples/**/*.test.{ts,tsx}',
          ],
          exclude: [...EXCLUDE, ...BACKEND_SUITES, PACKAGING],
        },
      },
      { extends: true, test: { name: 'packaging', include: [`${PACKAGING}/*.test.ts`], exclude: EXCLUDE } },
      // The conformance, hazard and fuzz suites, once per backend (test/support/backends.ts).
      ...TEST_BACKENDS.map(({ name }) => ({
        extends: true as const,
        test: {
          name: `backend:${name}`,
          include: [...BACKEND_SUITES],
          exclude: EXCLUDE,
          env: { [TEST_BACKEND_ENV]: name },
          setupFiles: ['test/support/backend-setup.ts'],
        },
      })),
    ],
  },
});
