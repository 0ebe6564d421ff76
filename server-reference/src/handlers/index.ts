import type { TaskHandler } from '../engine/types';
import { approval } from './approval';
import { fail } from './fail';
import { greet } from './greet';
import { createSummarizeHandler } from './summarize';
import { ticker } from './ticker';

export { approval } from './approval';
export { fail } from './fail';
export { greet } from './greet';
export type { SummarizeOptions, SummaryStats } from './summarize';
export { createSummarizeHandler, extractiveSummary, splitSentences, tokenize } from './summarize';
export type { TickerOptions } from './ticker';
export { createTickerHandler, ticker } from './ticker';

/** The demo handlers by `taskType`: `greet`, `summarize` (default options), `approval`, `fail`, `ticker`. */
export const demoHandlers: Record<string, TaskHandler> = {
  greet,
  summarize: createSummarizeHandler(),
  approval,
  fail,
  ticker,
};
