import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests run the packages from source: `@taskbridge/source` is the first condition of every export.
const SOURCE = '@taskbridge/source';

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions] } },
  test: {
    include: [
      '{protocol,server-reference,client,react}/src/**/*.test.{ts,tsx}',
      'test/**/*.test.{ts,tsx}',
      'examples/**/*.test.{ts,tsx}',
    ],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
