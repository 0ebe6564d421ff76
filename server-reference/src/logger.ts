/**
 * Structured logging hook. The default is silent (tests stay quiet); the CLI logs JSON lines.
 */

/** One structured log entry. */
export interface LogEntry {
  /** Severity; `jsonLineLogger` writes `error` to stderr, the rest to stdout. */
  level: 'debug' | 'info' | 'warn' | 'error';
  /** Short, stable event description. */
  msg: string;
  /** Structured fields (task id, status code, …); must be JSON-serialisable for `jsonLineLogger`. */
  [field: string]: unknown;
}

/** Receives log entries; must not throw. */
export type Logger = (entry: LogEntry) => void;

/** Discards everything. */
export const silentLogger: Logger = () => undefined;

/**
 * Writes one JSON line per entry (`{time, level, msg, …fields}`, `time` ISO-8601) to stderr (errors)
 * or stdout.
 */
export const jsonLineLogger: Logger = (entry) => {
  const line = `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`;
  (entry.level === 'error' ? process.stderr : process.stdout).write(line);
};
