/**
 * `crossTabEnvironment`: feature detection (no Web Locks or no BroadcastChannel → every stream alone,
 * as in Node and React Native) and the lock names that keep two users of one browser apart.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../clock';
import { crossTabEnvironment, type CrossTabOptions } from './environment';
import { FakeLocks } from './test-support';

afterEach(() => vi.unstubAllGlobals());

const deps = (token: string) => ({
  key: (taskId: string) => `taskbridge:http%3A%2F%2Fapi.test:${taskId}`,
  headers: async () => ({ Authorization: `Bearer ${token}` }),
  clock: systemClock,
  page: null,
});

/** As in a browser: no `process` while the environment is made (synchronously). */
function envFor(options: CrossTabOptions | false | undefined, token: string) {
  const g = globalThis as { process?: unknown };
  const { process } = g;
  g.process = undefined;
  try {
    return crossTabEnvironment(options, deps(token));
  } finally {
    g.process = process;
  }
}

describe('crossTabEnvironment', () => {
  it('is off without Web Locks (React Native, old browsers), in Node, without BroadcastChannel, or when turned off', () => {
    expect(envFor(undefined, 'alice')).toBeNull();
    vi.stubGlobal('navigator', { locks: new FakeLocks() });
    expect(envFor(undefined, 'alice')).not.toBeNull();
    // Node 22+ has both APIs, but no tabs.
    expect(crossTabEnvironment(undefined, deps('alice'))).toBeNull();
    expect(envFor(false, 'alice')).toBeNull();
    vi.stubGlobal('BroadcastChannel', undefined);
    expect(envFor(undefined, 'alice')).toBeNull();
  });

  it('names a task per subject: two users never share; the credentials never appear in the name', async () => {
    vi.stubGlobal('navigator', { locks: new FakeLocks() });
    const alice = await envFor(undefined, 'alice-token')?.name('t1');
    const bob = await envFor(undefined, 'bob-token')?.name('t1');
    expect(alice).toMatch(/^taskbridge:tabs:1:[\d.]+:taskbridge:http%3A%2F%2Fapi\.test:t1$/);
    expect(bob).not.toBe(alice);
    expect(await envFor(undefined, 'alice-token')?.name('t1')).toBe(alice);
    expect(alice).not.toContain('alice');
    // With an explicit subject, a refreshed token keeps sharing.
    const before = await envFor({ subject: 'u1' }, 'token-1')?.name('t1');
    expect(await envFor({ subject: 'u1' }, 'token-2')?.name('t1')).toBe(before);
    expect(await envFor({ subject: 'u2' }, 'token-1')?.name('t1')).not.toBe(before);
  });

  it('has documented defaults', () => {
    vi.stubGlobal('navigator', { locks: new FakeLocks() });
    const env = envFor(undefined, 'a');
    expect([env?.heartbeatMs, env?.leaderTimeoutMs, env?.replayLimit]).toEqual([1_000, 5_000, 1_000]);
  });
});
