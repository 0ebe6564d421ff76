/**
 * The README's code samples that the packaging test runs verbatim in an app outside the repository.
 * A sample is marked by an HTML comment on the line before its fence (invisible on GitHub):
 *
 *     <!-- snippet: msw-vitest -->
 *     ```ts
 *     …
 *     ```
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './workspace';

const MARKED_BLOCK = /<!-- snippet: ([\w-]+) -->\n```(\w*)\n([\s\S]*?)\n```/g;

/** A marked sample. */
export interface Snippet {
  code: string;
  /** The fence's language, e.g. `ts` or `tsx`. */
  lang: string;
}

/** Every marked sample of `file` (default the root README.md), by name. */
export function readmeSnippets(file = join(REPO_ROOT, 'README.md')): Map<string, Snippet> {
  const snippets = new Map<string, Snippet>();
  for (const [, name, lang, code] of readFileSync(file, 'utf8').matchAll(MARKED_BLOCK)) {
    if (name === undefined || code === undefined) continue;
    if (snippets.has(name)) throw new Error(`${file}: sample "${name}" is marked twice`);
    snippets.set(name, { code: `${code}\n`, lang: lang ?? '' });
  }
  return snippets;
}

/**
 * One marked sample.
 *
 * @throws {Error} when the README has no sample of that name (it was renamed or its marker dropped).
 */
export function readmeSnippet(name: string, snippets: Map<string, Snippet> = readmeSnippets()): string {
  const snippet = snippets.get(name);
  if (snippet === undefined) throw new Error(`README.md has no sample marked <!-- snippet: ${name} -->`);
  return snippet.code;
}
