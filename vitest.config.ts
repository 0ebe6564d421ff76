import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      '{protocol,server-reference,client,react}/src/**/*.test.{ts,tsx}',
      'test/**/*.test.{ts,tsx}',
      'examples/**/*.test.{ts,tsx}',
    ],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    // Type tests of the public API (`*.test-d.ts`), checked by tsc in the same run.
    typecheck: {
      enabled: true,
      include: ['{client,react}/src/**/*.test-d.{ts,tsx}'],
      tsconfig: './tsconfig.json',
    },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
