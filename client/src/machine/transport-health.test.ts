import { describe, expect, it } from 'vitest';
import {
  createLocalStorageTransportHealthStore,
  createMemoryTransportHealthStore,
  type HealthStorage,
} from './transport-health';

function memoryStorage(): HealthStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      items.set(key, value);
    },
    removeItem: (key) => {
      items.delete(key);
    },
  };
}

describe('memory transport health', () => {
  it('remembers a mark per origin until its TTL passes', () => {
    let now = 1_000;
    const store = createMemoryTransportHealthStore({ now: () => now });
    store.markUnhealthy('https://a.example', 'websocket', 600_000);
    expect(store.isUnhealthy('https://a.example', 'websocket')).toBe(true);
    expect(store.isUnhealthy('https://a.example', 'sse')).toBe(false);
    expect(store.isUnhealthy('https://b.example', 'websocket')).toBe(false);
    now += 599_999;
    expect(store.isUnhealthy('https://a.example', 'websocket')).toBe(true);
    now += 1;
    expect(store.isUnhealthy('https://a.example', 'websocket')).toBe(false);
  });

  it('forgets a mark on markHealthy', () => {
    const store = createMemoryTransportHealthStore({ now: () => 0 });
    store.markUnhealthy('o', 'sse', 10);
    store.markHealthy('o', 'sse');
    expect(store.isUnhealthy('o', 'sse')).toBe(false);
  });
});

describe('localStorage transport health', () => {
  it('persists marks across store instances (a reload) and expires them', () => {
    let now = 0;
    const storage = memoryStorage();
    createLocalStorageTransportHealthStore({ storage, now: () => now }).markUnhealthy('o', 'websocket', 100);
    const reloaded = createLocalStorageTransportHealthStore({ storage, now: () => now });
    expect(reloaded.isUnhealthy('o', 'websocket')).toBe(true);
    expect(JSON.parse(storage.items.get('taskbridge:transport-health:o') ?? 'null')).toEqual({
      websocket: 100,
    });
    now = 100;
    expect(reloaded.isUnhealthy('o', 'websocket')).toBe(false);
    expect(storage.items.has('taskbridge:transport-health:o')).toBe(false);
  });

  it('markHealthy removes the key when nothing is left', () => {
    const storage = memoryStorage();
    const store = createLocalStorageTransportHealthStore({ storage, now: () => 0 });
    store.markUnhealthy('o', 'sse', 100);
    store.markHealthy('o', 'sse');
    expect(storage.items.size).toBe(0);
    expect(store.isUnhealthy('o', 'sse')).toBe(false);
  });

  it('ignores garbage in storage', () => {
    const storage = memoryStorage();
    storage.items.set('taskbridge:transport-health:o', '{not json');
    storage.items.set('taskbridge:transport-health:p', JSON.stringify({ websocket: 'soon', sse: 5_000 }));
    const store = createLocalStorageTransportHealthStore({ storage, now: () => 0 });
    expect(store.isUnhealthy('o', 'websocket')).toBe(false);
    expect(store.isUnhealthy('p', 'websocket')).toBe(false);
    expect(store.isUnhealthy('p', 'sse')).toBe(true);
  });

  it('keeps working from memory when storage throws', () => {
    const throwing: HealthStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const store = createLocalStorageTransportHealthStore({ storage: throwing, now: () => 0 });
    expect(() => store.markUnhealthy('o', 'websocket', 100)).not.toThrow();
    expect(store.isUnhealthy('o', 'websocket')).toBe(true);
    expect(() => store.markHealthy('o', 'websocket')).not.toThrow();
    expect(store.isUnhealthy('o', 'websocket')).toBe(false);
  });

  it('falls back to memory when a write fails (quota) even though reads work', () => {
    const storage = memoryStorage();
    storage.setItem = () => {
      throw new Error('QuotaExceededError');
    };
    const store = createLocalStorageTransportHealthStore({ storage, now: () => 0 });
    store.markUnhealthy('o', 'sse', 100);
    expect(store.isUnhealthy('o', 'sse')).toBe(true);
  });

  it('works with no localStorage at all (Node)', () => {
    const store = createLocalStorageTransportHealthStore({ now: () => 0 });
    store.markUnhealthy('o', 'sse', 100);
    expect(store.isUnhealthy('o', 'sse')).toBe(true);
  });
});
