/**
 * Fault scenarios of the MSW kit: what each transport does wrong, composable and changeable at
 * runtime (`kit.setFaults(...)`). Every fault may carry `times`: it then applies to that many
 * connections (or requests) and clears itself; without it, it stays until replaced.
 */
import type { RouteName } from '@taskbridge/protocol';
import { TaskBridgeError } from '@taskbridge/protocol';

/** How many connections/requests a fault applies to before it clears itself. Default: until replaced. */
export interface FaultCount {
  /** Connections/requests the fault applies to, then it clears itself. Default: until replaced. */
  times?: number;
}

/**
 * WebSocket faults (protocol/SPEC.md §6):
 * - `refuse`: the upgrade fails (error, then close 1006 before open), as a proxy that refuses upgrades;
 * - `silent`: the socket opens and never answers (no ack): the client's first-frame deadline fires;
 * - `close-after`: closes with `code` (default 1006, abnormal) after `events` task events were sent;
 * - `policy-violation`: closes 1008 on the subscribe frame, before the ack (auth / not-found / bad frame).
 */
export type WebSocketFault = FaultCount &
  (
    | { kind: 'refuse' }
    | { kind: 'silent' }
    | { kind: 'close-after'; events: number; code?: number }
    | { kind: 'policy-violation' }
  );

/**
 * SSE faults (protocol/SPEC.md §5):
 * - `refuse`: an error response before the headers, `status` default 503 (`retryAfterMs` → `Retry-After`);
 * - `buffer`: 200 and the headers, then nothing (a buffering proxy: the first-frame deadline fires);
 * - `cut-after`: the body ends after `events` task events, before the terminal event;
 * - `peer`: the body never ends after the terminal event (the peer's quirk; the client must close it).
 */
export type SseFault = FaultCount &
  (
    | { kind: 'refuse'; status?: number; retryAfterMs?: number }
    | { kind: 'buffer' }
    | { kind: 'cut-after'; events: number }
    | { kind: 'peer' }
  );

/** Polling faults (protocol/SPEC.md §4, §8): an error response, `status` default 503; 429 with `retryAfterMs` → `Retry-After`. */
export type PollingFault = FaultCount & { kind: 'error'; status?: number; retryAfterMs?: number };

/**
 * Credentials refused (protocol/SPEC.md §9): 401 `AUTHENTICATION_ERROR` on HTTP routes (SSE and polling
 * included), close 1008 before the ack on the WebSocket. `routes` default: every route.
 * `{ kind: 'unauthorized', times: 1 }` is "401 once, then OK" (the client refreshes and retries).
 */
export type AuthFault = FaultCount & { kind: 'unauthorized'; routes?: readonly RouteName[] };

/**
 * Replay faults, applied to the cursor of each WebSocket subscription, SSE connection and poll
 * (protocol/SPEC.md §3):
 * - `duplicate`: the replay starts `events` (default 2) events *before* the cursor, so the client
 *   receives events it already has (it must deliver each `eventId` once);
 * - `trimmed`: only the newest `keep` events are retained: a cursor older than that (or none) replays
 *   from the oldest retained one, and the events in between are silently missing.
 */
export type HistoryFault = FaultCount &
  ({ kind: 'duplicate'; events?: number } | { kind: 'trimmed'; keep: number });

/** Slow responses: every HTTP response (and the WebSocket ack) waits `ms` first. `routes` default: every route. */
export type LatencyFault = FaultCount & { ms: number; routes?: readonly RouteName[] };

/** The faults in force; each key is independent, so they compose. */
export interface TaskBridgeFaults {
  /** See {@link WebSocketFault}. Default: none. */
  websocket?: WebSocketFault;
  /** See {@link SseFault}. Default: none. */
  sse?: SseFault;
  /** See {@link PollingFault}. Default: none. */
  polling?: PollingFault;
  /** See {@link AuthFault}. Default: none. */
  auth?: AuthFault;
  /** See {@link HistoryFault}. Default: none. */
  history?: HistoryFault;
  /** See {@link LatencyFault}. Default: none. */
  latency?: LatencyFault;
}

/** Runtime fault switchboard shared by the kit's handlers. */
export interface FaultController {
  /** Replaces every fault (keys left out are cleared). */
  set(faults: TaskBridgeFaults): void;
  /** Clears every fault. */
  reset(): void;
  /** The faults in force (a copy). */
  current(): TaskBridgeFaults;
  /**
   * The fault of `key` that applies to this connection/request, counting one use of its `times`;
   * `undefined` when none applies. `route` filters faults that carry `routes`.
   */
  take<K extends keyof TaskBridgeFaults>(key: K, route?: RouteName): TaskBridgeFaults[K] | undefined;
}

/** Creates a {@link FaultController} starting with `initial`. */
export function createFaultController(initial: TaskBridgeFaults = {}): FaultController {
  let faults: TaskBridgeFaults = { ...initial };
  const uses = new Map<keyof TaskBridgeFaults, number>();
  return {
    set(next) {
      faults = { ...next };
      uses.clear();
    },
    reset() {
      faults = {};
      uses.clear();
    },
    current: () => ({ ...faults }),
    take(key, route) {
      const fault = faults[key];
      if (!fault) return undefined;
      const routes = 'routes' in fault ? fault.routes : undefined;
      if (route !== undefined && routes !== undefined && !routes.includes(route)) return undefined;
      if (fault.times !== undefined) {
        const used = (uses.get(key) ?? 0) + 1;
        uses.set(key, used);
        // Spent: clear it, so the next connection or request is served normally.
        if (used >= fault.times) {
          const { [key]: _spent, ...rest } = faults;
          faults = rest;
          uses.delete(key);
        }
      }
      return fault;
    },
  };
}

const CODE_BY_STATUS: Readonly<Record<number, 'AUTHENTICATION_ERROR' | 'TASK_NOT_FOUND' | 'RATE_LIMITED'>> = {
  401: 'AUTHENTICATION_ERROR',
  404: 'TASK_NOT_FOUND',
  429: 'RATE_LIMITED',
};

/** The error an injected fault answers with: the protocol/SPEC.md §8 code of `status` where there is one. */
export function faultError(status: number, retryAfterMs?: number): TaskBridgeError {
  return new TaskBridgeError({
    code: CODE_BY_STATUS[status] ?? 'INTERNAL_ERROR',
    status,
    message: `injected fault: HTTP ${status}`,
    details: { fault: true },
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** The 401 of an {@link AuthFault}. */
export function unauthorizedFault(): TaskBridgeError {
  return new TaskBridgeError({
    code: 'AUTHENTICATION_ERROR',
    message: 'injected fault: credentials refused',
    details: { fault: true },
  });
}
