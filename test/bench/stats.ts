/**
 * Statistics and the printed output of the benchmarks: medians over runs, percentiles over samples,
 * aligned tables, and the target checks that decide whether a claim holds.
 */

/** Median of `values` (mean of the middle two for an even count; NaN values ignored; NaN when empty). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile `p` (0–100) of `values` (NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** One claim checked against its target. */
export interface TargetCheck {
  benchmark: string;
  /** What is claimed, e.g. `our WS ≥ 1.0× raw ws (1 KB)`. */
  claim: string;
  /** The measured value, formatted. */
  measured: string;
  met: boolean;
}

/** What one benchmark hands back to the orchestrator. */
export interface BenchReport {
  name: string;
  /** Printed tables (already formatted). */
  tables: string[];
  targets: TargetCheck[];
  /** Free-form lines printed under the tables (notes, profiles). */
  notes: string[];
}

/** Formats rows as an aligned text table; the first row is the header. */
export function table(title: string, rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const [header, ...body] = rows;
  const out = [title];
  if (header) {
    out.push(line(header));
    out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const row of body) out.push(line(row));
  return out.join('\n');
}

/** `12345.6` → `12,346`. */
export function fmtInt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** `value` with `digits` decimals, or `n/a`. */
export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** A signed difference, e.g. `+0.25` or `-0.50`. */
export function fmtSigned(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(digits)}` : 'n/a';
}

/** A ratio as `1.23×`. */
export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

/** Bytes as KiB with one decimal. */
export function fmtKiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : 'n/a';
}
