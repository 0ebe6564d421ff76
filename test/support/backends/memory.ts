/** The memory backend fixture: nothing to start; each backend is a new `createMemoryBackend()`. */
import { createMemoryBackend } from '@taskbridge/server-reference';
import type { BackendFixture } from '../backend-fixture';

const fixture: BackendFixture = {
  start: () =>
    Promise.resolve({
      create: (retention) => Promise.resolve(createMemoryBackend(retention)),
      stop: () => Promise.resolve(),
    }),
};

export default fixture;
