import type { TaskBridgeClient } from '@taskbridge/client';
import { TaskBridgeProvider } from '@taskbridge/react';
import type { ReactNode } from 'react';

/** The app's root: one TaskBridge client for the whole tree. */
export function App({ client, children }: { client: TaskBridgeClient; children: ReactNode }) {
  return <TaskBridgeProvider client={client}>{children}</TaskBridgeProvider>;
}
