/**
 * The page: a start form, or the current run. The run lives in `sessionStorage` (see run-store.ts), so
 * a reload lands back on it mid-stream.
 */
import { useState } from 'react';
import { forcedTransport } from './config';
import { loadRun, type Run, saveRun } from './run-store';
import { StartForm } from './StartForm';
import { TaskPanel } from './TaskPanel';

// `?task=<id>` follows a task another tab started (the panel's "open in another tab" link): with
// several tabs on one task, one of them streams it and the others receive its events.
function initialRun(): Run | null {
  const taskId = new URLSearchParams(location.search).get('task');
  if (taskId === null) return loadRun();
  return { resumeKey: `task:${taskId}`, taskType: 'summarize', input: {}, fileName: null, taskId };
}

export function App() {
  const [run, setRun] = useState<Run | null>(initialRun);
  // The uploaded file exists only in this page load; after a reload the run follows its task id.
  const [files, setFiles] = useState<File[]>([]);

  const start = (next: Run, nextFiles: File[]) => {
    saveRun(next);
    setFiles(nextFiles);
    setRun(next);
  };
  const reset = () => {
    saveRun(null);
    setFiles([]);
    setRun(null);
  };

  return (
    <main>
      <header>
        <h1>TaskBridge demo</h1>
        <TransportSwitch />
      </header>
      {run === null ? (
        <StartForm onStart={start} />
      ) : (
        <TaskPanel key={run.resumeKey} run={run} files={files} onReset={reset} />
      )}
      <footer>
        Same SDK without React: <a href="/vanilla/">vanilla page</a>.
      </footer>
    </main>
  );
}

// Forcing a transport recreates the client, simplest done by reloading with `?transport=`: the run
// resumes from its checkpoint on the new transport.
function TransportSwitch() {
  const onChange = (value: string) => {
    const params = new URLSearchParams(location.search);
    if (value === 'auto') params.delete('transport');
    else params.set('transport', value);
    location.search = params.toString();
  };
  return (
    <label className="switch">
      Transport
      <select
        data-testid="force-transport"
        value={forcedTransport() ?? 'auto'}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="auto">auto (WebSocket → SSE → polling)</option>
        <option value="websocket">WebSocket only</option>
        <option value="sse">SSE only</option>
        <option value="polling">long polling only</option>
      </select>
    </label>
  );
}
