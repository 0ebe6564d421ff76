/**
 * The A2A side of the `taskbridge-server` CLI: serves the demo task types as an A2A agent (card at
 * `/.well-known/agent-card.json`) and registers remote A2A agents as task types. Loaded lazily, so the
 * CLI runs without the optional `@a2a-js/sdk`.
 */
import type * as A2A from './a2a/index';
import type { ServerExtension } from './extensions';
import type { TaskEngine } from './engine/task-engine';

/** Descriptions of the demo task types as A2A skills. */
const DEMO_SKILLS = {
  greet: {
    name: 'Greet',
    description: 'Greets `input.name`.',
    examples: ['{"taskType":"greet","input":{"name":"Ada"}}'],
  },
  summarize: {
    name: 'Summarize',
    description: 'Extractive summary of `input.text`, streamed token by token into the `output` artifact.',
    tags: ['text', 'streaming'],
  },
  approval: {
    name: 'Approval',
    description: 'Asks for approval (INPUT_REQUIRED); answer "approve" or "reject" on the same task.',
    tags: ['input-required'],
  },
  fail: { name: 'Fail', description: 'Always fails (to try failure handling).' },
  ticker: { name: 'Ticker', description: '`input.count` messages, `input.intervalMs` apart.' },
  'a2a-summarize': {
    name: 'Summarize over A2A',
    description:
      "Runs this server's own `summarize` through its A2A endpoint (the bridge in both directions).",
  },
} as const;

/** What the CLI needs from the bridge once the server listens. */
export interface CliA2A {
  extension: ServerExtension;
  /** Registers `a2a-summarize` (this server's A2A endpoint) and each `type=url` remote agent. */
  registerAgents(engine: TaskEngine, ownUrl: string, agents: readonly string[]): string[];
}

/**
 * Loads the bridge, or returns `undefined` (with the reason) when `@a2a-js/sdk` is not installed.
 *
 * @throws {Error} for an `--a2a-agent` value that is not `<taskType>=<http(s) url>` (from `registerAgents`).
 */
export async function loadCliA2A(): Promise<CliA2A | { unavailable: string }> {
  let a2a: typeof A2A;
  try {
    a2a = await import('./a2a/index');
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
  return {
    extension: a2a.a2aBridge({ card: { name: 'TaskBridge demo agent' }, skills: DEMO_SKILLS }),
    registerAgents(engine, ownUrl, agents) {
      // The task's owner calls its own A2A endpoint as itself (the demo auth: the bearer is the subject).
      engine.registerHandler(
        'a2a-summarize',
        a2a.a2aAgentHandler({
          url: ownUrl,
          auth: (ctx) => a2a.bearerAuth(ctx.auth.subject),
          message: (ctx) => [a2a.dataPart({ taskType: 'summarize', input: ctx.input })],
        }),
      );
      const registered = ['a2a-summarize'];
      for (const spec of agents) {
        const cut = spec.indexOf('=');
        const taskType = spec.slice(0, cut);
        const url = spec.slice(cut + 1);
        if (cut <= 0 || !/^https?:\/\//.test(url))
          throw new Error(`--a2a-agent expects <taskType>=<url>, got ${spec}`);
        engine.registerHandler(taskType, a2a.a2aAgentHandler({ url }));
        registered.push(taskType);
      }
      return registered;
    },
  };
}
