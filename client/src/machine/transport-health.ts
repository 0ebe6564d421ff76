/**
 * Remembered transport health (protocol/SPEC.md §10): when a stream gives up on a transport for an origin (say, a
 * proxy that buffers SSE), the next stream to that origin starts one step down and probes upward instead
 * of paying every deadline again. Marks expire after a time-to-live so a fixed network is noticed.
 */
import type { TransportName } from '@taskbridge/protocol';
import { systemClock } from '../clock';

/** Where transport health is remembered. Synchronous: it is read once when a stream starts. */
export interface TransportHealthStore {
  /** True when `transport` was given up on for `origin` and the mark has not expired. */
  isUnhealthy(origin: string, transport: TransportName): boolean;
  /** Remembers that `transport` failed for `origin`, for `ttlMs` ms from now. */
  markUnhealthy(origin: string, transport: TransportName, ttlMs: number): void;
  /** Forgets a mark (the transport worked again, e.g. a climb-back probe succeeded). */
  markHealthy(origin: string, transport: TransportName): void;
}

/** Options of {@link createMemoryTransportHealthStore}. */
export interface MemoryTransportHealthOptions {
  /** Current time, ms since the epoch. Default: the platform clock, read lazily so fake timers apply. */
  now?: () => number;
}

/** Expiry (ms since the epoch) per transport, for one origin. */
type HealthRecord = Partial<Record<TransportName, number>>;

const TRANSPORT_NAMES: readonly TransportName[] = ['websocket', 'sse', 'polling'];

const defaultNow = systemClock.now;

/**
 * A {@link TransportHealthStore} that lives as long as the page (or the Node process). Never throws.
 *
 * @param options - {@link MemoryTransportHealthOptions}.
 * @see protocol/SPEC.md §10 (per-origin transport health with a time-to-live)
 */
export function createMemoryTransportHealthStore(
  options: MemoryTransportHealthOptions = {},
): TransportHealthStore {
  const now = options.now ?? defaultNow;
  const records = new Map<string, HealthRecord>();
  return {
    isUnhealthy(origin, transport) {
      const expiresAt = records.get(origin)?.[transport];
      if (expiresAt === undefined) return false;
      if (expiresAt > now()) return true;
      delete records.get(origin)?.[transport];
      return false;
    },
    markUnhealthy(origin, transport, ttlMs) {
      const record = records.get(origin) ?? {};
      record[transport] = now() + ttlMs;
      records.set(origin, record);
    },
    markHealthy(origin, transport) {
      delete records.get(origin)?.[transport];
    },
  };
}

/** The part of the Web Storage API the store uses. */
export type HealthStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Options of {@link createLocalStorageTransportHealthStore}. */
export interface LocalStorageTransportHealthOptions {
  /**
   * Where to keep the marks. Default: `globalThis.localStorage`, read lazily on each call (it may be
   * missing, as in Node, or throw, as in some sandboxed iframes).
   */
  storage?: HealthStorage;
  /** Key prefix; the origin is appended. Default `'taskbridge:transport-health:'`. */
  keyPrefix?: string;
  /** Current time, ms since the epoch. Default: the platform clock, read lazily so fake timers apply. */
  now?: () => number;
}

function globalStorage(): HealthStorage | undefined {
  try {
    // Accessing localStorage throws a SecurityError when storage is blocked; that is "no storage".
    return (globalThis as { localStorage?: HealthStorage }).localStorage;
  } catch {
    return undefined;
  }
}

function parseRecord(raw: string | null): HealthRecord {
  if (raw === null) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const record: HealthRecord = {};
  for (const name of TRANSPORT_NAMES) {
    const value: unknown = (parsed as Record<string, unknown>)[name];
    if (typeof value === 'number' && Number.isFinite(value)) record[name] = value;
  }
  return record;
}

/**
 * A {@link TransportHealthStore} kept in `localStorage` (one key per origin, JSON
 * `{ [transport]: expiresAtMs }`), so health survives reloads (protocol/SPEC.md §10). Tolerant of failures:
 * when storage is missing, full, blocked or holds garbage, it keeps working from memory and never throws.
 *
 * @param options - {@link LocalStorageTransportHealthOptions}.
 * @see protocol/SPEC.md §10 (per-origin transport health with a time-to-live)
 */
export function createLocalStorageTransportHealthStore(
  options: LocalStorageTransportHealthOptions = {},
): TransportHealthStore {
  const now = options.now ?? defaultNow;
  const prefix = options.keyPrefix ?? 'taskbridge:transport-health:';
  // Memory mirror: the answer when storage fails, so a stream still steps down within this page.
  const fallback = createMemoryTransportHealthStore({ now });
  // Once a write has failed, storage may be stale for this page: the mirror is the truth from then on.
  let writeFailed = false;
  const storage = (): HealthStorage | undefined => options.storage ?? globalStorage();

  const read = (origin: string): HealthRecord | undefined => {
    try {
      const store = storage();
      return store === undefined ? undefined : parseRecord(store.getItem(prefix + origin));
    } catch {
      return undefined;
    }
  };
  const write = (origin: string, record: HealthRecord): void => {
    try {
      const store = storage();
      if (store === undefined) return;
      const key = prefix + origin;
      if (Object.keys(record).length === 0) store.removeItem(key);
      else store.setItem(key, JSON.stringify(record));
    } catch {
      // Quota exceeded or storage blocked: the memory mirror still answers for this page.
      writeFailed = true;
    }
  };

  return {
    isUnhealthy(origin, transport) {
      const record = read(origin);
      if (record === undefined || writeFailed) return fallback.isUnhealthy(origin, transport);
      const expiresAt = record[transport];
      if (expiresAt === undefined) return false;
      if (expiresAt > now()) return true;
      delete record[transport];
      write(origin, record);
      return false;
    },
    markUnhealthy(origin, transport, ttlMs) {
      fallback.markUnhealthy(origin, transport, ttlMs);
      const record = read(origin);
      if (record === undefined) return;
      record[transport] = now() + ttlMs;
      write(origin, record);
    },
    markHealthy(origin, transport) {
      fallback.markHealthy(origin, transport);
      const record = read(origin);
      if (record === undefined || record[transport] === undefined) return;
      delete record[transport];
      write(origin, record);
    },
  };
}
