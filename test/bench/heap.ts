/**
 * Where memory goes: self size per constructor from a V8 heap snapshot, and the difference between two
 * snapshots, so a per-task or per-subscription cost comes with the objects that make it up.
 */
import { getHeapSnapshot } from 'node:v8';

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self bytes and object count per group (`Constructor`, `(closure)`, `(string)`, `(array)`...). */
export type HeapCensus = Map<string, { bytes: number; count: number }>;

/** Takes a heap snapshot of this process and counts self size per constructor. */
export async function heapCensus(): Promise<HeapCensus> {
  const chunks: string[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(String(chunk));
  const snapshot = JSON.parse(chunks.join('')) as SnapshotJson;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const census: HeapCensus = new Map();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt] as number] ?? '?';
    const name = strings[nodes[i + nameAt] as number] ?? '?';
    // Strings and numbers are named by their value; other internals by what holds them.
    const key =
      type === 'object' || type === 'native'
        ? name
        : type === 'array' || type === 'hidden' || type === 'code'
          ? `(${type}) ${name.slice(0, 40)}`
          : `(${type})`;
    const entry = census.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += nodes[i + sizeAt] as number;
    entry.count += 1;
    census.set(key, entry);
  }
  return census;
}

/** The groups that grew most from `before` to `after`, per `per` units (e.g. per task). */
export function censusGrowth(before: HeapCensus, after: HeapCensus, per: number, top = 15): string[][] {
  const rows: [string, number, number][] = [];
  for (const [key, now] of after) {
    const was = before.get(key) ?? { bytes: 0, count: 0 };
    rows.push([key, (now.bytes - was.bytes) / per, (now.count - was.count) / per]);
  }
  return rows
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, bytes, count]) => [key, (bytes / 1024).toFixed(2), count.toFixed(1)]);
}
