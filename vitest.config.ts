import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      '{protocol,server-reference,client,react}/src/**/*.test.{ts,tsx}',
      'test/**/*.test.{ts,tsx}',
      'examples/**/*.test.{ts,tsx}',
    ],
    // Standalone apps run their own test command through a driver in test/standalone/.
    exclude: ['**/node_modules/**', 'test/bench/**', 'examples/angular/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
