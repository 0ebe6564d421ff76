/**
 * `summarize`: a real extractive summary of text (input `text`, or an uploaded text file), streamed
 * token by token as `TASK_MESSAGE` events, with progress while reading.
 */
import type { TaskHandler } from '../engine/types';

/** Statistics returned with the summary. */
export interface SummaryStats {
  /** Length of the source text, UTF-16 code units. */
  characters: number;
  /** Words in the source text. */
  words: number;
  /** Sentences in the source text. */
  sentences: number;
  /** Sentences kept in the summary. */
  summarySentences: number;
}

const STOP_WORDS = new Set(
  'a an and are as at be but by for from has have he her his i in is it its of on or our she that the their them they this to was we were which will with you your not no so if then than there these those been being into over also can could would should may might do does did'.split(
    ' ',
  ),
);

/**
 * The prose of a text, one string per paragraph or list item, whitespace collapsed. Markdown is read as
 * Markdown: fenced code, tables, headings, rules, HTML comments and tag-only lines are dropped; images
 * are removed; links, emphasis and inline code are reduced to their text. Plain text passes through
 * (paragraphs are split at blank lines).
 */
export function proseBlocks(text: string): string[] {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .replace(/<!--[\s\S]*?-->/g, '')
    .split('\n');
  const blocks: string[] = [];
  let current: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    if (current.length > 0) blocks.push(current.join(' '));
    current = [];
  };
  for (const raw of lines) {
    const line = raw.trim();
    if (fence !== null) {
      if (line.startsWith(fence)) fence = null;
      continue;
    }
    const opening = /^(```|~~~)/.exec(line)?.[1];
    if (opening !== undefined) {
      flush();
      fence = opening;
      continue;
    }
    if (
      line === '' ||
      /^#{1,6}\s/.test(line) ||
      line.startsWith('|') ||
      /^([-*_])\1{2,}$/.test(line) ||
      /^<\/?[a-z][^>]*>$/i.test(line)
    ) {
      flush();
      continue;
    }
    const item = /^(?:[-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      current.push(item[1] as string);
    } else current.push(line);
  }
  flush();
  return blocks.map(plainInline).filter((block) => /\p{L}/u.test(block));
}

function plainInline(markdown: string): string {
  return markdown
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Words that end with a dot without ending a sentence. */
const ABBREVIATION = /(?:^|[\s(])(?:e\.g|i\.e|etc|vs|cf|approx|Mr|Mrs|Ms|Dr|St|No|Fig)\.$/i;

/**
 * Splits text into sentences (keeping their punctuation). A sentence ends at `.`, `!` or `?` (and any
 * closing quotes or brackets) followed by whitespace and a capital letter, a digit or an opening quote
 * — never at the dot of a file name (`README.md`), a version (`v1.2`), a call (`server.close()`) or a
 * known abbreviation (`e.g.`). Paragraphs and list items always end a sentence (see {@link proseBlocks}).
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const block of proseBlocks(text)) {
    let start = 0;
    for (const match of block.matchAll(/[.!?]+["')\]]*(?=\s+["'([]?[\p{Lu}\p{N}])/gu)) {
      const end = (match.index ?? 0) + match[0].length;
      const candidate = block.slice(start, end);
      if (ABBREVIATION.test(candidate)) continue;
      sentences.push(candidate.trim());
      start = end;
    }
    const rest = block.slice(start).trim();
    if (rest.length > 0) sentences.push(rest);
  }
  return sentences;
}

const wordsOf = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];

/**
 * A sentence worth quoting: 6 to 60 words, mostly words rather than code or symbols, starting like a
 * sentence and ending with `.`, `!` or `?` (not an introduction to a list or a code sample).
 */
function isProse(sentence: string): boolean {
  const words = wordsOf(sentence).length;
  const tokens = sentence.split(/\s+/).length;
  return (
    words >= 6 &&
    words <= 60 &&
    words / tokens >= 0.7 &&
    /^["'([]?[\p{Lu}\p{N}]/u.test(sentence) &&
    /[.!?]["')\]]*$/.test(sentence)
  );
}

/**
 * Picks the most representative sentences, in their original order: each prose sentence is scored by
 * the mean frequency of its content words (stop words ignored) across the text, with a lead bonus (an
 * opening sentence tends to say what the text is about). Code, tables, headings and fragments are never
 * picked (see {@link proseBlocks}). `maxSentences` default: about a fifth of the sentences, 1 to 5.
 */
export function extractiveSummary(
  text: string,
  maxSentences?: number,
): { summary: string; stats: SummaryStats } {
  const sentences = splitSentences(text);
  const words = wordsOf(text);
  const frequency = new Map<string, number>();
  for (const word of words) if (!STOP_WORDS.has(word)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const limit = maxSentences ?? Math.min(5, Math.max(1, Math.round(sentences.length / 5)));
  const prose = sentences.map((sentence, index) => ({ sentence, index })).filter((s) => isProse(s.sentence));
  const candidates = prose.length > 0 ? prose : sentences.map((sentence, index) => ({ sentence, index }));
  const scored = candidates.map(({ sentence, index }) => {
    const ws = wordsOf(sentence).filter((w) => !STOP_WORDS.has(w));
    const mean = ws.reduce((sum, w) => sum + (frequency.get(w) ?? 0), 0) / Math.max(1, ws.length);
    return { sentence, index, score: mean * (1 + 1 / (1 + index)) };
  });
  const chosen = [...scored]
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, limit)
    .sort((a, b) => a.index - b.index);
  const summary = chosen.map((c) => c.sentence).join(' ');
  return {
    summary,
    stats: {
      characters: text.length,
      words: words.length,
      sentences: sentences.length,
      summarySentences: chosen.length,
    },
  };
}

/** Splits a summary into the tokens streamed to clients: words with their trailing space. */
export function tokenize(summary: string): string[] {
  return summary.match(/\S+\s*/g) ?? [];
}

/** Options of {@link createSummarizeHandler}. */
export interface SummarizeOptions {
  /** Pause between streamed tokens, ms. Default 40 (reads like a model streaming). */
  tokenDelayMs?: number;
  /** Bytes read per progress step. Default 2048. */
  chunkBytes?: number;
}

/**
 * Creates the `summarize` handler. Input: `{ text?: string, tokenDelayMs?: number, maxSentences?: number }`
 * (the first attachment, if any, is read instead of `text`; `tokenDelayMs` overrides the option). Result:
 * `{ summary, stats: SummaryStats, filename? }`. With nothing to read, the task fails with
 * `TASK_EXECUTION_FAILED` (hazard H6: the engine writes the `TASK_FAILED`).
 */
export function createSummarizeHandler(options: SummarizeOptions = {}): TaskHandler {
  const chunkBytes = options.chunkBytes ?? 2048;
  return async (ctx) => {
    const delay =
      typeof ctx.input.tokenDelayMs === 'number'
        ? Math.max(0, ctx.input.tokenDelayMs)
        : (options.tokenDelayMs ?? 40);
    const file = ctx.attachments[0];
    const source = file
      ? file.data
      : new TextEncoder().encode(typeof ctx.input.text === 'string' ? ctx.input.text : '');
    if (source.byteLength === 0)
      throw new Error('nothing to summarize: send input.text or a text attachment');
    const decoder = new TextDecoder();
    let text = '';
    for (let offset = 0; offset < source.byteLength; offset += chunkBytes) {
      text += decoder.decode(source.subarray(offset, offset + chunkBytes), { stream: true });
      const read = Math.min(source.byteLength, offset + chunkBytes);
      await ctx.progress(Math.round((read / source.byteLength) * 40), { stage: 'reading' });
    }
    text += decoder.decode();
    const maxSentences = typeof ctx.input.maxSentences === 'number' ? ctx.input.maxSentences : undefined;
    const { summary, stats } = extractiveSummary(text, maxSentences);
    await ctx.progress(50, { stage: 'summarizing' });
    const tokens = tokenize(summary);
    for (const [i, token] of tokens.entries()) {
      if (delay > 0) await ctx.sleep(delay);
      await ctx.message(token);
      if (i % 10 === 9)
        await ctx.progress(50 + Math.round(((i + 1) / tokens.length) * 50), { stage: 'streaming' });
    }
    await ctx.progress(100, { stage: 'done' });
    return { summary, stats, ...(file ? { filename: file.filename } : {}) };
  };
}
