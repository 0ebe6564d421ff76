/**
 * Starts `summarize` on pasted text or an uploaded file, the same summary through the A2A bridge
 * (`a2a-summarize`: a task type backed by a remote A2A agent), or the `approval` task.
 */
import { type FormEvent, useState } from 'react';
import type { Run } from './run-store';

const SAMPLE =
  'Paste any text here. The reference server picks its most representative sentences and streams ' +
  'them back word by word, the way a language model streams its answer.';

export function StartForm({ onStart }: { onStart: (run: Run, files: File[]) => void }) {
  const [text, setText] = useState(SAMPLE);
  const [file, setFile] = useState<File | null>(null);
  const resumeKey = () => `demo:${crypto.randomUUID()}`;

  const summarize = (event: FormEvent) => {
    event.preventDefault();
    const input = file ? {} : { text };
    onStart(
      { resumeKey: resumeKey(), taskType: 'summarize', input, fileName: file?.name ?? null, taskId: null },
      file ? [file] : [],
    );
  };
  // The server runs `summarize` as a remote A2A agent; this page follows it like any task.
  const viaA2A = () =>
    onStart(
      { resumeKey: resumeKey(), taskType: 'a2a-summarize', input: { text }, fileName: null, taskId: null },
      [],
    );
  const approval = () =>
    onStart(
      {
        resumeKey: resumeKey(),
        taskType: 'approval',
        input: { question: 'Publish the summary to the team?' },
        fileName: null,
        taskId: null,
      },
      [],
    );

  return (
    <form className="card" onSubmit={summarize}>
      <label htmlFor="text">Text to summarize</label>
      <textarea
        id="text"
        data-testid="text-input"
        rows={8}
        value={text}
        disabled={file !== null}
        onChange={(e) => setText(e.target.value)}
      />
      <label>
        …or a text file{' '}
        <input
          type="file"
          accept="text/*"
          data-testid="file-input"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </label>
      <div className="actions">
        <button type="submit" data-testid="start-summarize" disabled={!file && text.trim() === ''}>
          Summarize
        </button>
        <button
          type="button"
          data-testid="start-a2a-summarize"
          disabled={file !== null || text.trim() === ''}
          title="The server calls its own A2A agent; the page follows it with resume and fallback"
          onClick={viaA2A}
        >
          Summarize via A2A
        </button>
        <button type="button" data-testid="start-approval" onClick={approval}>
          Ask for approval
        </button>
      </div>
    </form>
  );
}
