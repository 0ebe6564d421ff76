/**
 * Runs the bundle budget check alone (the root config leaves `test/bench/` out of `npm test`):
 * `npx vitest run --config test/bench/bundle-budget.config.ts`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: { include: ['test/bench/bundle-budget.test.ts'], testTimeout: 60_000 },
});
