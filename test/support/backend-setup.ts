/**
 * Setup file of the `backend:<name>` projects: the suite's backend service stops after the file.
 * (Servers close first: `afterAll` hooks run in reverse order of registration.)
 */
import { afterAll } from 'vitest';
import { stopSuiteBackend } from './backend-fixture';

afterAll(stopSuiteBackend);
