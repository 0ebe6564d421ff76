/**
 * Makes one {@link TaskBridgeClient} available to the hooks below a React tree.
 */
import { type TaskBridgeClient, TaskBridgeError } from '@taskbridge/client';
import { createContext, type ReactNode, useContext } from 'react';

const ClientContext = createContext<TaskBridgeClient | null>(null);

/** Props of {@link TaskBridgeProvider}. */
export interface TaskBridgeProviderProps {
  /**
   * The client every hook below uses. Create it once (module scope or `useState`), not per render: the
   * client owns the shared streams, and a new client means new connections.
   */
  client: TaskBridgeClient;
  /** The tree whose hooks use `client`. Default: none. */
  children?: ReactNode;
}

/**
 * Provides a TaskBridge client to `useTask`, `useTaskSelector`, `useTaskEvents` and
 * `useTaskBridgeClient`. It does not close the client on unmount: whoever created it owns it.
 *
 * @example
 * const client = createTaskBridgeClient({ baseUrl: '/taskbridge' });
 * root.render(<TaskBridgeProvider client={client}><App /></TaskBridgeProvider>);
 */
export function TaskBridgeProvider({ client, children }: TaskBridgeProviderProps): ReactNode {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

/**
 * The client from the nearest {@link TaskBridgeProvider}.
 *
 * @throws {TaskBridgeError} `USAGE_ERROR` when no provider is above the calling component.
 */
export function useTaskBridgeClient(): TaskBridgeClient {
  const client = useContext(ClientContext);
  if (client === null) {
    throw new TaskBridgeError({
      code: 'USAGE_ERROR',
      message: 'useTaskBridgeClient: no TaskBridgeProvider above this component; wrap the tree in one',
      retryable: false,
    });
  }
  return client;
}
