/**
 * Reads V8 `.cpuprofile` files (written by the `profile-stop` command of a benchmark process) and says where the time went: self time per
 * function and per module group (our packages by file, dependencies by package, Node internals, GC),
 * so a missed target comes with the evidence of what to change.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BenchProcess } from './processes';
import { table } from './stats';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function isCpuProfile(value: unknown): value is CpuProfile {
  const v = value as Partial<CpuProfile> | null;
  return !!v && Array.isArray(v.nodes) && Array.isArray(v.samples) && Array.isArray(v.timeDeltas);
}

// Where a frame's code lives: a file of ours, a dependency, Node itself, or the engine.
function groupOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
  }
  return relative(process.cwd(), path);
}

/** Self time (ms) by function and by group for one profile. */
export function summarizeProfile(file: string): {
  total: number;
  byFunction: Map<string, number>;
  byGroup: Map<string, number>;
} {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a CPU profile`);
  const nodes = new Map(parsed.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  let total = 0;
  parsed.samples.forEach((id, i) => {
    const ms = (parsed.timeDeltas[i] ?? 0) / 1000;
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    total += ms;
    const group = groupOf(frame.url, frame.functionName);
    const name = `${frame.functionName || '(anonymous)'} ${group}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byGroup.set(group, (byGroup.get(group) ?? 0) + ms);
  });
  return { total, byFunction, byGroup };
}

function top(map: Map<string, number>, busy: number, n: number): string[][] {
  return [...map.entries()]
    .filter(([name]) => !name.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => [name, ms.toFixed(0), `${((100 * ms) / busy).toFixed(1)}%`]);
}

/**
 * Printable summaries (top modules and functions by self time, shares of busy time) of every
 * `.cpuprofile` in `dir`.
 */
export function describeProfiles(dir: string, topN = 15): string[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const file of files.sort()) {
    const summary = summarizeProfile(join(dir, file));
    const busy = summary.total - (summary.byGroup.get('(idle)') ?? 0);
    out.push(
      table(`CPU profile of ${file} (${busy.toFixed(0)} ms busy): self time by module`, [
        ['module', 'ms', 'share'],
        ...top(summary.byGroup, busy, topN),
      ]),
      table(`CPU profile of ${file}: self time by function`, [
        ['function', 'ms', 'share'],
        ...top(summary.byFunction, busy, topN),
      ]),
    );
  }
  return out;
}

/** Starts profiling in each process (the measured part only). */
export async function startProfiles(processes: readonly BenchProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.call('profile-start')));
}

/** Stops profiling and writes `<dir>/<process name>.cpuprofile` for each process. */
export async function stopProfiles(processes: readonly BenchProcess[], dir: string): Promise<void> {
  await Promise.all(
    processes.map((p) =>
      p.call('profile-stop', { file: join(dir, `${p.name.replace(/[^\w.-]+/g, '-')}.cpuprofile`) }),
    ),
  );
}
