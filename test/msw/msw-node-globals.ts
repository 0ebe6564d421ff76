/**
 * Import this first in a test file that uses MSW on Node 20: it installs the `WebSocket` (from `ws`)
 * and `EventSource` (from `eventsource`) globals MSW 2.15 needs *before* `setupServer()`/`listen()`
 * (LIBRARIES.md). Scoped to the importing file; call {@link restoreMswNodeGlobals} in `afterAll`.
 */
import { installMswNodeGlobals } from '@taskbridge/server-reference/msw/node';

/** Removes the globals this module added. */
export const restoreMswNodeGlobals = installMswNodeGlobals();
