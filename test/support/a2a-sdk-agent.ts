/**
 * A remote A2A agent built only from the SDK's own server pieces (`DefaultRequestHandler`, an
 * `AgentExecutor`, `InMemoryTaskStore`, the SDK's Express handlers), for the consume-direction tests.
 *
 * Its one skill streams numbered chunks into the artifact `story`: the message's data part
 * `{ chunks, delayMs, askAfter?, fail?, label? }` says how many (default 10), how far apart (ms,
 * default 10), after which chunk to ask for input (INPUT_REQUIRED; the answer's text is streamed as a
 * chunk, then the rest follow), and whether to end FAILED. Chunk texts are `<label>-<n> `, so a test
 * can check every chunk arrived once and in order.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { type AgentCard, type Message, Role, type Task, TaskState } from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  DefaultRequestHandler,
  type ExecutionEventBus,
  InMemoryTaskStore,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { duplicateInterfacesForLegacy } from '@a2a-js/sdk/compat/v0_3';
import express from 'express';
import { createArtifact, dataOf, isRecord, joinedText, textPart } from '@taskbridge/server-reference/a2a';

/** What one execution was asked to do. */
interface Script {
  chunks: number;
  delayMs: number;
  askAfter: number | undefined;
  fail: boolean;
  label: string;
}

function scriptOf(message: Message): Script {
  const data = message.parts.map(dataOf).find(isRecord) ?? {};
  const num = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);
  return {
    chunks: num(data.chunks, 10),
    delayMs: num(data.delayMs, 10),
    askAfter: typeof data.askAfter === 'number' ? data.askAfter : undefined,
    fail: data.fail === true,
    label: typeof data.label === 'string' ? data.label : 'chunk',
  };
}

/** The chunk texts a script streams (without an answer), in order. */
export function expectedChunks(chunks: number, label = 'chunk'): string[] {
  return Array.from({ length: chunks }, (_, i) => `${label}-${i} `);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The executor: one streaming skill, resumable across an INPUT_REQUIRED turn, cancellable. */
class StoryExecutor implements AgentExecutor {
  readonly scripts = new Map<string, Script & { next: number }>();
  readonly cancelled = new Set<string>();
  /** Executions started (turns), for tests that count remote tasks. */
  executions = 0;

  execute = async (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    this.executions += 1;
    const { taskId, contextId } = ctx;
    const status = (state: TaskState, message?: Message) =>
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId,
          status: { state, message, timestamp: new Date().toISOString() },
          metadata: undefined,
        }),
      );
    let script = this.scripts.get(taskId);
    if (ctx.task) {
      bus.publish(AgentEvent.task(ctx.task));
    } else {
      script = { ...scriptOf(ctx.userMessage), next: 0 };
      this.scripts.set(taskId, script);
      const task: Task = {
        id: taskId,
        contextId,
        status: {
          state: TaskState.TASK_STATE_SUBMITTED,
          message: undefined,
          timestamp: new Date().toISOString(),
        },
        artifacts: [],
        history: [ctx.userMessage],
        metadata: {},
      };
      bus.publish(AgentEvent.task(task));
    }
    if (!script) throw new Error(`no script for task ${taskId}`);
    status(TaskState.TASK_STATE_WORKING);
    if (ctx.task) {
      // The answer of an INPUT_REQUIRED turn becomes a chunk of its own.
      const answer = `answer:${joinedText(ctx.userMessage.parts).trim()} `;
      bus.publish(this.#chunk(taskId, contextId, answer, true));
    }
    while (script.next < script.chunks) {
      await sleep(script.delayMs);
      if (this.cancelled.has(taskId)) return status(TaskState.TASK_STATE_CANCELED);
      const i = script.next;
      script.next += 1;
      bus.publish(this.#chunk(taskId, contextId, `${script.label}-${i} `, i > 0 || ctx.task !== undefined));
      if (script.askAfter === i && !ctx.task) {
        return status(TaskState.TASK_STATE_INPUT_REQUIRED, {
          messageId: `${taskId}-ask`,
          contextId,
          taskId,
          role: Role.ROLE_AGENT,
          parts: [textPart('Continue the story?')],
          metadata: undefined,
          extensions: [],
          referenceTaskIds: [],
        });
      }
    }
    if (script.fail) {
      return status(TaskState.TASK_STATE_FAILED, {
        messageId: `${taskId}-failed`,
        contextId,
        taskId,
        role: Role.ROLE_AGENT,
        parts: [textPart('the story fell apart')],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
      });
    }
    status(TaskState.TASK_STATE_COMPLETED);
  };

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    this.cancelled.add(taskId);
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId: '',
        status: {
          state: TaskState.TASK_STATE_CANCELED,
          message: undefined,
          timestamp: new Date().toISOString(),
        },
        metadata: undefined,
      }),
    );
  };

  #chunk(taskId: string, contextId: string, text: string, append: boolean) {
    return AgentEvent.artifactUpdate({
      taskId,
      contextId,
      artifact: createArtifact('story', [textPart(text)]),
      append,
      lastChunk: false,
      metadata: undefined,
    });
  }
}

/** A running SDK agent. */
export interface SdkAgent {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  executor: StoryExecutor;
  /** The agent's card with its endpoint at `baseUrl` (e.g. a fault proxy in front of it). */
  cardAt(baseUrl: string): AgentCard;
  close(): Promise<void>;
}

/** Starts the SDK agent on 127.0.0.1:0. */
export async function startSdkAgent(): Promise<SdkAgent> {
  const executor = new StoryExecutor();
  const cardAt = (baseUrl: string): AgentCard => ({
    name: 'SDK story agent',
    description: 'Streams numbered chunks (test agent built with @a2a-js/sdk only).',
    version: '1.0.0',
    provider: undefined,
    supportedInterfaces: duplicateInterfacesForLegacy(
      [{ url: `${baseUrl}/a2a`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }],
      ['JSONRPC'],
    ),
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['text/plain'],
    skills: [
      {
        id: 'story',
        name: 'story',
        description: 'Streams numbered chunks.',
        tags: [],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      },
    ],
    signatures: [],
  });
  const app = express();
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const handler = new DefaultRequestHandler(cardAt(url), new InMemoryTaskStore(), executor);
  app.use(
    '/.well-known/agent-card.json',
    agentCardHandler({ agentCardProvider: handler, legacyCompat: { enabled: true } }),
  );
  app.use(
    '/a2a',
    jsonRpcHandler({
      requestHandler: handler,
      userBuilder: UserBuilder.noAuthentication,
      legacyCompat: { enabled: true },
    }),
  );
  return {
    url,
    port,
    executor,
    cardAt,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
