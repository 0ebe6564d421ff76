/**
 * The live connection: transport, status and retries now, plus every transport the stream went live on,
 * so a fallback such as `websocket → polling` stays visible. Both come from the stream's `connection$`,
 * which replays the current state to a new subscriber and then every change: a transport that went live
 * before this badge mounted (a reload, a stream another component already followed) is not missed, and
 * once the stream ends the badge keeps showing the transport that carried it last. With several tabs
 * on one task, it says whether this tab holds the stream (`leader`) or receives it from another tab
 * (`follower`, no transport of its own).
 */
import type { ConnectionState } from '@taskbridge/client';
import type { TransportName } from '@taskbridge/protocol';
import { useTaskBridgeClient } from '@taskbridge/react';
import { useEffect, useState } from 'react';

interface TransportHistory {
  /** Transports the stream went live on, in order, without repeats in a row. */
  path: TransportName[];
  /** The transport of the latest state that had one. */
  last: TransportName | null;
}

const EMPTY: TransportHistory = { path: [], last: null };

function record(history: TransportHistory, state: ConnectionState): TransportHistory {
  if (state.transport === null) return history;
  const path =
    state.status === 'live' && history.path.at(-1) !== state.transport
      ? [...history.path, state.transport]
      : history.path;
  return path === history.path && history.last === state.transport
    ? history
    : { path, last: state.transport };
}

function useTransportHistory(taskId: string | null): TransportHistory {
  const client = useTaskBridgeClient();
  const [history, setHistory] = useState(EMPTY);
  useEffect(() => {
    setHistory(EMPTY);
    if (taskId === null) return;
    const subscription = client
      .task(taskId)
      .connection$.subscribe((state) => setHistory((h) => record(h, state)));
    return () => subscription.unsubscribe();
  }, [client, taskId]);
  return history;
}

// `solo`: nothing shared (one tab, or no Web Locks / BroadcastChannel), nothing to say.
const ROLE_LABELS: Record<ConnectionState['role'], string | null> = {
  leader: 'tab: leader',
  follower: 'tab: follower',
  solo: null,
};

export function ConnectionBadge({
  taskId,
  connection,
}: {
  taskId: string | null;
  connection: ConnectionState;
}) {
  const { path, last } = useTransportHistory(taskId);
  // While connecting or live the state names the transport; once the stream ended (or is parked), the
  // one that carried it last.
  const transport = connection.transport ?? last ?? 'none';
  const role = ROLE_LABELS[connection.role];
  return (
    <div
      className={`badge ${connection.status}`}
      data-testid="connection-badge"
      data-transport={transport}
      data-status={connection.status}
      data-attempt={connection.attempt}
      data-role={connection.role}
    >
      <span className="dot" aria-hidden="true" />
      <strong>{transport}</strong>
      <span>{connection.status}</span>
      <span>retries {connection.attempt}</span>
      {role && <span data-testid="tab-role">{role}</span>}
      {connection.degraded && <span>degraded</span>}
      <span className="path">
        path: <span data-testid="transport-path">{path.join(' → ')}</span>
      </span>
      {connection.error && <span className="error">{connection.error.code}</span>}
    </div>
  );
}
