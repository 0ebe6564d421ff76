/**
 * A remote A2A agent built with nothing but the A2A SDK (`DefaultRequestHandler` + an
 * `AgentExecutor`): it streams a short story word by word. Run it, then let the TaskBridge demo follow
 * it as a task type — with resume and WebSocket → SSE → polling fallback for the browser:
 *
 *   npm run example:a2a-agent                                    # listens on :9797
 *   npm start -- --a2a-agent story=http://127.0.0.1:9797          # the demo, with a `story` task type
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AgentCard, TaskState } from '@a2a-js/sdk';
import { AgentEvent, type AgentExecutor, DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import express from 'express';

const STORY =
  'Once upon a time a river carried a story to the sea, one word at a time, and nothing was lost.';

const executor: AgentExecutor = {
  async execute({ taskId, contextId, userMessage }, bus) {
    const status = (state: TaskState) =>
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        status: { state, message: undefined, timestamp: new Date().toISOString() },
        metadata: undefined,
      });
    bus.publish(
      AgentEvent.task({
        id: taskId,
        contextId,
        status: {
          state: TaskState.TASK_STATE_SUBMITTED,
          message: undefined,
          timestamp: new Date().toISOString(),
        },
        artifacts: [],
        history: [userMessage],
        metadata: {},
      }),
    );
    bus.publish(status(TaskState.TASK_STATE_WORKING));
    const words = STORY.split(/(?<= )/);
    for (const [i, word] of words.entries()) {
      await new Promise((resolve) => setTimeout(resolve, 80));
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId: 'story',
            name: 'story',
            description: '',
            parts: [
              {
                content: { $case: 'text', value: word },
                metadata: undefined,
                filename: '',
                mediaType: 'text/plain',
              },
            ],
            metadata: undefined,
            extensions: [],
          },
          append: i > 0,
          lastChunk: i === words.length - 1,
          metadata: undefined,
        }),
      );
    }
    bus.publish(status(TaskState.TASK_STATE_COMPLETED));
  },
  async cancelTask() {},
};

/** Starts the agent on `port` (0: any free port); resolves with its base URL and a `close()`. */
export async function startStoryAgent(port = 9797, host = '127.0.0.1') {
  const app = express();
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  const card: AgentCard = {
    name: 'Story agent',
    description: 'Streams a short story word by word.',
    version: '1.0.0',
    provider: undefined,
    supportedInterfaces: [
      { url: `${url}/a2a`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' },
    ],
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [
      {
        id: 'story',
        name: 'Story',
        description: 'A short story.',
        tags: [],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      },
    ],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  app.use('/.well-known/agent-card.json', agentCardHandler({ agentCardProvider: handler }));
  app.use('/a2a', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  return { url, story: STORY, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await startStoryAgent(Number(process.env.PORT ?? 9797));
  process.stdout.write(`Story agent (A2A) on ${url} — card at ${url}/.well-known/agent-card.json\n`);
}
