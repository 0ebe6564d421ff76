/**
 * The live connection: transport, status and retries now, plus every transport the stream went live on
 * (from the client's diagnostics), so a fallback such as `websocket → polling` stays visible.
 */
import type { ConnectionState } from '@taskbridge/client';
import { useTaskBridgeClient } from '@taskbridge/react';
import { useEffect, useState } from 'react';

function useTransportPath(taskId: string | null): string[] {
  const client = useTaskBridgeClient();
  const [path, setPath] = useState<string[]>([]);
  useEffect(() => {
    if (taskId === null) return;
    const subscription = client.diagnostics$.subscribe((d) => {
      if (!('taskId' in d) || d.taskId !== taskId) return;
      if (d.type === 'transport-selected') setPath((p) => [...p, d.transport]);
      else if (d.type === 'fallback' || d.type === 'climb-back') setPath((p) => [...p, d.to]);
    });
    return () => subscription.unsubscribe();
  }, [client, taskId]);
  return path;
}

export function ConnectionBadge({
  taskId,
  connection,
}: {
  taskId: string | null;
  connection: ConnectionState;
}) {
  const path = useTransportPath(taskId);
  const transport = connection.transport ?? path.at(-1) ?? 'none';
  return (
    <div
      className={`badge ${connection.status}`}
      data-testid="connection-badge"
      data-transport={transport}
      data-status={connection.status}
      data-attempt={connection.attempt}
    >
      <span className="dot" aria-hidden="true" />
      <strong>{transport}</strong>
      <span>{connection.status}</span>
      <span>retries {connection.attempt}</span>
      {connection.degraded && <span>degraded</span>}
      <span className="path">
        path: <span data-testid="transport-path">{path.join(' → ')}</span>
      </span>
      {connection.error && <span className="error">{connection.error.code}</span>}
    </div>
  );
}
