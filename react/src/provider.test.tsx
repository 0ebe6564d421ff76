// @vitest-environment happy-dom
import { createMemoryCheckpointStore, createTaskBridgeClient, TaskBridgeError } from '@taskbridge/client';
import { cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TaskBridgeProvider, useTaskBridgeClient } from './provider';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('TaskBridgeProvider', () => {
  it('gives hooks its client', () => {
    const client = createTaskBridgeClient({
      baseUrl: 'http://127.0.0.1:9',
      checkpointStore: createMemoryCheckpointStore(),
      environment: null,
    });
    const wrapper = ({ children }: { children?: ReactNode }) => (
      <TaskBridgeProvider client={client}>{children}</TaskBridgeProvider>
    );
    const { result } = renderHook(() => useTaskBridgeClient(), { wrapper });
    expect(result.current).toBe(client);
    client.close();
  });

  it('throws a TaskBridgeError naming the missing provider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let thrown: unknown;
    try {
      renderHook(() => useTaskBridgeClient());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TaskBridgeError);
    expect(thrown).toMatchObject({
      code: 'USAGE_ERROR',
      status: undefined,
      message: expect.stringMatching(/TaskBridgeProvider/),
    });
  });
});
