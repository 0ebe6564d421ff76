import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractiveSummary, proseBlocks, splitSentences, tokenize } from './summarize';

const readRepoFile = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

/** A sentence a reader would accept in a summary: words, not code, and a whole sentence. */
function expectProse(sentence: string): void {
  expect(sentence, sentence).toMatch(/^["'(]?[\p{Lu}\p{N}]/u);
  expect(sentence, sentence).toMatch(/[.!?]["')]*$/);
  expect(sentence.split(/\s+/).length, sentence).toBeGreaterThanOrEqual(6);
  expect(sentence, sentence).not.toMatch(/```|=>|\(\)\s*;|[{}|]|<!--/);
}

const normalized = (text: string) => text.replace(/\s+/g, ' ');

describe('summarize', () => {
  const text =
    'Rivers carry water to the sea. Rivers also carry sediment and sediment builds deltas. ' +
    'Cats sleep a lot. Deltas form where rivers meet the sea and drop their sediment. The weather was fine.';

  it('splits sentences and keeps punctuation', () => {
    expect(splitSentences('One. Two! Three?')).toEqual(['One.', 'Two!', 'Three?']);
  });

  it('never splits at the dot of a file name, a call, a version or an abbreviation', () => {
    expect(
      splitSentences(
        'Run npm test, then read protocol/SPEC.md and README.md for v1.2 details. Call server.close() on exit, ' +
          'e.g. on SIGTERM. It stops.',
      ),
    ).toEqual([
      'Run npm test, then read protocol/SPEC.md and README.md for v1.2 details.',
      'Call server.close() on exit, e.g. on SIGTERM.',
      'It stops.',
    ]);
  });

  it('reads Markdown as prose: code, tables and headings dropped, links and emphasis reduced to text', () => {
    const markdown = [
      '# Title',
      '',
      'The **client** streams [events](https://example.test) to `useTask`.',
      '',
      '```ts',
      'await server.close(); if (task.done) return;',
      '```',
      '',
      '| option | default |',
      '|--------|---------|',
      '- First item of a list',
      '- Second item.',
    ].join('\n');
    expect(proseBlocks(markdown)).toEqual([
      'The client streams events to useTask.',
      'First item of a list',
      'Second item.',
    ]);
  });

  it('picks the most representative sentences in their original order', () => {
    const { summary, stats } = extractiveSummary(text, 2);
    expect(stats.sentences).toBe(5);
    expect(stats.summarySentences).toBe(2);
    expect(summary).toContain('sediment');
    expect(summary).not.toContain('Cats');
    expect(text.indexOf(splitSentences(summary)[0]!)).toBeLessThan(text.indexOf(splitSentences(summary)[1]!));
  });

  it("summarizes this repository's README in whole prose sentences (no code, no fragments)", () => {
    const readme = readRepoFile('README.md');
    const { summary, stats } = extractiveSummary(readme);
    const sentences = splitSentences(summary);
    expect(stats.summarySentences).toBeGreaterThanOrEqual(3);
    expect(sentences).toHaveLength(stats.summarySentences);
    for (const sentence of sentences) expectProse(sentence);
    expect(summary).toMatch(/\btasks?\b/);
  });

  it('summarizes the e2e fixture in sentences taken whole from it', () => {
    const fixture = readRepoFile('test/e2e/fixtures/declaration.txt');
    const { summary, stats } = extractiveSummary(fixture);
    expect(stats.summarySentences).toBeGreaterThanOrEqual(3);
    for (const sentence of splitSentences(summary)) {
      expectProse(sentence);
      expect(normalized(fixture)).toContain(sentence);
    }
  });

  it('tokens concatenate back to the summary', () => {
    const { summary } = extractiveSummary(text);
    expect(tokenize(summary).join('')).toBe(summary);
  });
});
