import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

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
    exclude: ['**/node_modules/**', 'test/bench/**', ...standaloneApps],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
