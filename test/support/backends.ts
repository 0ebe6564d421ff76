/**
 * THE list of backends the parametrised suites run against: `test/conformance`, `test/hazards` and
 * `test/fuzz` run once per entry, each as a vitest project named `backend:<name>` (vitest.config.ts
 * builds the projects from this list). To add a backend, add an entry here and write its fixture
 * module, `test/support/backends/<name>.ts`, whose default export is a `BackendFixture`
 * (see `backend-fixture.ts`).
 *
 * No imports here: vitest.config.ts reads this file before any test module is loaded.
 */

/** One backend the parametrised suites run against. */
export interface TestBackendEntry {
  /** Fixture module name in `test/support/backends/` and the project suffix, e.g. `memory`. */
  readonly name: string;
}

/** Every backend, in the order their projects run. */
export const TEST_BACKENDS: readonly TestBackendEntry[] = [{ name: 'memory' }];

/** The suites that run once per backend. */
export const BACKEND_SUITES: readonly string[] = [
  'test/conformance/**/*.test.ts',
  'test/hazards/**/*.test.ts',
  'test/fuzz/**/*.test.ts',
];

/** Environment variable naming the backend of the running project (absent elsewhere: `memory`). */
export const TEST_BACKEND_ENV = 'TASKBRIDGE_TEST_BACKEND';
