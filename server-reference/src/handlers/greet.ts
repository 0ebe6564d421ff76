import type { TaskHandler } from '../engine/types';

/** TaskBridge's minimal greeter: input `{name?}` (default `'world'`) → a message, then `{greeting}`. */
export const greet: TaskHandler = async (ctx) => {
  const name = typeof ctx.input.name === 'string' && ctx.input.name.trim() ? ctx.input.name.trim() : 'world';
  const greeting = `Hello, ${name}!`;
  await ctx.progress(50, { stage: 'greeting' });
  await ctx.message(greeting);
  return { greeting };
};
