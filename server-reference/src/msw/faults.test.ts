import { describe, expect, it } from 'vitest';
import { createFaultController, faultError } from './faults';

describe('createFaultController', () => {
  it('applies a fault without `times` until it is replaced', () => {
    const faults = createFaultController({ sse: { kind: 'buffer' } });
    expect(faults.take('sse')).toEqual({ kind: 'buffer' });
    expect(faults.take('sse')).toEqual({ kind: 'buffer' });
    faults.set({ polling: { kind: 'error' } });
    expect(faults.take('sse')).toBeUndefined();
    expect(faults.take('polling')).toEqual({ kind: 'error' });
  });

  it('spends a `times` fault on that many uses, then clears it', () => {
    const faults = createFaultController({ websocket: { kind: 'refuse', times: 2 } });
    expect(faults.take('websocket')?.kind).toBe('refuse');
    expect(faults.current().websocket).toBeDefined();
    expect(faults.take('websocket')?.kind).toBe('refuse');
    expect(faults.take('websocket')).toBeUndefined();
    expect(faults.current()).toEqual({});
  });

  it('skips route-scoped faults for other routes without spending them', () => {
    const faults = createFaultController({ auth: { kind: 'unauthorized', times: 1, routes: ['create'] } });
    expect(faults.take('auth', 'events')).toBeUndefined();
    expect(faults.take('auth', 'create')?.kind).toBe('unauthorized');
    expect(faults.take('auth', 'create')).toBeUndefined();
  });

  it('keeps keys independent, so faults compose', () => {
    const faults = createFaultController({
      websocket: { kind: 'close-after', events: 1, times: 1 },
      history: { kind: 'duplicate' },
    });
    faults.take('websocket');
    expect(faults.current()).toEqual({ history: { kind: 'duplicate' } });
  });
});

describe('faultError', () => {
  it('maps statuses to protocol/SPEC.md §8 codes and keeps Retry-After', () => {
    expect(faultError(429, 2000)).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterMs: 2000 });
    expect(faultError(401)).toMatchObject({ code: 'AUTHENTICATION_ERROR', status: 401 });
    expect(faultError(503)).toMatchObject({ code: 'INTERNAL_ERROR', status: 503, retryable: true });
  });
});
