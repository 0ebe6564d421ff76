import { defineConfig } from 'vitest/config';
import { BACKEND_SUITES, TEST_BACKEND_ENV, TEST_BACKENDS } from './test/support/backends.js';

const EXCLUDE = ['**/node_modules/**', 'test/bench/**'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
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
          exclude: [...EXCLUDE, ...BACKEND_SUITES],
        },
      },
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
