/**
 * How the CLI draws a streaming task. On a terminal: a cli-progress bar (progress %, stage, transport)
 * with the line being streamed under it, finished lines scrolling above. Piped: tokens go straight to
 * stdout and stage changes to stderr, so `> summary.txt` captures just the text.
 */
import cliProgress from 'cli-progress';

/** What the CLI tells the view. */
export interface TerminalView {
  /** One streamed token (a word and its trailing space). */
  token(text: string): void;
  /** Progress 0–100 and stage. */
  progress(percent: number, stage: string): void;
  /** The transport now delivering (or `null` between attempts). */
  transport(name: string | null): void;
  /** A note for the user (e.g. "cancelling…"). */
  note(text: string): void;
  /** Flushes the last line and removes the bar. */
  stop(): void;
}

function pipedView(): TerminalView {
  let lastStage = '';
  return {
    token: (text) => void process.stdout.write(text),
    progress(percent, stage) {
      if (stage !== lastStage) process.stderr.write(`[${percent}% ${stage}]\n`);
      lastStage = stage;
    },
    transport: () => undefined,
    note: (text) => void process.stderr.write(`${text}\n`),
    stop: () => void process.stdout.write('\n'),
  };
}

function ttyView(width: number): TerminalView {
  const bars = new cliProgress.MultiBar(
    { clearOnComplete: true, hideCursor: true, stream: process.stdout, autopadding: true },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(
    100,
    0,
    { stage: 'starting', transport: '…' },
    {
      format: '{bar} {percentage}% | {stage} | via {transport}',
    },
  );
  const current = bars.create(1, 0, { line: '' }, { format: '{line}' });
  let line = '';
  const lineWidth = Math.max(20, Math.min(100, width - 2));
  return {
    token(text) {
      if (line.length + text.trimEnd().length > lineWidth) {
        bars.log(`${line.trimEnd()}\n`);
        line = '';
      }
      line += text;
      current.update(0, { line });
    },
    progress: (percent, stage) => bar.update(percent, { stage }),
    transport: (name) => bar.update({ transport: name ?? '…' }),
    note: (text) => bars.log(`${text}\n`),
    stop() {
      bars.stop();
      if (line.trim() !== '') process.stdout.write(`${line.trimEnd()}\n`);
    },
  };
}

/** A TTY view when stdout is a terminal, else a plain one. */
export function createTerminalView(): TerminalView {
  return process.stdout.isTTY ? ttyView(process.stdout.columns || 80) : pipedView();
}
