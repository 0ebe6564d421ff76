/**
 * README code blocks that are excerpts of a tested file: `<!-- excerpt: path -->` on the line before the
 * fence (invisible on GitHub). A line `// …` in an excerpt skips lines of the source; excerpts may be
 * dedented, so lines are compared without their indentation.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXCERPT = /<!-- excerpt: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g;
const ELISION = /^\s*\/\/ …\n/m;

/** One excerpt that is not (any more) in its file. */
export interface StaleExcerpt {
  file: string;
  part: string;
}

function withoutIndentation(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}

/**
 * Checks the README's excerpts of files under `folder` (e.g. `examples/angular/`) against those files.
 *
 * @returns how many excerpts there are, and the parts that are not found, in order, in their files.
 */
export async function checkReadmeExcerpts(folder: string): Promise<{ count: number; stale: StaleExcerpt[] }> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const stale: StaleExcerpt[] = [];
  let count = 0;
  for (const [, file, code] of readme.matchAll(EXCERPT)) {
    if (file === undefined || code === undefined || !file.startsWith(folder)) continue;
    count += 1;
    const source = withoutIndentation(await readFile(join(REPO_ROOT, file), 'utf8'));
    let from = 0;
    for (const part of code.split(ELISION)) {
      const at = source.indexOf(withoutIndentation(part), from);
      if (at < 0) stale.push({ file, part });
      else from = at + 1;
    }
  }
  return { count, stale };
}
