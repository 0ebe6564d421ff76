/**
 * The task the page registers on the MSW kit: a few tokens, then `TASK_COMPLETED`. Shared with the
 * browser test (test/e2e/msw-worker.test.ts), which expects exactly this text.
 */
import type { ScriptStep } from '@taskbridge/server-reference/msw';

/** The task type the page starts. */
export const CHAT_TASK_TYPE = 'chat';

/** The streamed tokens, in order; the page shows them concatenated. */
export const CHAT_TOKENS: readonly string[] = ['Hello', ' from', ' the', ' MSW', ' service', ' worker', '.'];

/**
 * Pause before each token, ms: long enough that tokens arrive live, not only as a replay. The task starts
 * at create, and on a loaded machine the stream has attached ≈ 460 ms after the first token (every
 * token of a 7 × 60 ms script then came in the replay); 7 × 150 ms leaves room for that.
 */
export const TOKEN_DELAY_MS = 150;

/** One `message` step per token, then `complete` with the whole text as the result. */
export const CHAT_SCRIPT: readonly ScriptStep[] = [
  ...CHAT_TOKENS.map((message): ScriptStep => ({ type: 'message', message, delayMs: TOKEN_DELAY_MS })),
  { type: 'complete', result: { text: CHAT_TOKENS.join('') } },
];
