import { describe, expect, it } from 'vitest';
import { extractiveSummary, splitSentences, tokenize } from './summarize';

describe('summarize', () => {
  const text =
    'Rivers carry water to the sea. Rivers also carry sediment and sediment builds deltas. ' +
    'Cats sleep a lot. Deltas form where rivers meet the sea and drop their sediment. The weather was fine.';

  it('splits sentences and keeps punctuation', () => {
    expect(splitSentences('One. Two! Three?')).toEqual(['One.', 'Two!', 'Three?']);
  });

  it('picks the most representative sentences in their original order', () => {
    const { summary, stats } = extractiveSummary(text, 2);
    expect(stats.sentences).toBe(5);
    expect(stats.summarySentences).toBe(2);
    expect(summary).toContain('sediment');
    expect(summary).not.toContain('Cats');
    expect(text.indexOf(splitSentences(summary)[0]!)).toBeLessThan(text.indexOf(splitSentences(summary)[1]!));
  });

  it('tokens concatenate back to the summary', () => {
    const { summary } = extractiveSummary(text);
    expect(tokenize(summary).join('')).toBe(summary);
  });
});
