/**
 * The demo's client, configured from the page's query string so a tester (or the e2e suite) can force a
 * transport or shorten the deadlines without a rebuild:
 *
 * - `transport=websocket|sse|polling`: `forceTransport` (no fallback).
 * - `openTimeoutMs=<ms>`, `firstFrameTimeoutMs=<ms>`: the client's open and first-frame deadlines
 *   (defaults 5000 and 8000; protocol/SPEC.md §10), e.g. `?openTimeoutMs=1500&firstFrameTimeoutMs=2000`.
 * - `user=<name>`: the demo bearer token, i.e. who owns the tasks (default `demo`).
 */
import { createTaskBridgeClient, type TaskBridgeClient } from '@taskbridge/client';
import type { TransportName } from '@taskbridge/protocol';

const TRANSPORTS: readonly TransportName[] = ['websocket', 'sse', 'polling'];

/** The forced transport named by `?transport=`, or `null` for the automatic ladder. */
export function forcedTransport(search: string = location.search): TransportName | null {
  const value = new URLSearchParams(search).get('transport');
  return TRANSPORTS.find((name) => name === value) ?? null;
}

function positiveNumber(params: URLSearchParams, name: string): number | undefined {
  const value = Number(params.get(name));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Creates the page's one client: same origin as the page, IndexedDB checkpoints (the default). */
export function createDemoClient(search: string = location.search): TaskBridgeClient {
  const params = new URLSearchParams(search);
  const user = params.get('user') || 'demo';
  const forceTransport = forcedTransport(search);
  const openTimeoutMs = positiveNumber(params, 'openTimeoutMs');
  const firstFrameTimeoutMs = positiveNumber(params, 'firstFrameTimeoutMs');
  return createTaskBridgeClient({
    baseUrl: location.origin,
    getAccessToken: () => user,
    namespace: 'taskbridge-demo',
    ...(forceTransport ? { forceTransport } : {}),
    connection: {
      ...(openTimeoutMs ? { openTimeoutMs } : {}),
      ...(firstFrameTimeoutMs ? { firstFrameTimeoutMs } : {}),
    },
  });
}
