/**
 * Browser setup for the MSW kit: a service worker (`setupWorker` from `msw/browser`) serving the kit's
 * handlers. Copy the worker script once with `npx msw init <public dir> --no-save` (npm 11 does not run msw's
 * postinstall).
 */
import { setupWorker, type SetupWorker, type StartOptions } from 'msw/browser';
import type { TaskBridgeMswKit } from './kit';

/**
 * Starts a service worker with the kit's handlers (plus `extra` handlers first, so they win).
 * `onUnhandledRequest` defaults to `'bypass'` so the app's own assets load normally.
 *
 * @param options - MSW `StartOptions`; `onUnhandledRequest` default `'bypass'`.
 * @returns the started worker; call `worker.stop()` and `kit.close()` to tear down.
 * @throws rejects when the service worker cannot be registered (e.g. `mockServiceWorker.js` not served).
 */
export async function startTaskBridgeWorker(
  kit: TaskBridgeMswKit,
  options: StartOptions = {},
  ...extra: Parameters<typeof setupWorker>
): Promise<SetupWorker> {
  const worker = setupWorker(...extra, ...kit.handlers);
  await worker.start({ onUnhandledRequest: 'bypass', ...options });
  return worker;
}
