/**
 * Bundle size: our client (whole, as typically imported, one transport), the React binding on top,
 * and the SDKs users would pick instead, measured in the same run with the same esbuild settings.
 * Targets: full client ≤ 36 KiB min+gzip (`npm test` holds it to its budget meanwhile); React binding
 * ≤ 2 KiB on top (also checked by `npm test`).
 */
import {
  type BundleEntry,
  type BundleSize,
  CLIENT_BUDGET_BYTES,
  CLIENT_TARGET_BYTES,
  dependencyCosts,
  describeContributors,
  ENTRIES,
  measureBundle,
  REACT_BUDGET_BYTES,
} from './bundle';
import type { BenchConfig } from './config';
import { type BenchReport, fmtKiB, fmtRatio, table } from './stats';

/** Runs the bundle-size benchmark. */
export async function runBundleSize(_config: BenchConfig): Promise<BenchReport> {
  const notes: string[] = [];
  const sizes = new Map<string, BundleSize>();
  for (const [key, entry] of Object.entries(ENTRIES) as [string, BundleEntry][]) {
    try {
      sizes.set(key, await measureBundle(entry));
    } catch (error) {
      notes.push(`bundle ${entry.label} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const full = sizes.get('fullClient');
  const withReact = sizes.get('clientAndReact');
  const reactOnTop = full && withReact ? withReact.gzip - full.gzip : Number.NaN;
  const rows = [['bundle', 'minified', 'min + gzip', 'vs full client']];
  for (const size of sizes.values()) {
    rows.push([
      size.label,
      fmtKiB(size.minified),
      fmtKiB(size.gzip),
      full ? fmtRatio(size.gzip / full.gzip) : '',
    ]);
  }
  rows.push(['ours: React binding on top of the full client', '', fmtKiB(reactOnTop), '']);
  if (full) {
    const costs = await dependencyCosts(full);
    const dependencies = costs.reduce((sum, [, bytes]) => sum + bytes, 0);
    const costRows = [['removed from the full client', 'min + gzip saved']];
    for (const [name, bytes] of costs) costRows.push([name, fmtKiB(bytes)]);
    costRows.push(['(the rest: our own code and the protocol runtime)', fmtKiB(full.gzip - dependencies)]);
    notes.push(
      table(`What the full client owes each dependency (${fmtKiB(full.gzip)} in all)`, costRows),
      `Largest contributors to the full client (minified, before gzip):\n${describeContributors(full, 12)}`,
    );
  }
  return {
    name: 'bundle-size',
    tables: [table('Bundle size (esbuild 0.28, browser ESM, minified; gzip -9)', rows)],
    targets: [
      {
        benchmark: 'bundle-size',
        claim: `full client ≤ ${CLIENT_TARGET_BYTES / 1024} KiB min+gzip`,
        measured: full ? fmtKiB(full.gzip) : 'n/a',
        met: !!full && full.gzip <= CLIENT_TARGET_BYTES,
      },
      {
        benchmark: 'bundle-size',
        claim: `full client ≤ ${CLIENT_BUDGET_BYTES / 1024} KiB min+gzip (the npm test budget)`,
        measured: full ? fmtKiB(full.gzip) : 'n/a',
        met: !!full && full.gzip <= CLIENT_BUDGET_BYTES,
      },
      {
        benchmark: 'bundle-size',
        claim: 'React binding ≤ 2 KiB min+gzip on top',
        measured: fmtKiB(reactOnTop),
        met: reactOnTop <= REACT_BUDGET_BYTES,
      },
    ],
    notes,
  };
}
